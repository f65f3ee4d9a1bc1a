"""
.. _lightgbm_xgboost:

LightGBM and XGBoost
====================

skl2onnx converts scikit-learn models only, but LightGBM and XGBoost models
follow scikit-learn's API and often sit at the end of a scikit-learn
pipeline. You will learn how to register onnxmltools' converters into
skl2onnx so that these models convert alone and inside a pipeline, why one
kind of XGBoost pipeline disagrees with its ONNX copy and how to fix it,
how to convert a bare booster, and how ONNX Runtime's speed compares with
the libraries' own, for one row and for large batches, with intervals.
It follows :ref:`running_too_big` and builds on :ref:`with_helpers`.

It runs in about 10 seconds on the machine that builds these pages.
"""

# %%
# Data and models
# ---------------
# Synthetic data, seeded: 20 features, of which the first four take whole
# numbers only, as counts or ages do (this matters later). Both libraries
# grow 100 trees, on one thread (``n_jobs=1``); the timings at the end say
# how many threads each side predicts with.
import numpy as np
from lightgbm import LGBMClassifier
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier

X, y = make_classification(
    n_samples=6_000,
    n_features=20,
    n_informative=10,
    random_state=0,
)
X[:, :4] = np.round(X[:, :4] * 3)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=0.25,
    stratify=y,
    random_state=0,
)
X_train32, X_test32 = X_train.astype(np.float32), X_test.astype(np.float32)

lgbm_model = LGBMClassifier(n_estimators=100, n_jobs=1, random_state=0, verbose=-1)
lgbm_model.fit(X_train, y_train)
xgb_model = XGBClassifier(n_estimators=100, n_jobs=1, random_state=0)
xgb_model.fit(X_train, y_train)
print(f"test accuracy: LightGBM {lgbm_model.score(X_test, y_test):.3f}")
print(f"test accuracy: XGBoost  {xgb_model.score(X_test, y_test):.3f}")

# %%
# skl2onnx does not know these models
# -----------------------------------
# :func:`skl2onnx.to_onnx` looks the model's class up in its registry of
# converters; LightGBM's and XGBoost's are not there. The error says so in
# its first sentence; further on, it names the way out for a converter
# implemented in another library. (If an earlier lesson already registered
# them in this Python process, the call succeeds.) Both sentences, as
# skl2onnx wrote them:
from skl2onnx import to_onnx

try:
    to_onnx(lgbm_model, X_train32[:1])
    print("already registered in this Python process")
except Exception as error:  # skl2onnx's MissingShapeCalculator
    sentences = " ".join(str(error).split()).split(". ")
    way_out = [part for part in sentences if "update_registered_converter" in part]
    assert way_out, error
    print(f"{type(error).__name__}: {sentences[0]}.")
    print(f"{way_out[0]}.")

# %%
# Register onnxmltools' converters
# --------------------------------
# onnxmltools has the converters; :func:`skl2onnx.update_registered_converter`
# puts them in skl2onnx's registry, under an alias, with three pieces:
#
# * a *shape calculator*, which declares the outputs. A boosted classifier
#   has those of a linear classifier, a label and one probability per class,
#   so skl2onnx's ``calculate_linear_classifier_output_shapes`` serves (and
#   ``calculate_linear_regressor_output_shapes`` for a regressor);
# * the *converter*, which writes the trees as an ONNX ``TreeEnsembleClassifier``
#   or ``TreeEnsembleRegressor`` node: ``convert_lightgbm`` and
#   ``convert_xgboost`` from onnxmltools;
# * the *options* a classifier accepts. skl2onnx's classifier parser reads
#   ``zipmap`` (``False`` gives probabilities as a plain array, as the
#   walkthrough explained) and ``nocl``, and a pipeline passes both on to its
#   last step; an option not declared here is refused.
#
# The registry is global to the Python process: register once, at start-up.
from lightgbm import LGBMRegressor
from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
from skl2onnx import update_registered_converter
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)
from xgboost import XGBRegressor

classifier_options = {"zipmap": [True, False, "columns"], "nocl": [True, False]}
update_registered_converter(
    LGBMClassifier,
    "LightGbmLGBMClassifier",
    calculate_linear_classifier_output_shapes,
    convert_lightgbm,
    options=classifier_options,
)
update_registered_converter(
    LGBMRegressor,
    "LightGbmLGBMRegressor",
    calculate_linear_regressor_output_shapes,
    convert_lightgbm,
)
update_registered_converter(
    XGBClassifier,
    "XGBoostXGBClassifier",
    calculate_linear_classifier_output_shapes,
    convert_xgboost,
    options=classifier_options,
)
update_registered_converter(
    XGBRegressor,
    "XGBoostXGBRegressor",
    calculate_linear_regressor_output_shapes,
    convert_xgboost,
)

