"""
.. _calibration:

Calibrated classifiers
======================

A ``CalibratedClassifierCV`` often converts without a word and still returns
wrong probabilities. You will learn to measure how far the converted model is
from scikit-learn for each calibration method (``"sigmoid"``, ``"isotonic"``,
``"temperature"``) over a bare model and over a pipeline, what causes each
disagreement, and two workarounds, each measured: a converter option, and the
calibration step in numpy after an ONNX model of the scores. It takes about
20 seconds and applies the method of :ref:`debugging_disagreement`.
"""

# %%
# Data, a tolerance, a measure
# ----------------------------
# Two seeded synthetic problems, binary and three-class, half of the rows for
# training and half for testing. We call skl2onnx and onnxruntime directly,
# so that you can rerun any case without this project.
#
# **The tolerance.** A float32 model keeps about seven significant digits, so
# its probabilities differ from scikit-learn's float64 ones by about
# ``1e-7``. A row counts as different when one of its probabilities is more
# than ``1e-4`` away: a thousand times that rounding, and still far below a
# difference anyone would act on.
import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import to_onnx
from sklearn.datasets import make_classification

TOLERANCE = 1e-4
BEYOND = f"rows beyond {TOLERANCE:g}"
FORMATS = {"max |proba diff|": "{:.1e}", BEYOND: "{:.1%}", "labels differ": "{:.0f}"}
CPU = ["CPUExecutionProvider"]
X2, y2 = make_classification(4_000, n_features=10, n_informative=5, random_state=0)
X3, y3 = make_classification(
    4_000, n_features=10, n_informative=6, n_classes=3, random_state=0
)
data = {
    2: (X2[:2_000], y2[:2_000], X2[2_000:]),
    3: (X3[:2_000], y3[:2_000], X3[2_000:]),
}


def run_onnx(onnx_model, X, dtype=np.float32):
    """All outputs of ``onnx_model`` on ``X``, from onnxruntime's default session."""
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=CPU)
    return session.run(None, {"X": X.astype(dtype)})


def agreement(model, X, onnx_labels, onnx_proba):
    """How far ONNX's labels and probabilities are from scikit-learn's."""
    gap = np.abs(onnx_proba - model.predict_proba(X)).max(axis=1)
    return {
        "labels differ": int(np.sum(onnx_labels != model.predict(X))),
        "max |proba diff|": float(gap.max()),
        BEYOND: float(np.mean(gap > TOLERANCE)),
    }


# %%
# Every case, converted as it is
# ------------------------------
# ``LinearSVC`` is calibrated from its ``decision_function``, a random forest
# from its probabilities, and two pipelines (a ``StandardScaler`` before
# ``LogisticRegression`` or ``LinearSVC``) from their ``decision_function``.
# Each is calibrated on 3 folds: ``ensemble=True`` (the default) keeps one
# model and one calibrator per fold and averages them; ``ensemble=False``
# keeps one model fitted on all rows. The conversion is ``to_onnx(...,
# options={"zipmap": False})``: labels and a probability matrix. A case that
# fails to convert shows its error.
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

PIPELINE = "scaler + LogisticRegression"
bases = {
    "LinearSVC": LinearSVC,
    "forest": lambda: RandomForestClassifier(20, max_depth=6, random_state=0),
    PIPELINE: lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "scaler + LinearSVC": lambda: make_pipeline(StandardScaler(), LinearSVC()),
}
KEYS = ["method", "base model", "classes", "ensemble"]
cases = [("sigmoid", base, 2, True) for base in bases] + [
    ("sigmoid", "LinearSVC", 3, True),
    ("sigmoid", PIPELINE, 3, True),
    ("sigmoid", PIPELINE, 2, False),
    ("isotonic", "LinearSVC", 2, False),
    ("isotonic", "LinearSVC", 3, True),
    ("isotonic", "forest", 2, True),
    ("isotonic", PIPELINE, 2, True),
    ("temperature", "LinearSVC", 3, True),
]
models, rows = {}, []
for case in cases:
    method, base, n_classes, ensemble = case
    X_train, y_train, X_test = data[n_classes]
    model = CalibratedClassifierCV(bases[base](), method=method, ensemble=ensemble)
    models[case] = model.fit(X_train, y_train)
    row = dict(zip(KEYS, case, strict=True))
    try:
        sample = X_train[:1].astype(np.float32)
        onnx_model = to_onnx(model, sample, options={"zipmap": False})
        row |= agreement(model, X_test, *run_onnx(onnx_model, X_test))
    except Exception as error:  # any converter error goes into the table
        row["error"] = f"{type(error).__name__}: {str(error)[:50]}..."
    rows.append(row)
