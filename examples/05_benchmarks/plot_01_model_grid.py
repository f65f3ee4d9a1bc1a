"""
.. _model_grid:

The model grid: where ONNX Runtime wins, and where it loses
===========================================================

Thirteen model families (linear models, an SVM, nearest neighbours, trees,
forests, boosting, a neural network, pipelines and regressors), five batch
sizes from one row to 10,000, three ways to predict: scikit-learn, ONNX
Runtime as skl2onnx and onnxruntime give it by default, and ONNX Runtime
through ``helpers``. You will learn where ONNX Runtime is faster, where it is
slower and why (ZipMap, threads, the nearest-neighbours conversion), and
which converter options make each family fast without changing a single
prediction. It follows :ref:`lightgbm_xgboost` and builds on :ref:`with_helpers`.

The lesson runs in about 40 seconds with the default ``BUDGET``; raise it
(see below) for steadier figures.
"""

# %%
# The time budget
# ---------------
# The whole lesson times 13 families at 5 batch sizes: at least three
# interleaved repeats of every measurement, however small the budget. ``BUDGET``
# is the number of seconds :func:`helpers.benchmark` may spend on top of those
# three repeats, shared by all the families; each measurement stops at seven
# repeats. The docs build uses a small budget, so its figures are noisy
# (a few tens of percent, more when the machine is busy). For figures to
# publish, set ``BUDGET = 600`` on an idle machine and let it run for
# about ten minutes.
BUDGET = 16.0
BATCH_SIZES = (1, 10, 100, 1_000, 10_000)

# %%
# Data
# ----
# Synthetic, seeded, small: 1,000 training rows and 20 features, as in a
# typical tabular model. The regression target is scaled to unit variance so
# that the same absolute tolerance means the same thing for every family. A
# third dataset, a DataFrame with numeric and text columns, feeds the
# ColumnTransformer pipeline. Timings run on 1,000 held-out rows, repeated
# to make the larger batches.
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split

X, y = make_classification(n_samples=2_000, n_features=20, n_informative=10, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=1_000, random_state=0)
X_reg, y_reg = make_regression(n_samples=2_000, n_features=20, n_informative=10, noise=10, random_state=0)
y_reg = y_reg / y_reg.std()
X_reg_train, X_reg_test, y_reg_train, y_reg_test = train_test_split(
    X_reg, y_reg, train_size=1_000, random_state=0
)


def to_frame(X: np.ndarray) -> pd.DataFrame:
    """Eight numeric columns (float32) and two text columns binned from two more."""
    frame = pd.DataFrame(X[:, :8].astype(np.float32), columns=[f"x{i}" for i in range(8)])
    frame["size"] = np.where(X[:, 8] > 0, "large", "small")
    frame["colour"] = np.array(["red", "green", "blue"])[np.digitize(X[:, 9], [-0.5, 0.5])]
    return frame


frame_train, frame_test = to_frame(X_train), to_frame(X_test)
frame_test.head(3)

# %%
# The families
# ------------
# Small models, as a serving tutorial needs: 51 trees for the forests,
# 50 boosting rounds, one hidden layer of 32 units. Why 51 and not 50: the
# forests' trees are grown until their leaves are pure, so each tree votes
# for one class, and with an even number of trees a row can get exactly half
# the votes for each class. scikit-learn then picks the first class, while
# ONNX Runtime, which sums the votes in float32, may pick the other: a label
# mismatch on a tie, not an error of the conversion. An odd number of trees
# has no ties. The SVM is scikit-learn's
# ``SVC`` without ``probability=True`` (deprecated in scikit-learn 1.9), so
# its runtimes are compared on labels; every other classifier on
# ``predict_proba``, every regressor on ``predict``.
import warnings

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

