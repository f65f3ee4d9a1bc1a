"""
.. _model_grid:

The model grid: where ONNX Runtime wins, and where it loses
===========================================================

Six model families, three batch sizes, and for each family one benchmark
that times every way to predict side by side: scikit-learn as it comes,
scikit-learn with ``n_jobs=-1`` where its prediction uses it, ONNX Runtime's
public ``session.run``, and ``helpers``' :class:`~helpers.OnnxPredictor`. You
will learn to read speed-ups with their intervals and verdicts, and where
ONNX Runtime is faster or slower than scikit-learn on this machine. It
follows :ref:`lightgbm_xgboost` and builds on :ref:`with_helpers`.

It runs in about 40 seconds on the machine that builds these pages.
"""

# %%
# The time budget
# ---------------
# Every cell of the grid is a speed-up with a 95% interval, computed from
# paired rounds: each round times every candidate once, in a shuffled order
# (:func:`helpers.benchmark`). The interval narrows as rounds accumulate, so
# each cell gets at least ``ROUNDS`` of them, whatever the budget;
# ``BUDGET`` is the number of seconds the timings may take in all, shared by
# the cells, and more rounds are timed while it lasts. To keep the docs build
# short, the grid holds six families and three batch sizes rather than fewer
# rounds. Raise ``BUDGET`` for narrower intervals, or add your own family
# below.
ROUNDS = 15
BUDGET = 14.0
BATCH_SIZES = (1, 100, 10_000)

# %%
# Data and models
# ---------------
# Synthetic, seeded, small: 1,000 training rows and 20 features, as in a
# typical tabular model; timings run on the 1,000 held-out rows, repeated to
# make the largest batch. Six families: a linear model, nearest neighbours, a
# small neural network and three tree ensembles (51 trees for the forest, 50
# boosting rounds for the others). The forest has an odd number of trees: its
# fully grown trees each vote for one class, and an even number could tie,
# where scikit-learn and ONNX Runtime (which sums in float32) may break the
# tie differently.
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier

X, y = make_classification(
    n_samples=2_000,
    n_features=20,
    n_informative=10,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    train_size=1_000,
    random_state=0,
)
families = {
    "logistic regression": LogisticRegression(max_iter=1_000),
    "k-nearest neighbours": KNeighborsClassifier(),
    "MLP": MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0),
    "random forest": RandomForestClassifier(n_estimators=51, random_state=0),
    "gradient boosting": GradientBoostingClassifier(n_estimators=50, random_state=0),
    "hist gradient boosting": HistGradientBoostingClassifier(
        max_iter=50,
        random_state=0,
    ),
}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # the MLP stops at 300
    for model in families.values():
        model.fit(X_train, y_train)
accuracy = {name: model.score(X_test, y_test) for name, model in families.items()}
pd.Series(accuracy, name="test accuracy").to_frame().style.format("{:.3f}")

# %%
# Four ways to predict
# --------------------
# * **scikit-learn**, the fitted model as it comes, on float64 rows, the
#   type it was trained on;
# * **scikit-learn, n_jobs=-1**, the same model set to use every core, for
#   the one family whose prediction uses its ``n_jobs`` setting, the forest
#   (its trees are shared between joblib threads). The logistic regression's
#   ``n_jobs`` is used for fitting only. Nearest neighbours has ``n_jobs``,
#   but this model's ``predict_proba`` (uniform weights, euclidean distance,
#   brute force: scikit-learn picks it for more than 15 features) never reads
#   it: it finds the neighbours with scikit-learn's ``ArgKmin`` reduction,
#   which runs on OpenMP threads, every core by default, whatever ``n_jobs``
#   is. Histogram boosting has no ``n_jobs`` and predicts on OpenMP threads
#   too;
# * **ONNX Runtime session.run**, the call you would copy: the model
#   converted with ``skl2onnx.to_onnx(..., options={"zipmap": False})``
#   (:func:`helpers.convert`, which also picks the ``CDist`` operator for
#   nearest neighbours), ``InferenceSession(model)`` with no options
#   (onnxruntime's defaults: a pool of one thread per physical core, which
#   spins after a call), and ``session.run(["probabilities"], {"X": X32})`` on
#   float32 rows;
# * **OnnxPredictor (helpers)**, the same model through
#   :class:`helpers.OnnxPredictor` with the preset
#   ``helpers.session.preset_for`` picks for the batch size: one thread for
#   a few rows, onnxruntime's defaults from 16 rows, and from 1,000 rows a
#   tree ensemble's rows split over the cores (:ref:`cores_and_batch_size`).
#   After its input checks it calls the session through a private fast
#   path, so it is a separate candidate from ``session.run``.
#
# A spinning thread keeps a core busy after a call and would slow down
# whichever candidate is timed next: :func:`helpers.benchmark` waits until
# the process is idle before each timing (:func:`helpers.timing.settle`).
import copy