# %%
# Convert, naming the opset of each domain
# ----------------------------------------
# One more argument than for a scikit-learn model. Tree operators live in the
# ``ai.onnx.ml`` domain. Given no ``target_opset``, skl2onnx targets its
# newest main opset, and a converter that does not pin the version of its
# operators gets the ``ai.onnx.ml`` version that the installed onnx package
# pairs with that opset. skl2onnx's own converters pin theirs; onnxmltools'
# do not, and skl2onnx then refuses the result as newer than it supports
# ("You need to specify target_opset"). Naming both domains avoids it: the
# newest main opset skl2onnx supports, and ``ai.onnx.ml`` 3, the newest it
# accepts.
from skl2onnx import get_latest_tested_opset_version

target_opset = {"": get_latest_tested_opset_version(), "ai.onnx.ml": 3}
lgbm_onnx = to_onnx(
    lgbm_model, X_train32[:1], options={"zipmap": False}, target_opset=target_opset
)
xgb_onnx = to_onnx(
    xgb_model, X_train32[:1], options={"zipmap": False}, target_opset=target_opset
)
{opset.domain or "ai.onnx": opset.version for opset in lgbm_onnx.opset_import}

# %%
# Check agreement with the libraries' own predictions
# ---------------------------------------------------
# The ONNX model must give the labels of ``predict`` and the probabilities of
# ``predict_proba``. The tolerance is the walkthrough's: ``1e-5`` on
# probabilities, room for float32 rounding in the sum of 100 trees' scores
# and the sigmoid. XGBoost compares features in float32 itself, as the ONNX
# model does. LightGBM compares them in float64; the ONNX model's float32
# copy of a value could only take another branch if it fell within a float32
# rounding of a threshold, and LightGBM puts its thresholds halfway between
# the values it saw in training, far from any of them.
import onnxruntime

ATOL = 1e-5
for name, model, onnx_model in [
    ("LightGBM", lgbm_model, lgbm_onnx),
    ("XGBoost", xgb_model, xgb_onnx),
]:
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    labels, proba = session.run(["label", "probabilities"], {"X": X_test32})
    np.testing.assert_array_equal(labels, model.predict(X_test))
    np.testing.assert_allclose(proba, model.predict_proba(X_test), atol=ATOL, rtol=0)
    largest = np.abs(proba - model.predict_proba(X_test)).max()
    print(
        f"{name}: {len(labels)} labels agree, "
        f"largest probability difference {largest:.1e} <= {ATOL:g}"
    )

# %%
# The same with ``helpers``
# -------------------------
# :func:`~helpers.lessons.boosting.register_boosting_converters` makes the four
# ``update_registered_converter`` calls above (again: registering twice
# changes nothing) and returns what it registered. :func:`helpers.convert`
# hides ``to_onnx`` with ``zipmap=False``, and names both opsets when a
# converter needs it, as these do. From here on the lesson uses them.
import helpers
from helpers.benchmark import take_rows
from helpers.lessons.boosting import register_boosting_converters

register_boosting_converters()

# %%
# Inside a pipeline
# -----------------
# Once registered, a booster converts as the last step of a pipeline like any
# scikit-learn classifier. Trees do not need scaled features; the scaler here
# stands for any numeric preprocessing a pipeline shares with other models.
# We compare on the test rows with :func:`helpers.compare`, which reports
# instead of raising.
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

lgbm_pipeline = make_pipeline(
    StandardScaler(),
    LGBMClassifier(n_estimators=100, n_jobs=1, random_state=0, verbose=-1),
).fit(X_train, y_train)
xgb_pipeline = make_pipeline(
    StandardScaler(), XGBClassifier(n_estimators=100, n_jobs=1, random_state=0)
).fit(X_train, y_train)
lgbm_pipeline_report = helpers.compare(
    lgbm_pipeline,
    helpers.OnnxPredictor(helpers.convert(lgbm_pipeline, X_train[:1])),
    X_test,
)
xgb_pipeline_report = helpers.compare(
    xgb_pipeline,
    helpers.OnnxPredictor(helpers.convert(xgb_pipeline, X_train[:1])),
    X_test,
)
assert lgbm_pipeline_report.ok
xgb_pipeline_report