as_converted = pd.DataFrame(rows)
as_converted.style.format(FORMATS, na_rep="")

# %%
# Sigmoid over a bare model or a forest agrees to float32 rounding. Nothing
# else does: over the ``LogisticRegression`` pipeline, both methods change
# labels (``ensemble`` either way); isotonic calibration differs by a few
# hundredths on some rows whatever the model; ``"temperature"`` (new in
# scikit-learn 1.8) has no converter (skl2onnx treats every method but
# ``"sigmoid"`` as isotonic, and fails on an attribute isotonic calibrators
# have); and the pipeline ending in ``LinearSVC`` does not convert (the
# pipeline's converter sets a ``zipmap`` option on the classifier inside it,
# an option ``LinearSVC``'s converter does not have). Users have reported
# such cases to skl2onnx:
# sigmoid over a pipeline in
# `issue 1246 <https://github.com/onnx/sklearn-onnx/issues/1246>`_,
# isotonic over a random forest in
# `issue 1151 <https://github.com/onnx/sklearn-onnx/issues/1151>`_, and a
# calibrated pipeline over a DataFrame that fails to convert in
# `issue 1082 <https://github.com/onnx/sklearn-onnx/issues/1082>`_.
measured = as_converted.set_index(KEYS).sort_index()
assert (measured.loc[("sigmoid", ["LinearSVC", "forest"]), BEYOND] == 0).all()
assert (measured.loc[(slice(None), PIPELINE), "labels differ"] > 0).all()
assert (measured.loc["isotonic", BEYOND] > 0).all()
assert measured["error"].notna().sum() == 2

# %%
# Sigmoid over a pipeline: the calibrator reads probabilities
# -----------------------------------------------------------
# scikit-learn's sigmoid calibrator maps a model's *score* ``s`` (its
# ``decision_function``) to ``1 / (1 + exp(a s + b))``. The converter asks
# the model for scores with its ``raw_scores`` option, but the pipeline's
# converter does not pass that option on to the classifier inside, so the
# sigmoid reads the pipeline's *probability* (the cause skl2onnx's fix,
# below, names). That wrong recipe, computed in numpy with scikit-learn's own
# ``a`` and ``b`` for the ``ensemble=False`` model (one model, one
# calibrator), reproduces ONNX's output: the parameters are right, the input
# is not.
from scipy.special import expit

model = models["sigmoid", PIPELINE, 2, False]
X_train, _, X_test = data[2]
fold = model.calibrated_classifiers_[0]
a, b = fold.calibrators[0].a_, fold.calibrators[0].b_
wrong_recipe = expit(-(a * fold.estimator.predict_proba(X_test)[:, 1] + b))
onnx_model = to_onnx(model, X_train[:1].astype(np.float32), options={"zipmap": False})
recipe_gap = np.abs(run_onnx(onnx_model, X_test)[1][:, 1] - wrong_recipe).max()
print(f"ONNX against the sigmoid of the pipeline's probabilities: {recipe_gap:.1e}")
assert recipe_gap < TOLERANCE

# %%
# Workaround 1: pass the option yourself
# --------------------------------------
# Options keyed by a class reach every estimator of that class wherever it
# sits, so ``{LogisticRegression: {"raw_scores": True}}`` hands the
# calibrators the scores (here the only ``LogisticRegression`` objects are
# the folds' classifiers, read by the calibrators only). skl2onnx has merged
# a fix, `pull request 1247 <https://github.com/onnx/sklearn-onnx/pull/1247>`_,
# which the version installed here does not include; with it, the pipeline's
# converter passes the option on itself.
import skl2onnx

fixed_options = {
    CalibratedClassifierCV: {"zipmap": False},
    LogisticRegression: {"raw_scores": True},
}
rows = []
for case in [case for case in cases if case[1] == PIPELINE]:
    X_train, _, X_test = data[case[2]]
    sample = X_train[:1].astype(np.float32)
    onnx_model = to_onnx(models[case], sample, options=fixed_options)
    row = dict(zip(KEYS, case, strict=True))
    rows.append(row | agreement(models[case], X_test, *run_onnx(onnx_model, X_test)))