mixed_columns = ColumnTransformer(
    [
        ("numbers", StandardScaler(), [f"x{i}" for i in range(8)]),
        ("text", OneHotEncoder(handle_unknown="ignore"), ["size", "colour"]),
    ]
)
# family name -> (model, data: "array", "regression" or "frame")
families = {
    "logistic regression": (LogisticRegression(max_iter=1_000), "array"),
    "SVM (SVC, labels)": (SVC(), "array"),
    "k-nearest neighbours": (KNeighborsClassifier(), "array"),
    "decision tree": (DecisionTreeClassifier(max_depth=10, random_state=0), "array"),
    "random forest": (RandomForestClassifier(n_estimators=51, random_state=0), "array"),
    "extra trees": (ExtraTreesClassifier(n_estimators=51, random_state=0), "array"),
    "gradient boosting": (GradientBoostingClassifier(n_estimators=50, random_state=0), "array"),
    "hist gradient boosting": (HistGradientBoostingClassifier(max_iter=50, random_state=0), "array"),
    "MLP": (MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0), "array"),
    "scaler + logistic": (make_pipeline(StandardScaler(), LogisticRegression(max_iter=1_000)), "array"),
    "ColumnTransformer (DataFrame)": (make_pipeline(mixed_columns, LogisticRegression()), "frame"),
    "ridge (regressor)": (Ridge(), "regression"),
    "random forest (regressor)": (RandomForestRegressor(n_estimators=51, random_state=0), "regression"),
}
training = {
    "array": (X_train, y_train, X_test, y_test),
    "regression": (X_reg_train, y_reg_train, X_reg_test, y_reg_test),
    "frame": (frame_train, y_train, frame_test, y_test),
}
scores = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # the MLP stops at 300 epochs on purpose
    for name, (model, data) in families.items():
        train_X, train_y, test_X, test_y = training[data]
        scores[name] = model.fit(train_X, train_y).score(test_X, test_y)
pd.Series(scores, name="test score (accuracy, or R² for regressors)").round(3).to_frame()

# %%
# Two ways to run a model with ONNX Runtime
# -----------------------------------------
# **The defaults**, as the skl2onnx and onnxruntime galleries write them: one
# float32 row tells :func:`skl2onnx.to_onnx` the input type, the session
# keeps onnxruntime's default settings (one thread per core, threads spinning
# while they wait), and ``session.run(None, ...)`` returns every output. A
# classifier's probabilities then come as ZipMap's list of dicts.
import onnxruntime as ort
from skl2onnx import to_onnx

model = families["logistic regression"][0]
default_onnx = to_onnx(model, X_train[:1].astype(np.float32))
default_session = ort.InferenceSession(default_onnx.SerializeToString(), providers=["CPUExecutionProvider"])
X_test32 = X_test.astype(np.float32)
default_session.run(None, {"X": X_test32[:2]})

# %%
# **Through helpers**: :func:`helpers.convert` hides
# ``to_onnx(..., options={"zipmap": False, ...})`` and adds the converter
# options that are faster for a family (:data:`helpers.convert.FAST_OPTIONS`,
# shown at the end of this lesson); :class:`helpers.OnnxPredictor` hides
# ``InferenceSession(..., sess_options)``, with the ``"latency"`` preset (one
# thread) for small batches and the ``"throughput"`` preset (one thread per
# core) for large ones. Neither preset lets idle threads spin.
import helpers

helpers.OnnxPredictor(helpers.convert(model, X_train[:1]), preset="latency").predict_proba(X_test32[:2])

# %%
# Convert every family both ways, and check both
# ----------------------------------------------
# Each conversion is checked against scikit-learn on the 1,000 test rows:
# same labels, probabilities or predictions within ``atol=1e-5`` plus
# ``rtol=1e-4`` (float32 rounding, nothing more; the regression target has
# unit variance, so 1e-5 is small next to it). The default conversion is
# checked through an :class:`~helpers.OnnxPredictor`, which turns ZipMap's
# dicts back into an array. skl2onnx 1.20 reads ``SVC``'s deprecated
# ``probA_`` attribute during conversion; the warning scikit-learn 1.9 gives
# for it is harmless and silenced here.
LARGE_BATCH = 1_000  # from this batch size on, the helpers route uses the throughput preset


def by_batch_size(small_batches, large_batches):
    """One predict function that picks the predictor suited to the batch size."""

    def predict(batch):
        return (large_batches if len(batch) >= LARGE_BATCH else small_batches)(batch)

    return predict