# %%
# Why the XGBoost pipeline disagrees
# ----------------------------------
# The LightGBM pipeline agrees (asserted above); the XGBoost one does not,
# in labels and in probabilities, by amounts far beyond rounding. The two
# copies do not compute the scaled values the same way: scikit-learn scales
# in float64, then XGBoost rounds the result to float32; the ONNX model
# receives float32 and scales in float32. The results can differ in the last
# digit. That alone would rarely matter, but XGBoost's split thresholds are
# values seen in training, and it sends a row left when its value is strictly
# below the threshold. A feature with few distinct values, like our four
# whole-number ones, has most rows exactly on a threshold, and a last digit
# rounded the other way sends them down the other branch. On the training
# rows themselves every feature is affected, for the same reason: the
# thresholds are values of those rows. LightGBM puts its thresholds between
# the values it saw, which is why it agrees.
#
# The check below confirms the diagnosis. It computes each row's scaled
# features both ways: float64 then rounded to float32, as scikit-learn and
# XGBoost do, and ``(x - mean) * (1 / scale)`` in float32, as ONNX's
# ``Scaler`` operator does. Then it reads XGBoost's thresholds
# (``trees_to_dataframe``) and finds the rows where the two values fall on
# either side of a threshold of their feature, in the test rows and in the
# training rows.
scaler, booster = xgb_pipeline[0], xgb_pipeline[-1].get_booster()
splits = booster.trees_to_dataframe().dropna(subset=["Split"])
thresholds = [
    np.sort(splits.loc[splits.Feature == f"f{feature}", "Split"].to_numpy(np.float32))
    for feature in range(X.shape[1])
]


def crossing(rows):
    """Per row and feature: do the two ways of scaling fall on either side of
    a threshold of the feature?"""
    scaled_like_xgboost = scaler.transform(rows).astype(np.float32)
    mean32 = scaler.mean_.astype(np.float32)
    inverse_scale32 = (1 / scaler.scale_).astype(np.float32)
    scaled_like_onnx = (rows.astype(np.float32) - mean32) * inverse_scale32
    crossed = np.zeros(rows.shape, dtype=bool)
    for feature, feature_thresholds in enumerate(thresholds):
        xgboost_side, onnx_side = (
            np.searchsorted(feature_thresholds, scaled[:, feature], side="right")
            for scaled in (scaled_like_xgboost, scaled_like_onnx)
        )
        crossed[:, feature] = xgboost_side != onnx_side
    return crossed


test_crossing, train_crossing = crossing(X_test), crossing(X_train)
rows_crossing = np.flatnonzero(test_crossing.any(axis=1))
features_crossing = np.flatnonzero(test_crossing.any(axis=0))
train_features_crossing = np.flatnonzero(train_crossing.any(axis=0))
assert not xgb_pipeline_report.ok
assert set(xgb_pipeline_report.worst_rows) <= set(rows_crossing)
assert set(features_crossing) <= {0, 1, 2, 3}, (
    "a threshold was crossed in a continuous feature"
)
assert len(train_features_crossing) == X.shape[1]  # every feature, in training
print(
    f"{len(xgb_pipeline_report.worst_rows)} of {len(X_test)} rows disagree, "
    "all among the "
    f"{len(rows_crossing)} rows where a scaled value crosses a threshold; "
    f"features where that happens: {features_crossing.tolist()}"
)
print(
    f"training rows: {train_crossing.any(axis=1).sum():,} of {len(X_train):,} "
    f"cross a threshold, in {len(train_features_crossing)} of {X.shape[1]} features"
)

# %%
# The fix: compute in double up to the booster
# --------------------------------------------
# Make both copies compute the same thing: convert with float64 inputs
# (``dtype=np.float64``), so the ONNX scaler works in double like
# scikit-learn, and put skl2onnx's :class:`~skl2onnx.sklapi.CastTransformer`
# before the booster, so both round to float32 at the same point, where
# XGBoost does it anyway. The predictor then takes float64 rows.
from skl2onnx.sklapi import CastTransformer

