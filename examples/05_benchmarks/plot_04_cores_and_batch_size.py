"""
.. _cores_and_batch_size:

Cores and batch size
====================

How many rows per second does each extra core buy? This lesson measures it on
your machine for a forest, gradient boosting and a linear model, three ways:
scikit-learn with more cores (``n_jobs``, or a ``threadpoolctl`` limit), ONNX
Runtime with more intra-op threads, and the rows of the batch split over
workers on a one-thread session. You will learn how ONNX Runtime's tree kernel
shares a call between threads, what splitting the rows gains or loses for
each model, and which rule your own numbers support. It follows
:ref:`command_line`.

It runs in about 20 seconds on the machine that builds these pages.
"""

# %%
# Where this runs
# ---------------
# Every figure below is measured while this page is built, on the machine
# named here. The cores that matter are those this process may use (its
# affinity and any container quota), which :func:`helpers.usable_cpus`
# counts; ``os.cpu_count()`` counts the machine's.
import helpers
from helpers.benchmark import take_rows

cores = helpers.usable_cpus()
core_counts = sorted({1, cores, *(2**k for k in range(1, 7) if 2**k < cores)})
print(f"core counts measured: {core_counts}")
helpers.machine_summary()

# %%
# Three models
# ------------
# Synthetic data with 20 features, seeded. A random forest (100 trees, depth
# 8) and a gradient boosting model (100 trees, depth 3) are tree ensembles;
# a logistic regression is one small matrix product per batch. Each ONNX
# model is checked against scikit-learn (labels equal, probabilities within
# float32 rounding: ``atol=1e-5``).
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

X, y = make_classification(
    n_samples=4_000,
    n_features=20,
    n_informative=10,
    random_state=0,
)
models = {
    "forest": RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0),
    "boosting": GradientBoostingClassifier(n_estimators=100, random_state=0),
    "linear": LogisticRegression(max_iter=1_000),
}
onnx_models = {}
for name, model in models.items():
    model.fit(X, y)
    onnx_models[name] = helpers.convert(model, X[:1])
    helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_models[name]), X)
print("the three ONNX models agree with scikit-learn")

# %%
# Splitting the rows, by hand
# ---------------------------
# Rows are independent, so a batch can be cut into chunks and each chunk
# scored by its own ``session.run`` call, at the same time, on one session:
# onnxruntime allows concurrent ``run`` calls and releases Python's GIL
# while it computes. The session gets one intra-op thread, so that the
# workers and onnxruntime's own pool never compete for the cores. Here it
# is with a ``ThreadPoolExecutor``:
from concurrent.futures import ThreadPoolExecutor

import onnxruntime

session = onnxruntime.InferenceSession(
    onnx_models["forest"].SerializeToString(),
    helpers.session_options("latency"),  # one intra-op thread, spinning off
    providers=["CPUExecutionProvider"],
)
batch = take_rows(X, 10_000).astype(np.float32)
chunks = np.array_split(batch, max(cores, 2))
with ThreadPoolExecutor(max(cores, 2)) as pool:
    parts = pool.map(lambda c: session.run(["probabilities"], {"X": c})[0], chunks)
    split_proba = np.concatenate(list(parts))
whole_proba = session.run(["probabilities"], {"X": batch})[0]
np.testing.assert_array_equal(split_proba, whole_proba)  # the same numbers, bit for bit
split_proba.shape

# %%
# :class:`helpers.OnnxPredictor` does the same with ``row_workers=``: it
# keeps one pool per predictor, made on first use, lets the calling thread
# take chunks too, joins the results in row order, and names the rows of a
# chunk that fails (:class:`helpers.errors.ChunkError`). It refuses
# ``row_workers`` together with more than one intra-op thread. The
# throughput preset takes this path for tree ensembles, with one worker per
# usable core (:data:`helpers.PRESETS` says why).
splitting = helpers.OnnxPredictor(onnx_models["forest"], row_workers=max(cores, 2))
np.testing.assert_array_equal(splitting.predict_proba(batch), whole_proba)
splitting