conversions = {}  # family -> {"skl2onnx default": ONNX model, "helpers.convert": ONNX model}
predictors = {}  # family -> functions to time, one per runtime
checks = []
for name, (model, data) in families.items():
    _, _, test_X, _ = training[data]
    sample = test_X[:1] if data == "frame" else test_X[:1].astype(np.float32)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Attribute `prob", category=FutureWarning)
        default_onnx = to_onnx(model, sample)
        helpers_onnx = helpers.convert(model, test_X[:1])
    conversions[name] = {"skl2onnx default": default_onnx, "helpers.convert": helpers_onnx}
    for route, onnx_model in [("default", default_onnx), ("helpers", helpers_onnx)]:
        report = helpers.compare(model, helpers.OnnxPredictor(onnx_model), test_X)
        checks.append(
            {
                "family": name,
                "conversion": route,
                "labels agree": report.label_agreement,
                "compared": report.values,
                "max abs diff": report.max_abs_diff,
                "max rel diff": report.max_rel_diff,
                "ok": report.ok,
            }
        )
        assert report.ok, f"{name}, {route} conversion:\n{report!r}"

    session = ort.InferenceSession(default_onnx.SerializeToString(), providers=["CPUExecutionProvider"])
    small = helpers.OnnxPredictor(helpers_onnx, preset="latency")
    large = helpers.OnnxPredictor(helpers_onnx, preset="throughput")
    method = "predict" if data == "regression" or not hasattr(model, "predict_proba") else "predict_proba"
    if data == "frame":

        def default_run(batch, session=session):
            # one (n, 1) array per column: part of serving a DataFrame, so it is timed
            return session.run(None, {column: batch[column].to_numpy().reshape(-1, 1) for column in batch})

    else:

        def default_run(batch, session=session):
            return session.run(None, {"X": batch})

    predictors[name] = {
        "scikit-learn": getattr(model, method),
        "ONNX Runtime, defaults": default_run,
        "ONNX Runtime, helpers": by_batch_size(getattr(small, method), getattr(large, method)),
    }

checks_table = pd.DataFrame(checks).set_index(["family", "conversion"])
checks_table.style.format({"labels agree": "{:.0%}", "max abs diff": "{:.1e}", "max rel diff": "{:.1e}"})

# %%
# Every conversion agrees, both ways, for all 13 families:
# the table shows the largest differences and the verdicts, and the loop above
# asserts each one.
# (The nearest-neighbours converter has one known exception, outside this
# grid: with ``weights="distance"`` skl2onnx 1.20 loses the distance weights,
# with or without the option below, so its probabilities differ.)
assert checks_table["ok"].all()

# %%
# Time the grid
# -------------
# For each family, :func:`helpers.benchmark` times the three runtimes on the
# same batches, prepared before timing (float32 arrays; the DataFrame for the
# ColumnTransformer, whose conversion into ONNX inputs is part of each
# runtime's work), interleaved, and reports medians. scikit-learn is the
# baseline: a speed-up above 1 means ONNX Runtime is faster.
#
# Each ONNX Runtime route is timed in its own benchmark, interleaved with
# scikit-learn. Timing all three together would be unfair: after each call,
# the default session's threads keep spinning for a while, and on a 2-core
# machine they slow whatever runs next, scikit-learn's own threads
# (histogram boosting, nearest neighbours) most of all. That would inflate
# scikit-learn's times, and every speed-up with them.
runtimes = ["ONNX Runtime, defaults", "ONNX Runtime, helpers"]
results = {}  # (family, runtime) -> BenchmarkResult of scikit-learn and that runtime
for name, candidates in predictors.items():
    _, _, test_X, _ = training[families[name][1]]
    bench_X = test_X if families[name][1] == "frame" else test_X.astype(np.float32)
    for runtime in reversed(runtimes):  # helpers first, before any default session has spun
        results[name, runtime] = helpers.benchmark(
            {"scikit-learn": candidates["scikit-learn"], runtime: candidates[runtime]},
            bench_X,
            batch_sizes=BATCH_SIZES,
            budget=0.75 * BUDGET / len(predictors) / 2,
        )


def ratio_label(ratio: float) -> str:
    """2 significant digits below 10x, whole numbers above: 0.21x, 3.4x, 590x."""
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


grid = pd.concat(
    [result.to_frame().assign(family=name, runtime=runtime) for (name, runtime), result in results.items()],
    ignore_index=True,
)
speedups = grid[grid["candidate"] != "scikit-learn"].pivot_table(
    index="family", columns=["candidate", "batch_size"], values="speedup", sort=False
)
print(f"timed in {sum(r.seconds for r in results.values()):.1f} s")
speedups.style.format(ratio_label)

# %%
# The heat-map
# ------------
# Each cell is a ratio of medians, scikit-learn's time over ONNX Runtime's:
# blue where ONNX Runtime is faster, red where it is slower, white at 1x. The
# colour scale is logarithmic and centred on 1x, so 10x faster and 10x slower
# get colours of the same strength.
import matplotlib.pyplot as plt
from matplotlib.colors import TwoSlopeNorm

log_ratio = {runtime: np.log10(speedups[runtime].to_numpy()) for runtime in runtimes}
limit = max(np.abs(values).max() for values in log_ratio.values())
norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)

fig, axes = plt.subplots(1, 2, figsize=(12, 6.5), layout="constrained", sharey=True)
# sphinx_gallery_thumbnail_number = 1
for ax, runtime in zip(axes, runtimes, strict=True):
    image = ax.imshow(log_ratio[runtime], cmap="RdBu", norm=norm, aspect="auto")
    for (row, column), value in np.ndenumerate(speedups[runtime].to_numpy()):
        ax.text(column, row, ratio_label(value), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(BATCH_SIZES)), [f"{b:,}" for b in BATCH_SIZES])
    ax.set_yticks(range(len(speedups)), speedups.index)
    ax.set_xlabel("batch size (rows per call)")
    losses = int((speedups[runtime] < 1).to_numpy().sum())
    ax.set_title(f"{runtime}: slower in {losses} of {speedups[runtime].size} cells")
colorbar = fig.colorbar(image, ax=axes, shrink=0.8)
ticks = [t for t in (0.01, 0.1, 0.3, 1, 3, 10, 100, 1000) if abs(np.log10(t)) <= limit]
colorbar.set_ticks(np.log10(ticks), labels=[f"{t:g}x" for t in ticks])
colorbar.set_label("speed-up against scikit-learn (log scale)")
helpers_one_row = speedups["ONNX Runtime, helpers"][1]
fig.suptitle(
    f"For one row, ONNX Runtime through helpers is {ratio_label(helpers_one_row.min())} to "
    f"{ratio_label(helpers_one_row.max())} as fast as scikit-learn"
)
plt.show()

# %%
# Latency against batch size
# --------------------------
# The same medians as times per call, one panel per family. The lines cross
# where a runtime's fixed cost per call stops mattering and its cost per row
# takes over.
# scikit-learn's times are those of the benchmark it shared with the
# helpers route.
shown = (grid["candidate"] == grid["runtime"]) | (grid["runtime"] == "ONNX Runtime, helpers")
latency = grid[shown].pivot_table(
    index=["family", "candidate"], columns="batch_size", values="median_us", sort=False
)
n_families = len(predictors)
fig, axes = plt.subplots(4, 4, figsize=(13, 12), layout="constrained")
for ax, name in zip(axes.ravel()[:n_families], predictors, strict=True):
    for index, candidate in enumerate(["scikit-learn", *runtimes]):
        ax.plot(BATCH_SIZES, latency.loc[(name, candidate)], marker="o", markersize=3, color=f"C{index}")
    ax.set(xscale="log", yscale="log", title=name)
    ax.grid(True, alpha=0.3)
for ax in axes[:, 0]:
    ax.set_ylabel("time per call (µs)")
for ax in axes.ravel()[n_families - axes.shape[1] : n_families]:  # the lowest panel of each column
    ax.set_xlabel("batch size (rows)")
for ax in axes.ravel()[n_families:]:
    ax.axis("off")
axes[0, 0].legend(["scikit-learn", *runtimes], fontsize=8)
at_one_row = latency[1].unstack()
fig.suptitle(
    f"One row costs scikit-learn {at_one_row['scikit-learn'].min():.0f} µs to "
    f"{at_one_row['scikit-learn'].max():.0f} µs per call, ONNX Runtime through helpers "
    f"{at_one_row['ONNX Runtime, helpers'].min():.0f} µs at best"
)
plt.show()

# %%
# Where ONNX Runtime wins, and where it loses
# -------------------------------------------
# Read from this run's numbers: the cells where each ONNX Runtime route is
# slower than scikit-learn.
for runtime in runtimes:
    slower = speedups[runtime].stack()
    slower = slower[slower < 1].sort_values()
    cells = ", ".join(
        f"{family} at {batch:,} row{'s' if batch > 1 else ''} ({ratio:.2g}x)"
        for (family, batch), ratio in slower.items()
    )
    print(f"{runtime}: slower in {len(slower)} cells: {cells or 'none'}")

# %%
# At one row, scikit-learn's cost is mostly per call: input validation, and
# for the ensembles a loop over trees in Python or a thread pool. ONNX Runtime
# runs one compiled graph, so it wins by a wide margin for every family
# converted with the right options. Histogram gradient boosting's ratios are
# the least stable from run to run: scikit-learn predicts it on an OpenMP
# thread pool, whose time per call can jump when other programs use the
# cores. The checks below use wide margins for the same reason.
one_row = speedups["ONNX Runtime, helpers"][1]
assert one_row["random forest"] > 10, one_row["random forest"]
assert (one_row > 1).all(), one_row[one_row <= 1]
one_row.sort_values().to_frame("speed-up at one row (helpers)").style.format("{:.1f}x")

# %%
# At 10,000 rows the picture depends on the family. Four things separate
# the routes:
#
# * **ZipMap.** The default classifier conversion turns every row's
#   probabilities into a Python dict. At 10,000 rows that can cost more than
#   the model itself, most visibly for a linear model.
# * **The nearest-neighbours conversion.** By default skl2onnx computes the
#   distances to the 1,000 training rows with a ``Scan`` loop, one test row at
#   a time; ``helpers.convert`` asks for the ``CDist`` operator instead (next
#   sections).
# * **Threads.** The default session uses one thread per core, spinning while
#   they wait for work; the helpers route uses one thread below 1,000 rows and
#   one per core from 1,000 rows on, without spinning. Which is faster depends
#   on the model and the machine: the next section measures it for the linear
#   model.
# * **Input checks.** :class:`~helpers.OnnxPredictor` checks what it is given
#   and, for a DataFrame, matches the columns by name and turns the text
#   columns into ONNX strings in Python on every call. The raw
#   ``session.run`` of the defaults route trusts its input, so for the
#   ColumnTransformer it can be faster at small batches.
#
# Where the helpers route is still slower than scikit-learn at 10,000 rows,
# no converter option changes it (see the last sections): the remaining gap
# is between two compiled implementations of the same model.
# scikit-learn's per-call overhead is spread over 10,000 rows, and its
# forests and boosting walk each tree over the whole batch in Cython; ONNX
# Runtime's tree operator is not faster at that for these models, a gap
# reported to onnxruntime as early as 2019 (issue 827, "onnxruntime slower
# than scikit in batch predictions").
at_10k = pd.DataFrame({runtime: speedups[runtime][10_000] for runtime in runtimes})
at_10k.style.format("{:.2f}x").set_caption("speed-up against scikit-learn at 10,000 rows")

# %%
# Threads, measured
# -----------------
# The helpers route switches to one thread per core from 1,000 rows on. A
# second thread helps when there is enough work to share; a linear model's
# work at 10,000 rows is one small matrix product, and waking a second thread
# may cost about as much as it saves. The same converted logistic regression
# with both presets, at 10,000 rows:
logistic = families["logistic regression"][0]
logistic_onnx = conversions["logistic regression"]["helpers.convert"]
threads = helpers.benchmark(
    {
        "scikit-learn": logistic.predict_proba,
        "one thread (latency)": helpers.OnnxPredictor(logistic_onnx, preset="latency").predict_proba,
        "one per core (throughput)": helpers.OnnxPredictor(logistic_onnx, preset="throughput").predict_proba,
    },
    X_test32,
    batch_sizes=(10_000,),
    budget=0.05 * BUDGET,
)
one_thread = threads.speedup("one thread (latency)", 10_000, baseline="one per core (throughput)")
print(f"one thread is {one_thread:.2f}x as fast as one thread per core for this model at 10,000 rows")
threads

# %%
# The fastest correct conversion per family
# -----------------------------------------
# Which converter options are faster and still exact? The converters of
# these families accept ``zipmap`` (the format of the probabilities),
# ``nocl`` and ``output_class_labels`` (how labels are output), ``raw_scores``
# (scores instead of probabilities: other outputs, so not a candidate),
# ``decision_path`` and ``decision_leaf`` (extra outputs for trees), and
# ``optim`` (``"cdist"``, for nearest neighbours only). The linear models, the
# SVM, the MLP and the tree ensembles have no option that computes the same
# outputs another way, so two options remain: ``zipmap=False`` for every
# classifier, and ``optim="cdist"`` for nearest neighbours.
# :func:`helpers.convert` applies both by default; its table of per-estimator
# options is :data:`helpers.convert.FAST_OPTIONS`:
from helpers.conversion import FAST_OPTIONS

{estimator.__name__: options for estimator, options in FAST_OPTIONS.items()}

# %%
# The nearest-neighbours graph, before and after: the ``Scan`` loop gives
# way to one ``CDist`` node from onnxruntime's ``com.microsoft`` domain. It
# implements the euclidean metric only, so ``helpers.convert`` applies the
# option only to models whose fitted ``effective_metric_`` is
# ``"euclidean"`` (scikit-learn's default).
knn = families["k-nearest neighbours"][0]
{
    "skl2onnx default": sorted({node.op_type for node in to_onnx(knn, X_test32[:1]).graph.node}),
    "helpers.convert": sorted({node.op_type for node in helpers.convert(knn, X_test[:1]).graph.node}),
}

# %%
# Before and after, for every classifier, in the same session (the preset the
# helpers route uses at that batch size) so that only the conversion differs:
# skl2onnx's default conversion against :func:`helpers.convert`. Both run
# ``session.run(None, ...)``, the raw call, so the ratio is the conversion's
# alone. One row and 1,000 rows keep this section short; the grid above has
# 10,000. (The regressors have no ZipMap and no option of the table: their
# two conversions are the same graph.)
before_after = {}
for name, (_, data) in families.items():
    if data == "regression":
        continue
    _, _, test_X, _ = training[data]
    bench_X = test_X if data == "frame" else test_X.astype(np.float32)
    for batch_size in (1, 1_000):
        preset = "throughput" if batch_size >= LARGE_BATCH else "latency"
        candidates = {}
        for label, onnx_model in conversions[name].items():
            session = ort.InferenceSession(
                onnx_model.SerializeToString(),
                helpers.session_options(preset),
                providers=["CPUExecutionProvider"],
            )
            if data == "frame":
                candidates[label] = lambda batch, s=session: s.run(
                    None, {column: batch[column].to_numpy().reshape(-1, 1) for column in batch}
                )
            else:
                candidates[label] = lambda batch, s=session: s.run(None, {"X": batch})
        result = helpers.benchmark(candidates, bench_X, batch_sizes=(batch_size,), budget=0.2 * BUDGET / 20)
        before_after[name, batch_size] = result.speedup("helpers.convert", batch_size)

before_after = (
    pd.Series(before_after).unstack().reindex(list(dict.fromkeys(name for name, _ in before_after)))
)
before_after.columns = ["1 row", "1,000 rows"]
before_after.style.format("{:.2f}x").set_caption("helpers.convert against skl2onnx's default conversion")

# %%
# The conversion explains most of the defaults' losses: nearest neighbours
# gain at every batch size, and the classifiers gain at 1,000 rows, where
# ZipMap builds 1,000 dicts, most where the model itself is cheap. At one row
# ZipMap costs little, so the ratio there is close to 1 (noise can put it on
# either side).
assert before_after.loc["k-nearest neighbours", "1 row"] > 2
assert before_after.loc["logistic regression", "1,000 rows"] > 2
knn_gain = before_after.loc["k-nearest neighbours"]
print(
    f"CDist instead of Scan: {knn_gain['1 row']:.0f}x faster at one row, "
    f"{knn_gain['1,000 rows']:.0f}x at 1,000 rows; "
    "ZipMap off for the logistic regression at 1,000 rows: "
    f"{before_after.loc['logistic regression', '1,000 rows']:.1f}x faster"
)

# %%
# What to take away
# -----------------
# * For one request at a time, ONNX Runtime through ``helpers`` beats
#   scikit-learn for every family here, by the widest margins for ensembles.
# * For large batches, check your own family in the table above: the
#   defaults can make ONNX Runtime slower than scikit-learn (ZipMap, the
#   ``Scan`` distances), and even the fastest conversion can stay slower
#   where scikit-learn's own code already works on the whole batch in
#   compiled loops, as for the tree ensembles here.
# * Convert with ``zipmap=False`` and, for nearest neighbours,
#   ``optim="cdist"``; :func:`helpers.convert` does both. Pick the session
#   preset by batch size.
# * Measure on your machine, with your model: set ``BUDGET`` higher and run
#   this lesson again.