import helpers
import onnxruntime as ort
from helpers.benchmark import BenchmarkResult, take_rows
from helpers.session import preset_for

SKLEARN = "scikit-learn"
SKLEARN_ALL_CORES = "scikit-learn, n_jobs=-1"
SESSION_RUN = "ONNX Runtime session.run"
PREDICTOR = "OnnxPredictor (helpers)"
HAS_N_JOBS = {"random forest"}  # the families whose prediction uses n_jobs

onnx_models, sessions, all_cores = {}, {}, {}
for name, model in families.items():
    onnx_models[name] = helpers.convert(model, X_train[:1])
    sessions[name] = ort.InferenceSession(
        onnx_models[name].SerializeToString(),  # no options: the defaults
        providers=["CPUExecutionProvider"],
    )
    if name in HAS_N_JOBS:
        all_cores[name] = copy.deepcopy(model).set_params(n_jobs=-1)

# %%
# Check every route first
# -----------------------
# Each ONNX route must agree with scikit-learn on the 1,000 test rows: the
# same labels, and probabilities within ``atol=1e-5`` plus ``rtol=1e-4``
# (float32 rounding, nothing more). :func:`helpers.compare` checks the
# predictor; the raw session's probabilities are checked directly.
X_test32 = X_test.astype(np.float32)
checks = []
for name, model in families.items():
    report = helpers.compare(model, helpers.OnnxPredictor(onnx_models[name]), X_test)
    assert report.ok, f"{name}:\n{report!r}"
    session_proba = sessions[name].run(["probabilities"], {"X": X_test32})[0]
    sklearn_proba = model.predict_proba(X_test)
    np.testing.assert_allclose(session_proba, sklearn_proba, atol=1e-5, rtol=1e-4)
    checks.append(
        {
            "family": name,
            "labels agree": report.label_agreement,
            "max abs diff": report.max_abs_diff,
            "ok": report.ok,
        }
    )
check_formats = {"labels agree": "{:.0%}", "max abs diff": "{:.1e}"}
pd.DataFrame(checks).style.format(check_formats).hide(axis="index")

# %%
# Time the grid
# -------------
# For each family and batch size the batch is prepared before timing, in
# float64 for scikit-learn and in float32 for ONNX Runtime, and one
# :func:`helpers.benchmark` times the family's candidates in interleaved
# rounds. scikit-learn as it comes is the baseline: a speed-up above 1 means
# faster than it. The measurements of one family, at all batch sizes, are
# then gathered in one :class:`helpers.benchmark.BenchmarkResult`.
helpers.machine_summary()


# %%
# The candidates of one family, for one batch; the float32 copy and the
# predictor with the preset for the batch size are made before timing.


def candidates(name, batch):
    """The family's ways to predict ``batch`` (float64), each a function of it."""
    model, session = families[name], sessions[name]
    batch32 = batch.astype(np.float32)  # made here, outside the timing
    preset = preset_for(len(batch))
    predictor = helpers.OnnxPredictor(onnx_models[name], preset=preset)
    ways = {SKLEARN: model.predict_proba}  # takes the float64 batch it is given
    if name in all_cores:
        ways[SKLEARN_ALL_CORES] = all_cores[name].predict_proba
    ways[SESSION_RUN] = lambda _: session.run(["probabilities"], {"X": batch32})
    ways[PREDICTOR] = lambda _: predictor.predict_proba(batch32)
    return ways


