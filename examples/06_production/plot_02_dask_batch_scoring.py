"""
.. _dask_batch_scoring:

Batch scoring on a Dask cluster
===============================

When a table is too large for one machine, score it where it already lives,
with a distributed engine you run anyway: here Dask. You will learn why an
``onnxruntime.InferenceSession`` cannot be sent to Dask workers, how to send
the model's bytes once and load one session per worker, how to set threads so
that Dask workers and ONNX Runtime do not fight over the cores, and how many
rows per second scikit-learn and ONNX Runtime score in the same engine.
The previous lesson, :ref:`web_service`, served one request at a time; this
one scores whole tables.

It runs in about 25 seconds on the machine that builds these pages.
"""

# %%
# Start a cluster
# ---------------
# A :class:`distributed.LocalCluster` starts a scheduler and worker processes
# on this machine, listening on the loopback address only: two workers with
# one thread each, to keep the lesson small. Dask runs one partition per
# worker thread at a time, so ``n_workers x threads_per_worker`` should not
# exceed the cores; the line printed below compares the two on the machine
# that ran this page (:func:`helpers.usable_cpus` counts the cores this
# process may use).
#
# On a real cluster only one line changes: connect to its scheduler instead
# (the address below is an example, and this line does not run here). All
# the code after it is the same.
#
# .. note::
#
#    Worker processes are started with ``spawn``, which imports the main
#    module again. In a notebook that is harmless; in a script, put the code
#    under ``if __name__ == "__main__":`` or the workers fail to start.
import os

import helpers
from distributed import Client, LocalCluster

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
)
client = Client(cluster)
# client = Client("tcp://scheduler:8786")  # a real cluster: the only line to change
n_workers = len(client.scheduler_info()["workers"])
dask_threads = sum(client.nthreads().values())
usable = helpers.usable_cpus()
fits = "within" if dask_threads <= usable else "more than"
print(
    f"{n_workers} workers, {dask_threads} Dask threads in all: {fits} the "
    f"{usable} usable cores of this machine"
)
helpers.machine_summary()

# %%
# Train and convert
# -----------------
# A small gradient-boosting classifier, trained on 10,000 synthetic rows of
# float64, stands for the model you already have. :func:`helpers.convert`
# turns it into ONNX (float32 input), as in :ref:`with_helpers`; what we will
# send to the workers is its serialized form, a string of bytes.
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier

N_FEATURES = 20
X_train, y_train = make_classification(
    n_samples=10_000, n_features=N_FEATURES, n_informative=10, random_state=0
)
model = HistGradientBoostingClassifier(
    max_iter=20, max_leaf_nodes=15, random_state=0
).fit(X_train, y_train)
onnx_model = helpers.convert(model, X_train[:1])
onnx_bytes = onnx_model.SerializeToString()
print(
    f"training accuracy {model.score(X_train, y_train):.3f}; "
    f"ONNX model: {len(onnx_bytes):,} bytes"
)

# %%
# A table in partitions
# ---------------------
# The table to score is generated on the workers, seeded, so nothing
# is downloaded and every run scores the same rows: half a million rows of
# 20 float32 features in 8 partitions of 62,500 rows, small enough for this
# lesson to run in seconds. A partition is what one task scores: a pandas
# DataFrame, as large as a batch you would score in memory. In production the
# table would come from ``dd.read_parquet`` and have many more partitions; the
# code does not change.
#
# ``persist`` computes the table and keeps it in the workers' memory, so
# that the timings below measure scoring, not data generation.
import dask.array as da
import dask.dataframe as dd
from distributed import wait