fixed = pd.DataFrame(rows).set_index(KEYS).sort_index()
assert (fixed.loc["sigmoid", [BEYOND, "labels differ"]] == 0).all().all()
assert fixed.loc["isotonic", BEYOND].item() < measured.loc["isotonic", BEYOND].max()
print(f"skl2onnx {skl2onnx.__version__}, raw_scores on LogisticRegression:")
fixed.style.format(FORMATS)

# %%
# The sigmoid cases agree. Isotonic calibration over the pipeline is back to
# the disagreement it has over any model: the next section's.
#
# Isotonic: a jump where scikit-learn draws a ramp
# ------------------------------------------------
# scikit-learn's isotonic calibrator keeps a few dozen points of the step
# curve it fitted (``X_thresholds_``, ``y_thresholds_``: the two ends of each
# step) and predicts by *linear interpolation* between them, clipped at the
# ends, as ``np.interp`` does: between the last point of one step and the
# first of the next, a steep ramp. The converter's graph takes the ``y`` of
# the *nearest* point instead (``ArgMin`` of the distances): it jumps at the
# midpoint. A score on a ramp gets another probability. Computed in numpy
# on scikit-learn's own float64 scores, the nearest-point rule gives ONNX's
# probabilities, for the ``ensemble=False`` binary model (one calibrator):


def nearest_point(calibrator, scores):
    """The converter's rule: the ``y`` of the calibrator's nearest point."""
    clipped = np.clip(scores, calibrator.X_min_, calibrator.X_max_)
    distances = np.abs(clipped[:, None] - calibrator.X_thresholds_[None, :])
    return calibrator.y_thresholds_[distances.argmin(axis=1)]


model = models["isotonic", "LinearSVC", 2, False]
X_train, _, X_test = data[2]
fold = model.calibrated_classifiers_[0]
calibrator = fold.calibrators[0]
scores = fold.estimator.decision_function(X_test)
onnx_model = to_onnx(model, X_train[:1].astype(np.float32), options={"zipmap": False})
onnx_proba = run_onnx(onnx_model, X_test)[1][:, 1]
sklearn_proba = model.predict_proba(X_test)[:, 1]
differs = np.abs(onnx_proba - sklearn_proba) > TOLERANCE
lookup_gap = np.abs(nearest_point(calibrator, scores) - onnx_proba).max()
print(f"nearest-point rule in numpy against ONNX: {lookup_gap:.1e}")
assert lookup_gap < TOLERANCE

# %%
# The figure zooms on the ramp of the row that differs most: scikit-learn's
# calibrator and the converter's rule as lines, and the test rows on that
# ramp with ONNX's probability.
import matplotlib.pyplot as plt

x_points, y_points = calibrator.X_thresholds_, calibrator.y_thresholds_
worst = np.argmax(np.abs(onnx_proba - sklearn_proba))
right = np.searchsorted(x_points, scores[worst])
low, high = x_points[right - 1], x_points[right]
grid = np.linspace(low - (high - low), high + (high - low), 300)
near = (scores > grid[0]) & (scores < grid[-1])
fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
ax.plot(grid, calibrator.predict(grid), label="scikit-learn (interpolates)")
ax.plot(grid, nearest_point(calibrator, grid), label="converter (nearest point)")
ax.plot(scores[near], onnx_proba[near], "o", label="ONNX, test rows")
ax.plot(x_points, y_points, "k.", markersize=12, label="calibrator's points")
ax.set(xlim=grid[[0, -1]], xlabel="LinearSVC score", ylabel="probability of class 1")
ax.set_title(
    f"Isotonic: ONNX jumps where scikit-learn ramps\n{differs.sum()} of "
    f"{len(X_test):,} test rows differ by more than {TOLERANCE:g}",
    fontsize=10,
)
ax.legend()
plt.show()

# %%
# Is float32 to blame too? With a jump, a score within float32 rounding
# (``6e-8`` relative) of a midpoint lands on the other side; with the points
# as far apart as printed below, few rows sit that close. We count the rows
# whose step changes when ONNX computes the score in float32, and convert
# with double inputs (``to_onnx`` on a float64 sample;
# ``helpers.convert(model, X, dtype=np.float64)`` makes the same call).
estimator_onnx = to_onnx(fold.estimator, X_train[:1].astype(np.float32))
float32_scores = run_onnx(estimator_onnx, X_test)[1][:, -1]
steps = nearest_point(calibrator, scores), nearest_point(calibrator, float32_scores)
steps_moved = np.sum(steps[0] != steps[1])
double_onnx = to_onnx(model, X_train[:1], options={"zipmap": False})
double = agreement(model, X_test, *run_onnx(double_onnx, X_test, np.float64))
print(f"closest two points: {np.diff(x_points).min():.1e} apart")
print(f"rows whose step changes with float32 scores: {steps_moved}")
print(
    f"rows beyond {TOLERANCE:g}: {differs.mean():.2%} with float32 inputs, "
    f"{double[BEYOND]:.2%} with double inputs"
)
assert steps_moved < differs.sum()
assert abs(double[BEYOND] * len(X_test) - differs.sum()) <= 2