budget_per_cell = BUDGET / (len(families) * len(BATCH_SIZES))
results = {}
for name in families:
    timings = {}
    for batch_size in BATCH_SIZES:
        batch = take_rows(X_test, batch_size)
        cell = helpers.benchmark(
            candidates(name, batch),
            batch,
            batch_sizes=(batch_size,),
            min_repeat=ROUNDS,
            budget=budget_per_cell,
            min_time=0.002,
        )
        timings.update(cell.timings)
    results[name] = BenchmarkResult(
        timings=timings,
        candidates=cell.candidates,
        batch_sizes=list(BATCH_SIZES),
    )
grid = pd.concat(
    [result.to_frame().assign(family=name) for name, result in results.items()],
    ignore_index=True,
)
print(f"{len(grid)} cells, {grid['rounds'].min()} rounds at least")
results["random forest"]

# %%
# The heat-map
# ------------
# One panel per candidate, one cell per family and batch size: the speed-up
# against scikit-learn with its 95% interval. Blue where the verdict is
# "faster", red where it is "slower", the stronger the larger the speed-up
# (log scale, centred on 1x); white where the interval leaves "no clear
# difference". Grey: no such candidate for the family.
import matplotlib.pyplot as plt
from matplotlib.colors import TwoSlopeNorm

shown = [SKLEARN_ALL_CORES, SESSION_RUN, PREDICTOR]
decided = grid["verdict"].isin(["faster", "slower"])
grid["colour"] = np.where(decided, np.log10(grid["speedup"]), 0.0)
limit = float(np.abs(grid["colour"]).max()) or 1.0
norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
family_names = list(families)


def ratio(value):
    return f"{value:.2g}x" if value < 10 else f"{value:,.0f}x"


fig, axes = plt.subplots(1, 3, figsize=(13, 5), layout="constrained", sharey=True)
# sphinx_gallery_thumbnail_number = 1
for ax, candidate in zip(axes, shown, strict=True):
    cells = grid[grid["candidate"] == candidate].set_index(["family", "batch_size"])
    colours = np.full((len(family_names), len(BATCH_SIZES)), np.nan)
    for (row, name), (column, batch_size) in (
        (r, c) for r in enumerate(family_names) for c in enumerate(BATCH_SIZES)
    ):
        if (name, batch_size) not in cells.index:
            ax.text(column, row, "n/a", ha="center", va="center", fontsize=8)
            continue
        cell = cells.loc[(name, batch_size)]
        colours[row, column] = cell["colour"]
        label = f"{ratio(cell['speedup'])}\n[{ratio(cell['speedup_low'])}, "
        label += f"{ratio(cell['speedup_high'])}]"
        ax.text(column, row, label, ha="center", va="center", fontsize=7.5)
    ax.set_facecolor("lightgrey")
    image = ax.imshow(colours, cmap="RdBu", norm=norm, aspect="auto")
    ax.set_xticks(range(len(BATCH_SIZES)), [f"{b:,}" for b in BATCH_SIZES])
    ax.set_yticks(range(len(family_names)), family_names)
    ax.set_xlabel("batch size (rows per call)")
    verdicts = cells["verdict"].value_counts()
    ax.set_title(
        f"{candidate}\nfaster in {verdicts.get('faster', 0)}, "
        f"slower in {verdicts.get('slower', 0)} of {len(cells)} cells",
        fontsize=10,
    )
colorbar = fig.colorbar(image, ax=axes, shrink=0.8)
ticks = [t for t in (0.01, 0.1, 0.3, 1, 3, 10, 100, 1000) if abs(np.log10(t)) <= limit]
colorbar.set_ticks(np.log10(ticks), labels=[f"{t:g}x" for t in ticks])
colorbar.set_label("speed-up against scikit-learn (log scale)")
fig.suptitle("Speed-up against scikit-learn as it comes, with 95% intervals")
plt.show()