N_ROWS, N_PARTITIONS = 500_000, 8
features = da.random.default_rng(0).standard_normal(
    (N_ROWS, N_FEATURES), chunks=(N_ROWS // N_PARTITIONS, N_FEATURES), dtype=np.float32
)
columns = [f"x{i}" for i in range(N_FEATURES)]
table = dd.from_dask_array(features, columns=columns).persist()
wait(table)
table_mb = N_ROWS * N_FEATURES * np.dtype(np.float32).itemsize / 1e6
print(
    f"{N_ROWS:,} rows x {N_FEATURES} features, "
    f"{table.npartitions} partitions, {table_mb:.0f} MB"
)
table

# %%
# A session cannot travel
# -----------------------
# The first idea is to build a session here and use it in the function that
# ``map_partitions`` runs on each partition. Dask refuses at once, before
# anything runs: it names every task by hashing its function, and to hash a
# function that uses a session it must serialize the session.
import onnxruntime
import pandas as pd
from dask.tokenize import TokenizationError

session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
proba_meta = pd.DataFrame(
    {"proba_0": pd.Series(dtype=np.float32), "proba_1": pd.Series(dtype=np.float32)}
)


def score_with_local_session(partition):
    proba = session.run(["probabilities"], {"X": partition.to_numpy()})[0]
    return pd.DataFrame(proba, columns=["proba_0", "proba_1"], index=partition.index)


try:
    table.map_partitions(score_with_local_session, meta=proba_meta)
except TokenizationError as error:
    dask_error = error
else:
    raise AssertionError("Dask accepted a function that uses an InferenceSession")
print(f"{type(dask_error).__name__}: {dask_error}")

# %%
# The cause: Dask serializes functions and their arguments by pickling them
# (with :mod:`pickle`, then ``cloudpickle`` for what pickle cannot do), to
# hash them and to send them to the workers. An ``InferenceSession`` wraps
# native memory and threads, and neither library can serialize it:
import pickle

import cloudpickle

pickling_errors = {}
for serializer in (pickle, cloudpickle):
    try:
        serializer.dumps(session)
    except TypeError as error:
        pickling_errors[serializer.__name__] = error
    else:
        raise AssertionError(f"{serializer.__name__} pickled an InferenceSession")
assert all(type(error) is TypeError for error in pickling_errors.values())
{name: str(error) for name, error in pickling_errors.items()}

# %%
# Ship the bytes, build the session on the worker
# -----------------------------------------------
# What travels well is the model's bytes. ``client.scatter(...,
# broadcast=True)`` copies them to every worker once, before any task runs;
# each task then receives the worker's copy instead of its own. The
# function given to ``map_partitions`` builds a session from the bytes and
# scores its partition. ``meta`` tells Dask the columns and types of the
# result without running the function on fake data.
#
# The session is limited to one intra-op thread: each worker already uses one
# core, so one thread per session keeps workers x threads at the cores.
# This version builds a session for every partition; the helper below
# builds one per worker.
model_on_workers = client.scatter(onnx_bytes, broadcast=True)


def score_with_onnx(partition, model_bytes):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    partition_session = onnxruntime.InferenceSession(
        model_bytes, options, providers=["CPUExecutionProvider"]
    )
    proba = partition_session.run(["probabilities"], {"X": partition.to_numpy()})[0]
    return pd.DataFrame(proba, columns=["proba_0", "proba_1"], index=partition.index)


by_hand = table.map_partitions(score_with_onnx, model_on_workers, meta=proba_meta)
by_hand

# %%
# Nothing has run yet: Dask builds a graph of tasks, one per partition, and
# runs it on ``compute`` (results back to this process), ``persist``
# (results kept on the workers) or a write such as ``to_parquet``.
#
# Check the results against an in-memory prediction
# -------------------------------------------------
# We bring back two partitions, the first and the last, and predict the
# same rows in memory with scikit-learn and with an in-memory ONNX Runtime
# session. Dask must not change a single number: the ONNX Runtime results are
# compared exactly. scikit-learn is compared with the tolerance used in the
# walkthrough, room for float32 rounding (absolute ``1e-5``, relative ``1e-4``).
sample_partitions = [0, N_PARTITIONS - 1]
sample_rows = table.partitions[sample_partitions].compute()
sample_by_hand = by_hand.partitions[sample_partitions].compute()

in_memory = helpers.OnnxPredictor(onnx_model, intra_op_num_threads=1)
np.testing.assert_array_equal(
    sample_by_hand.to_numpy(), in_memory.predict_proba(sample_rows.to_numpy())
)
report = helpers.assert_agrees(model, in_memory, sample_rows.to_numpy(dtype=np.float64))
report

# %%
# One session per worker: :mod:`helpers.batch`
# --------------------------------------------
# :func:`helpers.batch.score` hides the scatter, the ``map_partitions`` call
# and the ``meta`` above, and loads one session per worker process instead of
# one per partition. The model travels as an
# :class:`helpers.batch.OnnxModelBytes`, the bytes plus their SHA-256 and the
# session settings; on a worker, the first partition loads the session and
# keeps it in a cache of the :mod:`helpers.batch` module keyed by the hash,
# behind a lock, so threads of one worker share it. The cache must live in a
# module the workers import: a dict defined in a notebook is copied into the
# pickled function, so whether it survives from one task to the next is up
# to Dask, not to you.
#
# :mod:`helpers.batch` needs Dask, so ``import helpers`` does not load it.
import helpers.batch

scored = helpers.batch.score(table, onnx_model, client=client, intra_op_num_threads=1)
sample_scored = scored.partitions[sample_partitions].compute()
np.testing.assert_array_equal(
    sample_scored["label"], in_memory.predict(sample_rows.to_numpy())
)
np.testing.assert_array_equal(sample_scored[["proba_0", "proba_1"]], sample_by_hand)
sample_scored.head()

# %%
# Each worker that scored a partition holds one session, keyed by the
# model's hash, its number of intra-op threads and its row workers (below):
sessions_per_worker = client.run(helpers.batch.cached_sessions)
assert all(len(sessions) <= 1 for sessions in sessions_per_worker.values())
{
    worker: [(digest[:12], threads, rows) for digest, threads, rows in sessions]
    for worker, sessions in sessions_per_worker.items()
}

# %%
# Threads: workers x threads x (intra-op threads or row workers) <= cores
# -----------------------------------------------------------------------
# Up to three kinds of threads can meet on a worker: Dask's, which run
# partitions side by side; the session's intra-op pool, which shares one
# call's work between threads; and the row-parallel path of
# :class:`helpers.OnnxPredictor` (``row_workers=``), which splits one call's
# rows into chunks run at once on a one-thread session
# (:ref:`cores_and_batch_size`). The Dask nanny sets ``OMP_NUM_THREADS=1`` in
# its workers, which limits OpenMP code such as scikit-learn's gradient
# boosting, but the onnxruntime wheels use a thread pool of their own that
# does not read it: its default (``intra_op_num_threads=0``) is one thread
# per physical core, and every worker makes such a pool, so ``n`` workers
# on one machine start ``n`` times as many threads as it has physical
# cores.
#
# Dask's partitions are already a split of the table by rows, each scored on
# a thread of its own. So with one Dask thread per core, each session needs
# one intra-op thread and no row split. The row-parallel path is for the
# other layout: fewer Dask threads than cores (a few large workers, say one
# per machine to hold one copy of a large model); then give a tree ensemble
# ``row_workers`` (cores per Dask thread) rather than intra-op threads,
# with ``helpers.batch.score(..., row_workers=...)``.
print("OMP_NUM_THREADS in the workers:", client.run(os.environ.get, "OMP_NUM_THREADS"))

# %%
# Rows per second, in the same engine
# -----------------------------------
# Four ways to score the same table on the same two workers:
#
# * scikit-learn: the fitted model itself is scattered (a scikit-learn model
#   pickles, unlike a session) and ``predict_proba`` runs in
#   ``map_partitions``, on a float64 copy of the table (persisted on the
#   workers before the timing): the type it was trained on, so that it
#   converts nothing while it is timed;
# * ONNX Runtime with one intra-op thread per worker (2 workers x 1 thread),
#   on the float32 table;
# * ONNX Runtime with two intra-op threads per worker (2 x 2 threads);
# * ONNX Runtime with each partition's rows split over two workers
#   (2 x 2 threads again, by the row-parallel path).
#
# Against the usable cores printed at the top, the last two use more
# threads than cores wherever the machine has fewer than four.
#
# Each scores probabilities only, and keeps them on the workers: ``persist``,
# then wait until every partition is done. Dropping the result and collecting
# garbage before the next run matters: the persisted collection is held in
# reference cycles that only the garbage collector frees (and
# :func:`helpers.benchmark` pauses it while timing), and while its results
# are still in memory, Dask hands them to the next run instead of scoring
# again: a run then takes milliseconds and measures nothing.
#
# :func:`helpers.benchmark` interleaves the four and keeps the median of the
# repeats. It hands each candidate a batch; here the rows already live on
# the workers, so the batch is only the row numbers, which lets the result
# report time per row.
import gc

sklearn_on_workers = client.scatter(model, broadcast=True)


def score_with_sklearn(partition, fitted_model):
    proba = fitted_model.predict_proba(partition.to_numpy())
    return pd.DataFrame(proba, columns=["proba_0", "proba_1"], index=partition.index)


sklearn_meta = proba_meta.astype(np.float64)
table64 = table.astype(np.float64).persist()
wait(table64)
ONE, TWO, SPLIT = (
    "ONNX Runtime, 1 thread per worker",
    "ONNX Runtime, 2 threads per worker",
    "ONNX Runtime, rows split over 2 per worker",
)
candidates = {
    "scikit-learn": table64.map_partitions(
        score_with_sklearn, sklearn_on_workers, meta=sklearn_meta
    ),
    ONE: helpers.batch.score(
        table, onnx_model, client=client, intra_op_num_threads=1, predict=False
    ),
    TWO: helpers.batch.score(
        table, onnx_model, client=client, intra_op_num_threads=2, predict=False
    ),
    SPLIT: helpers.batch.score(
        table, onnx_model, client=client, row_workers=2, predict=False
    ),
}


def score_on_cluster(lazy_result):
    def run(_row_numbers):
        persisted = lazy_result.persist()
        wait(persisted)
        del persisted
        gc.collect()

    return run


result = helpers.benchmark(
    {name: score_on_cluster(lazy) for name, lazy in candidates.items()},
    np.arange(N_ROWS),
    batch_sizes=(N_ROWS,),
    repeat=6,
    min_repeat=6,
    budget=6,
)
intervals = {name: result.interval(name, N_ROWS) for name in candidates}
throughput = pd.DataFrame(
    {
        "candidate": list(candidates),
        "median (s)": [result.median(name, N_ROWS) for name in candidates],
        "rows per second": [
            N_ROWS / result.median(name, N_ROWS) for name in candidates
        ],
        "vs scikit-learn": [
            f"{speedup:.2f}x [{low:.2f}-{high:.2f}]"
            for speedup, low, high in intervals.values()
        ],
        "verdict": [result.verdict(name, N_ROWS) for name in candidates],
    }
)
throughput.style.format({"median (s)": "{:.2f}", "rows per second": "{:,.0f}"}).hide(
    axis="index"
)

# %%
# The figure shows rows per second with the range of the repeats; its title
# is formatted from this run's intervals and verdicts.
import matplotlib.pyplot as plt

rates = {
    name: N_ROWS / np.asarray(result.timings[name, N_ROWS]) / 1e6 for name in candidates
}
medians = np.array([np.median(rate) for rate in rates.values()])
spread = np.array(
    [
        [median - rate.min(), rate.max() - median]
        for median, rate in zip(medians, rates.values(), strict=True)
    ]
).T
fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
ax.barh(
    list(candidates), medians, xerr=spread, color=["C0", "C1", "C2", "C3"], capsize=4
)
ax.invert_yaxis()
ax.set_xlabel(
    f"rows scored per second (millions), {N_ROWS:,} rows, "
    f"{N_PARTITIONS} partitions, 2 workers"
)


def said(candidate, baseline=None):
    """A speed-up, its 95% interval and its verdict, as text."""
    speedup, low, high = result.interval(candidate, N_ROWS, baseline)
    verdict = result.verdict(candidate, N_ROWS, baseline)
    return f"{speedup:.2f}x [{low:.2f}-{high:.2f}], {verdict}"


fig.suptitle(
    f"ONNX Runtime, 1 thread per worker, against scikit-learn: {said(ONE)}\n"
    f"against 2 threads per worker: {said(ONE, TWO)}; "
    f"against rows split: {said(ONE, SPLIT)}"
)
ax.grid(True, axis="x", alpha=0.3)
plt.show()

# %%
# What the measurements say
# -------------------------
# Read the ratios in the title for this machine (printed again below); the
# reasons behind them are general:
#
# * A partition is a large batch, where both libraries spend their time in
#   compiled loops: the Python overhead per call, which weighs most on a
#   single row, is paid once per partition here. So the ratio to expect is
#   a large-batch one, and the lines below say whether each ONNX Runtime
#   route was faster, slower or neither on this run.
# * ``workers x threads_per_worker x (intra_op_num_threads or row_workers)
#   <= cores`` keeps every thread on a core of its own. More threads than
#   cores may gain when part of each task is serial Python (turning the
#   partition into an array, building the result frame) and leaves a core
#   idle for a while, and may lose when every thread has work; on a machine
#   shared with other jobs, more threads take a larger share of it. The last
#   two lines below say what happened on this run. If you run fewer, larger
#   workers (one per machine), give each session the spare cores:
#   ``row_workers`` for a tree ensemble (no barrier between threads, see
#   :ref:`cores_and_batch_size`), intra-op threads for a model whose matrix
#   products split well inside one call.
# * ONNX Runtime workers need ``onnxruntime`` and the model bytes, not the
#   scikit-learn version the model was trained with: a pickled scikit-learn
#   model should only be loaded by the same scikit-learn version.
# * The engine has a cost of its own: scheduling, moving results, and
#   building the ``pandas`` frames each partition returns. Time it on your
#   cluster with your partition size; fewer, larger partitions spread the
#   engine's fixed costs over more rows, as long as each fits in a worker's
#   memory.
for name, row in throughput.set_index("candidate").iterrows():
    print(
        f"{name:>42}: {row['rows per second']:>12,.0f} rows/s, "
        f"vs scikit-learn {said(name)}"
    )
print(f"1 intra-op thread per worker against 2 threads per worker: {said(ONE, TWO)}")
print(f"1 intra-op thread per worker against rows split over 2: {said(ONE, SPLIT)}")

# %%
# Close the cluster
# -----------------
# Close the client, then the cluster: it stops the worker processes and the
# scheduler.
client.close()
cluster.close()