xgb_cast_pipeline = make_pipeline(
    StandardScaler(),
    CastTransformer(dtype=np.float32),
    XGBClassifier(n_estimators=100, n_jobs=1, random_state=0),
).fit(X_train, y_train)
xgb_cast_predictor = helpers.OnnxPredictor(
    helpers.convert(xgb_cast_pipeline, X_train[:1], dtype=np.float64)
)
helpers.assert_agrees(xgb_cast_pipeline, xgb_cast_predictor, X_test)

# %%
# Regressors
# ----------
# The regressors convert the same way. A regression target is not between 0
# and 1, so the tolerance follows the size of the predictions: float32 keeps
# about seven significant digits, summing 100 trees loses one or two, and we
# allow differences up to a hundred-thousandth of the largest prediction.
# The regressors are trained on float32 rows, so both copies see the same
# numbers.
import pandas as pd
from sklearn.datasets import make_regression

X_reg, y_reg = make_regression(n_samples=3_000, n_features=20, noise=10, random_state=0)
X_reg32 = X_reg.astype(np.float32)
regression_reports = {}
for regressor in [
    LGBMRegressor(n_estimators=100, n_jobs=1, random_state=0, verbose=-1),
    XGBRegressor(n_estimators=100, n_jobs=1, random_state=0),
]:
    regressor.fit(X_reg32, y_reg)
    largest = float(np.abs(regressor.predict(X_reg32)).max())
    report = helpers.assert_agrees(
        regressor,
        helpers.OnnxPredictor(helpers.convert(regressor, X_reg32[:1])),
        X_reg32,
        rtol=0,
        atol=1e-5 * largest,
    )
    regression_reports[type(regressor).__name__] = {
        "largest |prediction|": largest,
        "largest |difference|": report.max_abs_diff,
        "tolerance": report.atol,
        "agrees": report.ok,
    }
pd.DataFrame(regression_reports).T

# %%
# A bare booster
# --------------
# ``lightgbm.train`` and ``xgboost.train`` return a ``Booster``, not a
# scikit-learn model; a fitted model holds one too (``model.booster_``,
# ``model.get_booster()``). skl2onnx cannot convert a booster, but
# onnxmltools can, directly: :func:`onnxmltools.convert_lightgbm` and
# :func:`onnxmltools.convert_xgboost`, with input types from
# ``onnxmltools.convert.common.data_types``. They write older opsets by default
# (and accept at most opset 15), which any recent ONNX Runtime runs.
#
# A booster trained for binary classification predicts the probability of
# class 1; the ONNX model returns a label and both probabilities.
import onnxmltools
from onnxmltools.convert.common.data_types import FloatTensorType

booster_inputs = [("X", FloatTensorType([None, X_train.shape[1]]))]
lgbm_booster_onnx = onnxmltools.convert_lightgbm(
    lgbm_model.booster_, initial_types=booster_inputs, zipmap=False
)
xgb_booster_onnx = onnxmltools.convert_xgboost(
    xgb_model.get_booster(), initial_types=booster_inputs
)

from xgboost import DMatrix

booster_rows = []
for name, onnx_model, booster_proba in [
    ("LightGBM", lgbm_booster_onnx, lgbm_model.booster_.predict(X_test)),
    ("XGBoost", xgb_booster_onnx, xgb_model.get_booster().predict(DMatrix(X_test))),
]:
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    onnx_proba = session.run(["probabilities"], {"X": X_test32})[0]
    np.testing.assert_allclose(onnx_proba[:, 1], booster_proba, atol=ATOL, rtol=0)
    booster_rows.append(
        {
            "booster": name,
            "opsets": {
                o.domain or "ai.onnx": o.version for o in onnx_model.opset_import
            },
            "largest probability difference": np.abs(
                onnx_proba[:, 1] - booster_proba
            ).max(),
        }
    )

pd.DataFrame(booster_rows)

# %%
# How do the speeds compare?
# --------------------------
# :func:`helpers.benchmark` times each library's own ``predict_proba``
# against ONNX Runtime's public ``session.run`` on the same model, for one
# row, 100 rows and 10,000 rows, in interleaved paired rounds, and gives each
# speed-up with its 95% interval and a verdict. Each side gets what it would
# get in your code:
#
# * the library gets the float64 rows it was trained on; the session gets a
#   float32 copy of the same rows, made before timing (it looks the copy up
#   by batch size, as in :ref:`with_helpers`);
# * one row and 100 rows, a request at a time: one thread on both sides (the
#   model as trained, ``n_jobs=1``; the ``"latency"`` preset);
# * 10,000 rows, batch scoring: the library both as trained (``n_jobs=1``)
#   and on every core (a copy of the model with ``n_jobs=-1``), timed in the
#   same rounds as ONNX Runtime with the ``"throughput"`` preset (one thread
#   per core), which is compared with the faster of the two, the one with the
#   lower median. :func:`helpers.benchmark` waits until the process is idle
#   before each timing, so a session's spinning threads do not take cores
#   from the library timed next.
#
# The 10,000-row batch is the test rows repeated (``take_rows``; the line
# below says how often), so the trees walk the same paths again, which may
# flatter the large-batch times of both sides.
import copy