# %%
# Latency against batch size
# --------------------------
# The same rounds as times per call, one panel per family, the band around
# each line spanning the middle half of the rounds. Lines cross where a
# route's fixed cost per call stops mattering and its cost per row takes
# over.
colours = {SKLEARN: "C0", SKLEARN_ALL_CORES: "C1", SESSION_RUN: "C2", PREDICTOR: "C3"}
sizes = BATCH_SIZES
fig, axes = plt.subplots(2, 3, figsize=(13, 8), layout="constrained")
for ax, (name, result) in zip(axes.ravel(), results.items(), strict=True):
    for candidate in result.candidates:
        rounds_us = [np.multiply(result.timings[candidate, b], 1e6) for b in sizes]
        quartiles = [np.percentile(times, [25, 50, 75]) for times in rounds_us]
        low, median, high = np.transpose(quartiles)
        colour = colours[candidate]
        ax.plot(sizes, median, marker="o", color=colour, label=candidate)
        ax.fill_between(sizes, low, high, color=colour, alpha=0.2)
    ax.set(xscale="log", yscale="log", title=name)
    ax.grid(True, alpha=0.3)
for ax in axes[:, 0]:
    ax.set_ylabel("time per call (µs)")
for ax in axes[1]:
    ax.set_xlabel("batch size (rows per call)")
handles, labels = axes[1, 0].get_legend_handles_labels()  # the forest: all four
fig.legend(handles, labels, loc="outside lower center", ncols=4)
fig.suptitle("Time per call: scikit-learn and ONNX Runtime, by batch size")
plt.show()

# %%
# One row at a time
# -----------------
# With one row, scikit-learn pays costs per call: it checks its input in
# Python and, for the forest, calls each tree from Python in turn, while ONNX
# Runtime runs one compiled graph. The verdicts of this run at one row:
one_row = grid[(grid["batch_size"] == 1) & grid["candidate"].isin(shown[1:])]
one_row_table = one_row.pivot(index="family", columns="candidate", values="verdict")
one_row_table.loc[family_names]

# %%
# The check that this lesson relies on: a forest predicted one row at a time
# is faster with ONNX Runtime, by either route, beyond the interval.
for candidate in (SESSION_RUN, PREDICTOR):
    assert results["random forest"].verdict(candidate, 1) == "faster", candidate
faster_at_one = one_row_table[SESSION_RUN].eq("faster").sum()
print(
    f"At one row, {SESSION_RUN} is faster than scikit-learn for "
    f"{faster_at_one} of {len(family_names)} families in this run."
)

# %%
# Large batches, against scikit-learn's faster setting
# ----------------------------------------------------
# At 10,000 rows scikit-learn's per-call cost is spread over many rows, and
# where the prediction uses ``n_jobs``, it can use every core too, or lose to
# the cost of dispatching work to them (nearest neighbours and histogram
# boosting use every core as they come, on OpenMP threads). So the baseline
# for a large batch is the faster of scikit-learn as it comes and
# ``n_jobs=-1``, both timed in the same rounds as the ONNX routes: for each
# family, the one with the lower
# median, so each ratio comes with its own interval, no second benchmark
# needed. The first lines say, for each family whose prediction uses
# ``n_jobs`` (here the forest alone), which setting had the lower median,
# with its interval and verdict against the other:
LARGE = BATCH_SIZES[-1]


def sklearn_baseline(result, batch_size=LARGE):
    """The family's scikit-learn candidate with the lower median at ``batch_size``."""
    timed = [c for c in (SKLEARN, SKLEARN_ALL_CORES) if c in result.candidates]
    return min(timed, key=lambda c: result.median(c, batch_size))


for name in all_cores:
    result = results[name]
    lower = sklearn_baseline(result)
    other = SKLEARN if lower == SKLEARN_ALL_CORES else SKLEARN_ALL_CORES
    speedup, low, high = result.interval(lower, LARGE, baseline=other)
    verdict = result.verdict(lower, LARGE, baseline=other)
    print(
        f"{name}, {LARGE:,} rows: {lower} (lower median) against {other}: "
        f"{speedup:.2f}x [{low:.2f}x, {high:.2f}x], {verdict}"
    )
rows = []
for name, result in results.items():
    baseline = sklearn_baseline(result)
    for candidate in (SESSION_RUN, PREDICTOR):
        speedup, low, high = result.interval(candidate, LARGE, baseline=baseline)
        rows.append(
            {
                "family": name,
                "against": baseline,
                "candidate": candidate,
                "speedup": speedup,
                "low": low,
                "high": high,
                "verdict": result.verdict(candidate, LARGE, baseline=baseline),
            }
        )