# %%
# The lookup, not float32, makes the difference: with double inputs, as
# many rows differ (give or take a row or two, which the check allows).
#
# Workaround 2: the scores in ONNX, the calibration in numpy
# ----------------------------------------------------------
# This one covers every method, temperature included, and the pipeline that
# did not convert. Convert each fold's model into an ONNX model of the scores
# its calibrators read (``decision_function`` where the model has one, else
# its probabilities; the last column for a binary problem), keep the
# calibrators' numbers beside it (plain floats and lists: save them as JSON),
# and redo scikit-learn's calibration step in numpy. Only ``export`` needs
# scikit-learn; a server runs the rest.
from scipy.special import softmax


def export(model, X_sample):
    """Per fold: an ONNX model of the scores, the calibrators' numbers, and
    whether the scores are probabilities."""
    folds = []
    for fold in model.calibrated_classifiers_:
        estimator = fold.estimator
        final = estimator[-1] if hasattr(estimator, "steps") else estimator
        options = {}
        if hasattr(final, "predict_proba"):
            options["zipmap"] = False
            if hasattr(final, "decision_function"):  # LogisticRegression
                options["raw_scores"] = True
        sample = X_sample[:1].astype(np.float32)
        onnx_scores = to_onnx(estimator, sample, options={id(final): options})
        numbers = []  # one calibrator per class (temperature: one for all)
        for c in fold.calibrators:
            if model.method == "sigmoid":
                numbers.append({"a": float(c.a_), "b": float(c.b_)})
            elif model.method == "isotonic":
                x, y = c.X_thresholds_.tolist(), c.y_thresholds_.tolist()
                numbers.append({"x": x, "y": y})
            else:
                numbers.append({"beta": float(c.beta_)})
        folds.append((onnx_scores, numbers, not hasattr(final, "decision_function")))
    return folds


def calibrate(scores, numbers, method, n_classes, reads_proba):
    """scikit-learn's calibration step for one fold, in numpy."""
    scores = scores.astype(np.float64)
    if n_classes == 2:
        scores = scores[:, -1:]  # the positive class
    if method == "temperature":
        if n_classes == 2:
            scores = np.hstack(
                [1 - scores, scores] if reads_proba else [-scores, scores]
            )
        logits = np.log(scores + 1e-12) if reads_proba else scores
        return softmax(numbers[0]["beta"] * logits, axis=1)
    pairs = zip(numbers, scores.T, strict=True)  # one calibrator per column
    if method == "sigmoid":
        columns = [expit(-(n["a"] * s + n["b"])) for n, s in pairs]
    else:  # isotonic
        columns = [np.interp(s, n["x"], n["y"]) for n, s in pairs]
    proba = np.column_stack(columns)
    if n_classes == 2:
        return np.hstack([1 - proba, proba])
    total = proba.sum(axis=1, keepdims=True)
    uniform = np.full_like(proba, 1 / n_classes)  # scikit-learn's answer for 0 / 0
    return np.divide(proba, total, out=uniform, where=total != 0)


def predict_proba(folds, X32, method, n_classes):
    """The mean over folds, as ``CalibratedClassifierCV.predict_proba``.
    ``folds``: (session, numbers, reads_proba); ``X32``: float32 rows."""
    probas = []
    for session, numbers, reads_proba in folds:
        scores = session.run(None, {"X": X32})[1]
        probas.append(calibrate(scores, numbers, method, n_classes, reads_proba))
    proba = np.mean(probas, axis=0)
    proba[(proba > 1) & (proba <= 1 + 1e-5)] = 1.0  # as scikit-learn does
    return proba


def load(exported):
    """The sessions a server creates once."""
    return [
        (ort.InferenceSession(model.SerializeToString(), providers=CPU), *calibration)
        for model, *calibration in exported
    ]