SMALL_SIZES, LARGE = (1, 100), 10_000
batch_sizes = (*SMALL_SIZES, LARGE)
ONNX = "ONNX Runtime"
float32_batches = {size: take_rows(X_test32, size) for size in batch_sizes}
print(
    f"{len(X_test):,} test rows, repeated {LARGE / len(X_test):.3g} times "
    f"over to fill the {LARGE:,}-row batch"
)


def session_run(session):
    """``session.run`` on the float32 copy of the batch, made before timing."""
    return lambda batch: session.run(
        ["probabilities"],
        {"X": float32_batches[len(batch)]},
    )


small_timings, large_timings = {}, {}  # by library
for library, model in [("LightGBM", lgbm_model), ("XGBoost", xgb_model)]:
    all_cores = copy.deepcopy(model).set_params(n_jobs=-1)
    onnx_model = helpers.convert(model, X_train[:1])
    latency = helpers.OnnxPredictor(onnx_model, preset="latency").session
    # row_workers=1: the throughput preset's session alone, without the row split
    # the predictor adds for tree ensembles (see :ref:`cores_and_batch_size`)
    throughput = helpers.OnnxPredictor(
        onnx_model, preset="throughput", row_workers=1
    ).session
    small_timings[library] = helpers.benchmark(
        {f"{library}, n_jobs=1": model.predict_proba, ONNX: session_run(latency)},
        X_test,
        batch_sizes=SMALL_SIZES,
        budget=1.5,
    )
    large_timings[library] = helpers.benchmark(
        {
            f"{library}, n_jobs=1": model.predict_proba,  # as trained
            f"{library}, n_jobs=-1": all_cores.predict_proba,
            ONNX: session_run(throughput),
        },
        X_test,
        batch_sizes=(LARGE,),
        budget=1.5,
    )


def timing_of(library, size):
    """The benchmark that timed ``library`` at ``size`` rows."""
    return (large_timings if size == LARGE else small_timings)[library]


def baseline(library, size):
    """What ONNX Runtime is compared with: the library's candidate with the
    lower median (as trained, the only one below 10,000 rows)."""
    result = timing_of(library, size)
    settings = [candidate for candidate in result.candidates if candidate != ONNX]
    return min(settings, key=lambda candidate: result.median(candidate, size))


def ratio(value):
    """``0.87x``, ``4.2x``, ``1,988x``: the digits that matter."""
    if value < 1:
        return f"{value:.2f}x"
    return f"{value:,.1f}x" if value < 10 else f"{value:,.0f}x"


def speed_table(library):
    """Per batch size and candidate: the median time and, but for the library
    as trained (the benchmark's baseline), the speed-up against ``against``,
    its interval and verdict."""
    rows = []
    for size in batch_sizes:
        result = timing_of(library, size)
        for candidate in result.candidates:
            row = {"batch_size": size, "candidate": candidate}
            row["median_us"] = result.median(candidate, size) * 1e6
            if candidate != result.baseline:
                against = result.baseline
                if candidate == ONNX:
                    against = baseline(library, size)
                speedup, low, high = result.interval(candidate, size, against)
                verdict = result.verdict(candidate, size, against)
                row |= {"against": against, "speedup": speedup, "low": low}
                row |= {"high": high, "verdict": verdict}
            rows.append(row)
    table = pd.DataFrame(rows).set_index(["batch_size", "candidate"])
    formats = {
        "median_us": "{:,.0f}",
        **dict.fromkeys(["speedup", "low", "high"], ratio),
    }
    return table.style.format(formats, na_rep="")


speed_table("LightGBM")

# %%
speed_table("XGBoost")

# %%
# The timings describe this machine, measured while the page was built:
helpers.machine_summary()

# %%
# The speed-up is the library's time over ONNX Runtime's, the median of the
# paired rounds: above 1, ONNX Runtime is faster. The figure puts both
# libraries side by side, each speed-up with its 95% interval shaded.
import matplotlib.pyplot as plt