large = pd.DataFrame(rows)
large.style.format("{:.2f}x", subset=["speedup", "low", "high"]).hide(axis="index")

# %%
# The tree ensembles at large batches
# -----------------------------------
# What the table above says about the three tree ensembles, formatted from
# its verdict column:
TREE_ENSEMBLES = ["random forest", "gradient boosting", "hist gradient boosting"]
trees = large[large["family"].isin(TREE_ENSEMBLES)]
for candidate, family_rows in trees.groupby("candidate", sort=False):
    summary = "; ".join(
        f"{row.family}: {row.verdict} ({row.speedup:.2f}x [{row.low:.2f}x, "
        f"{row.high:.2f}x] against {row.against})"
        for row in family_rows.itertuples()
    )
    print(f"At {LARGE:,} rows, {candidate}: {summary}")

# %%
# At this size both libraries run compiled loops over the whole batch, and
# the per-call costs that decide a one-row request matter little: which one
# is faster depends on the family and the machine, so read your family's row
# rather than a rule.

# %%
# One converter option, measured
# ------------------------------
# Both ONNX routes above run the model :func:`helpers.convert` made. For
# nearest neighbours it differs from what ``skl2onnx.to_onnx`` makes by
# default: the distances come from one ``CDist`` operator instead of a
# ``Scan`` loop over the rows (the option ``optim="cdist"``, recorded in
# :data:`helpers.conversion.FAST_OPTIONS`). Both conversions, checked, then
# timed with ``session.run`` in the same session settings and the same
# rounds:
from skl2onnx import to_onnx

knn = families["k-nearest neighbours"]
knn_conversions = {
    "to_onnx default (Scan)": to_onnx(
        knn,
        X_train[:1].astype(np.float32),
        options={"zipmap": False},
    ),
    "helpers.convert (CDist)": onnx_models["k-nearest neighbours"],
}
knn_calls = {}
for label, onnx_model in knn_conversions.items():
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    proba = session.run(["probabilities"], {"X": X_test32})[0]
    np.testing.assert_allclose(proba, knn.predict_proba(X_test), atol=1e-5)
    knn_calls[label] = lambda batch, s=session: s.run(["probabilities"], {"X": batch})
cdist = helpers.benchmark(
    knn_calls,
    X_test32,
    batch_sizes=(1, 100),
    min_repeat=ROUNDS,
    budget=1.0,
    min_time=0.002,
)
for batch_size in (1, 100):
    gain, low, high = cdist.interval("helpers.convert (CDist)", batch_size)
    print(
        f"CDist against Scan at {batch_size} row(s): {gain:.1f}x "
        f"[{low:.1f}x, {high:.1f}x], "
        f"{cdist.verdict('helpers.convert (CDist)', batch_size)}"
    )
cdist

# %%
# What to take away
# -----------------
# The verdicts of this run, counted over the grid:
counts = grid[grid["candidate"].isin(shown[1:])]
counts = counts.groupby(["candidate", "batch_size"])["verdict"].value_counts()
counts = counts.unstack(fill_value=0).reindex(
    columns=["faster", "no clear difference", "slower"], fill_value=0
)
counts = counts.rename_axis(columns="verdict against scikit-learn as it comes")
for candidate in shown[1:]:
    one, many = counts.loc[(candidate, 1)], counts.loc[(candidate, LARGE)]
    print(
        f"{candidate}: faster than scikit-learn as it comes for {one['faster']} "
        f"of {len(family_names)} families at one row, {many['faster']} at "
        f"{LARGE:,} rows (slower for {one['slower']} and {many['slower']})"
    )
counts

# %%
# * For large batches, compare with the faster of scikit-learn as it comes
#   and ``n_jobs=-1``, both timed in the same benchmark, and read the verdict
#   of your family; check first that its prediction uses ``n_jobs`` at all
#   (this nearest neighbours model's does not: it runs on OpenMP threads).
# * Converting with ``zipmap=False`` (and ``optim="cdist"`` for nearest
#   neighbours) is what :func:`helpers.convert` does;
#   :ref:`output_options` measures what ZipMap costs, and
#   :ref:`running_session_options` measures the thread presets.
# * Measure on your machine, with your model: raise ``BUDGET`` and run this
#   lesson again.