# %%
# Measured as the conversions were, on every case that disagreed or failed
# (the label is the class of largest probability, as in scikit-learn). The
# isotonic cases differ by more than float32 rounding, yet within the
# tolerance: on a ramp, the rounding of a score is multiplied by the ramp's
# slope. How steep your ramps are depends on your data: measure it there.
rows = []
for case in measured.index[measured[BEYOND].fillna(1) > 0]:
    X_train, _, X_test = data[case[2]]
    folds = load(export(models[case], X_train))
    proba = predict_proba(folds, X_test.astype(np.float32), case[0], case[2])
    labels = models[case].classes_[proba.argmax(axis=1)]
    row = dict(zip(KEYS, case, strict=True))
    rows.append(row | agreement(models[case], X_test, labels, proba))
numpy_fix = pd.DataFrame(rows).set_index(KEYS)
assert (numpy_fix[["labels differ", BEYOND]] == 0).all().all()
numpy_fix.style.format(FORMATS)

# %%
# Speed
# -----
# One short :func:`helpers.benchmark` of the sigmoid over the
# ``LogisticRegression`` pipeline (3 folds) at 1 and 1,000 rows:
# scikit-learn's ``predict_proba`` on float64 rows; ONNX Runtime's default
# session on the model of workaround 1 (:func:`helpers.convert` wraps
# ``to_onnx`` and passes the ``options`` on; ``session.run`` gets float32
# copies made before timing); and workaround 2. ``control=True`` times
# scikit-learn twice, to show the noise. There is no ``n_jobs=-1`` baseline:
# neither the calibrator nor the pipeline's steps use ``n_jobs`` to predict.
import helpers
from helpers.benchmark import take_rows

model = models["sigmoid", PIPELINE, 2, True]
X_train, _, X_test = data[2]
raw_scores = {LogisticRegression: {"raw_scores": True}}
session = ort.InferenceSession(
    helpers.convert(model, X_train[:1], options=raw_scores).SerializeToString(),
    providers=CPU,
)
folds = load(export(model, X_train))
X32 = {size: take_rows(X_test.astype(np.float32), size) for size in (1, 1_000)}
result = helpers.benchmark(
    {
        "scikit-learn": model.predict_proba,
        "ONNX Runtime": lambda batch: session.run(None, {"X": X32[len(batch)]}),
        "ONNX scores + numpy": lambda batch: predict_proba(
            folds, X32[len(batch)], "sigmoid", 2
        ),
    },
    X_test,
    batch_sizes=(1, 1_000),
    budget=3,
    control=True,
)
result

# %%
# Each sentence is printed from the benchmark's verdicts, where it was
# measured; the check is that ONNX Runtime is faster for one row.
for size in result.batch_sizes:
    for candidate in result.candidates[1:]:
        speedup, low, high = result.interval(candidate, size)
        print(
            f"{size:,} row{'s' if size > 1 else ''}, {candidate}: {speedup:.2f}x "
            f"({low:.2f}x to {high:.2f}x) against scikit-learn, "
            f"{result.verdict(candidate, size)}"
        )
assert result.verdict("ONNX Runtime", 1) == "faster", result
helpers.machine_summary()

# %%
# Summary
# -------
# The share of test rows beyond the tolerance, as measured in this run: as
# converted (empty: the conversion failed), with the option of workaround 1,
# and with workaround 2 (empty: not needed or not applicable).
summary = pd.concat(
    {
        "as converted": measured[BEYOND],
        "workaround 1": fixed[BEYOND],
        "workaround 2": numpy_fix[BEYOND],
    },
    axis=1,
).reindex(measured.index)
summary["use"] = np.select(
    [summary["as converted"].eq(0), summary["workaround 1"].eq(0)],
    ["the conversion", "workaround 1 (option)"],
    "workaround 2 (numpy)",
)
summary.style.format("{:.1%}", subset=summary.columns[:3], na_rep="")

# %%
# What to remember
# ----------------
# * Measure a calibrated model after conversion: in common cases the
#   converter is wrong on many rows, without a warning.
# * Sigmoid over a bare model or a forest converts correctly.
# * Sigmoid over a pipeline ending in ``LogisticRegression``: pass
#   ``{LogisticRegression: {"raw_scores": True}}`` (skl2onnx's fix does that
#   for you); check any other pipeline the same way.
# * Isotonic, ``"temperature"``, and calibrated pipelines that do not convert:
#   export the scores to ONNX and apply the calibrators in numpy.