# %%
# The candidates
# --------------
# For each model and each number of cores ``k`` in the list above:
#
# * scikit-learn on ``k`` cores: ``n_jobs=k`` for the forest, a
#   ``threadpoolctl`` limit on the BLAS threads for the linear model.
#   ``GradientBoostingClassifier`` predicts on one thread whatever the
#   settings, so it has one point only;
# * ONNX Runtime with ``k`` intra-op threads (the latency preset's
#   settings, spinning off, with ``k`` threads);
# * the rows split over ``k`` workers, each chunk on a one-thread session
#   (with ``k = 1`` that is the one-thread session itself, not timed twice);
#
# and once, the throughput preset as it comes,
# ``OnnxPredictor(onnx_model, preset="throughput")``: for a tree ensemble the
# rows split over every usable core, for the linear model onnxruntime's
# defaults (a pool of one intra-op thread per physical core, spinning on).
#
# scikit-learn gets the float64 rows it was trained on; ONNX Runtime gets
# them converted to float32 once per batch, in the untimed first call that
# :func:`helpers.benchmark` makes of every candidate. All candidates of a
# model are timed in one interleaved run, at 100 and 10,000 rows per call.
import copy

from threadpoolctl import ThreadpoolController

controller = ThreadpoolController()
SIZES = (100, 10_000)
PRESET = "throughput preset"


def float32_once(predict):
    """``predict`` on float32 rows, converted once per batch (not in the timing)."""
    cache = {}

    def call(rows):
        if id(rows) not in cache:
            cache.clear()
            cache[id(rows)] = (rows, rows.astype(np.float32))
        return predict(cache[id(rows)][1])

    return call


def sklearn_on(name, k):
    """scikit-learn's predict_proba on k cores, or None where k cannot be set."""
    model = models[name]
    if name == "forest":
        return copy.deepcopy(model).set_params(n_jobs=k).predict_proba
    if name == "linear":

        def limited(rows):
            with controller.limit(limits=k, user_api="blas"):
                return model.predict_proba(rows)

        return limited
    return model.predict_proba if k == 1 else None


def candidates(name):
    timed = {}
    for k in core_counts:
        if (sklearn := sklearn_on(name, k)) is not None:
            timed[f"scikit-learn, {k}"] = sklearn
    for k in core_counts:
        threads = helpers.OnnxPredictor(
            onnx_models[name],
            preset="latency",
            intra_op_num_threads=k,
        )
        timed[f"ONNX threads, {k}"] = float32_once(threads.predict_proba)
    for k in core_counts[1:]:
        split = helpers.OnnxPredictor(onnx_models[name], row_workers=k)
        timed[f"rows split, {k}"] = float32_once(split.predict_proba)
    preset = helpers.OnnxPredictor(onnx_models[name], preset="throughput")
    timed[PRESET] = float32_once(preset.predict_proba)
    return timed


results = {
    name: helpers.benchmark(
        candidates(name),
        X,
        batch_sizes=SIZES,
        min_repeat=8,
        repeat=40,
        budget=5,
        control=True,
    )
    for name in models
}
results["forest"]

# %%
# Rows per second against cores
# -----------------------------
# Each point is the median of the interleaved rounds, at 10,000 rows per
# call, the band the rounds' quartiles. A line that climbs uses the extra
# cores; a flat one does not.
import matplotlib.pyplot as plt

FAMILIES = {"scikit-learn": "C0", "ONNX threads": "C1", "rows split": "C2"}
BIG = SIZES[-1]


def rates(result, family):
    """Core counts, and rows per second (25th, 50th, 75th percentiles) per count."""
    counts, quartiles = [], []
    for k in core_counts:
        label = f"{family}, {k}"
        if family == "rows split" and k == 1:
            label = "ONNX threads, 1"  # one worker is the one-thread session
        if label in result.candidates:
            seconds = np.asarray(result.timings[label, BIG])
            counts.append(k)
            quartiles.append(np.percentile(BIG / seconds, [25, 50, 75]))
    return np.array(counts), np.array(quartiles)


fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), layout="constrained")
for ax, (name, result) in zip(axes, results.items(), strict=True):
    for family, color in FAMILIES.items():
        counts, quartiles = rates(result, family)
        ax.plot(counts, quartiles[:, 1], marker="o", color=color, label=family)
        low, high = quartiles[:, 0], quartiles[:, 2]
        ax.fill_between(counts, low, high, color=color, alpha=0.2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(core_counts, [str(k) for k in core_counts])
    ax.set_xlabel("cores used")
    ax.set_title(name)
    ax.grid(True, which="both", alpha=0.3)
axes[0].set_ylabel(f"rows per second, {BIG:,} rows per call")
axes[0].legend()


def choices(result, family=None):
    """The candidates of ``family`` (None: of every family), never the control:
    the control is the baseline timed a second time, not a setting."""
    families = FAMILIES if family is None else (family,)
    return [
        c
        for c in result.candidates
        if c.split(",")[0] in families and not c.endswith("(control)")
    ]


def best_of(result, family=None, size=BIG):
    """The candidate of ``family`` (None: of every family) with the lowest median."""
    return min(choices(result, family), key=lambda c: result.median(c, size))


for result in results.values():  # the control is timed, and never chosen
    assert f"{result.baseline} (control)" in result.candidates
    assert not any(c.endswith("(control)") for c in choices(result))
winners = {name: best_of(result) for name, result in results.items()}
fastest_text = "; ".join(f"{name}: {label}" for name, label in winners.items())
fig.suptitle(f"Lowest median at 10,000 rows: {fastest_text}")
plt.show()

# %%
# The same runs as a table: rows per second of the setting of each family
# with the lowest median, at both batch sizes, and the ONNX route with the
# lowest median against scikit-learn's setting with the lowest median: the
# speed-up, its 95% interval and the verdict.
import pandas as pd

rows = []
for name, result in results.items():
    for size in SIZES:
        best = {f: best_of(result, f, size) for f in FAMILIES}
        onnx_routes = [best["ONNX threads"], best["rows split"]]
        onnx_best = min(onnx_routes, key=lambda c: result.median(c, size))
        speedup, low, high = result.interval(onnx_best, size, best["scikit-learn"])
        row = {"model": name, "rows per call": size}
        for family in FAMILIES:
            row[f"{family} (rows/s)"] = size / result.median(best[family], size)
        row["ONNX route (lowest median)"] = onnx_best
        row["vs scikit-learn (lowest median)"] = (
            f"{speedup:.2f}x [{low:.2f}-{high:.2f}]"
        )
        row["verdict"] = result.verdict(onnx_best, size, best["scikit-learn"])
        rows.append(row)
table = pd.DataFrame(rows)
rates_format = {f"{family} (rows/s)": "{:,.0f}" for family in FAMILIES}
table.style.format(rates_format).hide(axis="index")

# %%
# At 100 rows the predictor does not split at all: a chunk needs at least
# ``helpers.parallel.MIN_CHUNK_ROWS`` rows, and 100 rows make one chunk, so
# the "rows split" candidates run the batch whole on the calling thread.
from helpers.parallel import MIN_CHUNK_ROWS

assert len(splitting.rows.bounds(100)) == 1 and len(splitting.rows.bounds(BIG)) > 1
print(f"a chunk has at least {MIN_CHUNK_ROWS} rows")

# %%
# Threads for a tree ensemble
# ---------------------------
# ONNX Runtime runs a converted forest or boosting model as one
# ``TreeEnsembleClassifier`` operator, whose CPU kernel decides how to share
# a call between its intra-op threads (``ComputeAgg`` in
# `tree_ensemble_common.h
# <https://github.com/microsoft/onnxruntime/blob/38e61b88b79860cb6b52151f944cfe71f64e9e7b/onnxruntime/core/providers/cpu/ml/tree_ensemble_common.h>`_,
# the version linked). With more rows than its row threshold and **more
# trees than threads**, it splits the *trees* between the threads, and walks
# the rows in batches of 128: for each batch, every thread scores its share
# of the trees, and all threads meet at the end of the batch before the next
# one starts. A 10,000-row call is then about 80 parallel sections, each
# ending in a barrier, plus one more that merges the threads' partial scores
# (the aggregators of `tree_ensemble_aggregator.h
# <https://github.com/microsoft/onnxruntime/blob/main/onnxruntime/core/providers/cpu/ml/tree_ensemble_aggregator.h>`_
# add them up and apply the final transform). With spinning off, a thread
# that reaches a barrier early sleeps and must be woken for the next batch;
# with it on, it burns a core while it waits. Only when a model has no more
# trees than threads does the kernel split the rows instead. Its thresholds
# are constants in that file, not settings a session can change.
#
# Splitting the batch into chunks before the call has no barrier: each
# chunk is a whole call on one thread, with nothing to wait for until its
# last row. The price is one hand-over per chunk. What the threads and the
# split gave the two tree ensembles in this run, at 10,000 rows, for the
# most cores measured:
top = core_counts[-1]


def measured(result, candidate, baseline):
    """A speed-up at BIG rows, its 95% interval and its verdict, as text."""
    speedup, low, high = result.interval(candidate, BIG, baseline)
    verdict = result.verdict(candidate, BIG, baseline)
    return f"{speedup:.2f}x [{low:.2f}-{high:.2f}], {verdict}"


if top > 1:
    for name in ("forest", "boosting"):
        result = results[name]
        threads, split_label = f"ONNX threads, {top}", f"rows split, {top}"
        print(
            f"{name:>8}: {top} intra-op threads against 1: "
            f"{measured(result, threads, 'ONNX threads, 1')}; rows split over "
            f"{top} workers against {top} intra-op threads: "
            f"{measured(result, split_label, threads)}"
        )
else:
    print("one usable core: no thread count above one to measure")
for (
    name,
    result,
) in results.items():  # the first candidate timed twice: drift shows here
    control = f"{result.baseline} (control)"
    print(f"{name:>8}, control: {measured(result, control, result.baseline)}")

# %%
# Splitting the rows against one thread
# -------------------------------------
# A hand-over has a fixed cost, whatever the chunk, so what a split can
# gain depends on how long the whole call takes on one thread. That time
# per call, and the verdicts of this run at 10,000 rows for the most workers
# measured:
for name, result in results.items():
    one_thread_ms = result.median("ONNX threads, 1", BIG) * 1e3
    line = f"{name:>8}: one thread takes {one_thread_ms:,.2f} ms per call"
    if top > 1:
        split_label = f"rows split, {top}"
        line += (
            f"; rows split over {top} workers against one thread: "
            f"{measured(result, split_label, 'ONNX threads, 1')}"
        )
    print(line)

# %%
# The rule your numbers support
# -----------------------------
# For each model, the candidate with the lowest median at 10,000 rows per
# call, against the candidate with the lowest median of each other family,
# with the interval and verdict of the same run. "no clear difference" means
# the interval straddles the 5% margin: on this machine either choice is as
# good.
sentences = []
for name, result in results.items():
    winner = winners[name]
    family = winner.split(",")[0]
    for other in FAMILIES:
        if other == family:
            continue
        rival = best_of(result, other)
        speedup, low, high = result.interval(winner, BIG, rival)
        verdict = result.verdict(winner, BIG, rival)
        interval = f"{speedup:.2f}x [{low:.2f}-{high:.2f}]"
        sentences.append(f"{name}: {winner} against {rival}: {interval}, {verdict}")
print("\n".join(sentences))

# %%
# And the throughput preset as it comes, timed in the same runs: what it
# does with each model, and how it compared with the candidate of lowest
# median above.
for name, result in results.items():
    preset = helpers.OnnxPredictor(onnx_models[name], preset="throughput")
    if preset.rows is not None:
        route = f"rows split over {preset.row_workers} workers"
    else:
        route = "onnxruntime's defaults: one thread per physical core, spinning on"
    print(
        f"{name:>8}: the throughput preset ({route}) against {winners[name]}: "
        f"{measured(result, PRESET, winners[name])}"
    )

# %%
# Read these lines as the rule for *this* machine, with its cores and its
# other work: only the core counts printed at the top were measured. On a
# machine with more cores, ``benchmarks/throughput.py`` in the repository
# measures every route in a few minutes.
# :func:`helpers.tune` measures both kinds of parallelism for one model and
# batch size, and :ref:`dask_batch_scoring` shows how the same question
# looks when Dask also runs partitions side by side.