def said(library, batch_size):
    """ONNX Runtime against ``library``'s baseline: speed-up, interval and
    verdict, in words."""
    result, against = timing_of(library, batch_size), baseline(library, batch_size)
    speedup, low, high = result.interval(ONNX, batch_size, against)
    outcome = result.verdict(ONNX, batch_size, against)
    return f"{ratio(speedup)} ({ratio(low)}-{ratio(high)}), {outcome}"


fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
for library in small_timings:
    intervals = np.array(
        [
            timing_of(library, size).interval(ONNX, size, baseline(library, size))
            for size in batch_sizes
        ]
    )
    ax.plot(batch_sizes, intervals[:, 0], marker="o", label=library)
    ax.fill_between(batch_sizes, intervals[:, 1], intervals[:, 2], alpha=0.2)
ax.axhline(1, color="grey", linestyle="--", linewidth=1)
ax.set(
    xscale="log",
    yscale="log",
    xlabel="batch size (rows per call)",
    ylabel="speed-up of ONNX Runtime (x)",
)
ax.legend(title="against its own predict_proba\n(10,000 rows: faster n_jobs)")
ax.set_title(
    "ONNX Runtime's speed-up, 95% interval and verdict\n"
    f"one row: LightGBM {said('LightGBM', 1)}; XGBoost {said('XGBoost', 1)}\n"
    f"10,000 rows: LightGBM {said('LightGBM', LARGE)}; "
    f"XGBoost {said('XGBoost', LARGE)}",
    fontsize=10,
)
plt.show()

# %%
# What this run shows
# -------------------
# For one row, each library spends much of its time outside the trees:
# checking the input, preparing it for its C++ core, and calling it. The
# times give a lower bound on that share: a call of 100 rows costs the fixed
# part once plus 100 rows of tree work, so one row's tree work is at most a
# hundredth of it, and the rest of a one-row call is fixed cost (both on one
# thread). For large batches the work is in the trees: the first lines below
# say which of the library's settings was faster at 10,000 rows (the lower
# median, with its interval against the other), and the verdict against it
# says whether ONNX Runtime's tree code, on every core, beats the library's
# best on this machine. The sentences are formatted from the benchmarks'
# ``verdict`` column.
for library, result in large_timings.items():
    faster = baseline(library, LARGE)
    other = next(c for c in result.candidates if c not in (faster, ONNX))
    speedup, low, high = result.interval(faster, LARGE, other)
    verdict = result.verdict(faster, LARGE, other)
    print(
        f"{library}, {LARGE:,} rows: {faster!r} (lower median) against "
        f"{other!r}: {ratio(speedup)} ({ratio(low)}-{ratio(high)}), {verdict}"
    )
for library, result in small_timings.items():
    one_row = result.median(result.baseline, 1)
    per_row_in_100 = result.median(result.baseline, 100) / 100
    fixed = 1 - per_row_in_100 / one_row
    print(f"{library}: at least {fixed:.0%} of a one-row call is fixed cost")
    assert per_row_in_100 < one_row / 2
for library in small_timings:
    for size in batch_sizes:
        rows = f"{size:,} row" + ("s" if size > 1 else "")
        print(f"{library}, {rows}: ONNX Runtime {said(library, size)}")
    assert small_timings[library].verdict(ONNX, 1) == "faster", library

# %%
# In short
# --------
# * Register onnxmltools' converters once (``register_boosting_converters``)
#   and convert with both opsets named (``helpers.convert`` does it).
# * Check agreement on your own data: an XGBoost pipeline with arithmetic
#   preprocessing needs float64 inputs and a ``CastTransformer`` before the
#   booster.
# * A bare booster converts with ``onnxmltools.convert_lightgbm`` /
#   ``convert_xgboost``.
# * Speed: measure at the batch sizes you serve. ONNX Runtime against each
#   library in this run, by verdict:
for library in small_timings:
    sizes_by_verdict = {}
    for size in batch_sizes:
        verdict = timing_of(library, size).verdict(ONNX, size, baseline(library, size))
        sizes_by_verdict.setdefault(verdict, []).append(f"{size:,}")
    parts = [
        f"{verdict} at {', '.join(sizes)} rows"
        for verdict, sizes in sizes_by_verdict.items()
    ]
    print(f"against {library}: " + "; ".join(parts))
