"""
.. _spark_batch_scoring:

Batch scoring on a Spark cluster
================================

Spark is a common engine for tables too large for one
machine. You will learn how to score a Spark DataFrame with an ONNX model in
``mapInPandas``, building one ``onnxruntime.InferenceSession`` per partition
from model bytes that Spark broadcasts (a session itself cannot travel), how
to check every scored row against scikit-learn, and how many rows per second
Spark, Dask and plain scikit-learn score on the same table. Spark runs in
local mode, and the lesson prints how long it takes to start, which the
timings leave out. It follows :ref:`dask_batch_scoring`, which does the same
with Dask.

It runs in about 30 seconds on the machine that builds these pages.
"""

# %%
# Spark needs Java
# ----------------
# This lesson needs the ``spark`` extra besides ``lessons`` (PySpark is about
# 480 MB): ``pip install "train-convert-predict[lessons,spark]"``, with the
# wheel or the clone of the first cell.
#
# PySpark drives a Java process: Spark 4 needs Java 17 or newer. Spark's
# launcher takes ``$JAVA_HOME/bin/java`` where ``JAVA_HOME`` is set, else
# ``java`` on the ``PATH``; this cell looks in the same places and stops with
# a clear message where it finds none, or an older one.
import os
import re
import shutil
import subprocess

java_home = os.environ.get("JAVA_HOME")
java_dir = os.path.join(java_home, "bin") if java_home else None
java = shutil.which("java", path=java_dir)
if java is None:
    raise RuntimeError(
        f"Spark needs Java 17 or newer, and there is no `java` in "
        f"{java_dir or 'the PATH'}. Install a JDK or JRE 17+ (Debian or Ubuntu: "
        "`apt-get install openjdk-17-jre-headless`), then restart this notebook."
    )
java_says = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
found = re.search(r'version "(?:1\.)?(\d+)', java_says)
java_version = int(found.group(1)) if found else 0
if java_version < 17:
    raise RuntimeError(f"Spark needs Java 17 or newer; {java} says: {java_says!r}")
print(f"Java {java_version}: {java}")

# %%
# Start Spark in local mode
# -------------------------
# ``local[n]`` runs Spark's driver and ``n`` executor threads in one Java
# process; each task's Python code runs in a Python worker process. ``n`` is
# the CPUs this process may use (:func:`helpers.usable_cpus`: the affinity
# mask and a container's quota), at most four to keep the lesson small; Dask
# and scikit-learn get the same number below. The settings keep
# Spark on the loopback address (``SPARK_LOCAL_IP`` too), without its web
# UI, with its scratch files and Java's in a temporary folder, and turn on
# Arrow between Java and Python; ``PYSPARK_PYTHON`` makes the workers run this
# Python, where onnxruntime is installed. With pandas 3, PySpark warns at
# every conversion that it "does not yet fully support pandas >= 3.0.0": we
# silence that warning, and the row-by-row check below says whether the
# answers can be trusted. On a cluster, only the master changes
# (``.master("spark://host:7077")``, or the ``spark`` session your platform
# gives you); its executors need onnxruntime, pandas and pyarrow.
import sys
import tempfile
import time
import warnings

import helpers
from pyspark.sql import SparkSession

warnings.filterwarnings("ignore", "PySpark does not yet fully support", FutureWarning)
CORES = min(helpers.usable_cpus(), 4)
N_PARTITIONS = 2 * CORES
os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
spark_dir = tempfile.TemporaryDirectory(prefix="spark-")
start = time.perf_counter()
spark = (
    SparkSession.builder.master(f"local[{CORES}]")
    .appName("onnx-batch-scoring")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.local.dir", spark_dir.name)
    .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={spark_dir.name}")
    .config("spark.default.parallelism", str(N_PARTITIONS))
    .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
usable = helpers.usable_cpus()
fits = "within" if CORES <= usable else "more than"
print(
    f"Spark {spark.version} started in {time.perf_counter() - start:.1f} s "
    f"(not timed below); {CORES} executor threads: {fits} the {usable} usable "
    "cores of this machine"
)
helpers.machine_summary()

# %%
# Train and convert, broadcast the bytes
# --------------------------------------
# The model of the Dask lesson: a small gradient-boosting classifier on
# 10,000 synthetic float64 rows, converted by :func:`helpers.convert` (one
# float32 input ``X``, outputs ``label`` and ``probabilities``).
# ``sparkContext.broadcast`` sends its bytes to each executor once, however
# many tasks use them.
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
onnx_bytes = helpers.convert(model, X_train[:1]).SerializeToString()
model_on_executors = spark.sparkContext.broadcast(onnx_bytes)
print(f"ONNX model: {len(onnx_bytes):,} bytes, broadcast to the executors")

# %%
# A table in Spark's memory
# -------------------------
# 200,000 rows of 20 float32 features with an ``id`` column, generated here
# and seeded (nothing is downloaded), become a Spark DataFrame of
# ``N_PARTITIONS`` partitions, two per executor thread (Spark's
# ``spark.default.parallelism``, set above; the count is printed below).
# ``cache`` and ``count`` load it into the executors' memory before any
# timing, as Dask's ``persist`` does. In production it would come from
# ``spark.read.parquet``.
import pandas as pd

N_ROWS = 200_000
FEATURES = [f"x{i}" for i in range(N_FEATURES)]
rng = np.random.default_rng(0)
features = rng.standard_normal((N_ROWS, N_FEATURES), dtype=np.float32)
frame = pd.DataFrame(features, columns=FEATURES)
frame.insert(0, "id", np.arange(N_ROWS))
start = time.perf_counter()
table = spark.createDataFrame(frame).cache()
assert table.count() == N_ROWS
print(
    f"{N_ROWS:,} rows in {table.rdd.getNumPartitions()} partitions, cached in "
    f"{time.perf_counter() - start:.1f} s (not timed below)"
)
table.printSchema()

# %%
# Score with mapInPandas, one session per partition
# -------------------------------------------------
# ``mapInPandas`` calls a function once per partition, on the executors,
# with an iterator over the partition's rows as pandas DataFrames (Arrow
# batches of 10,000 rows by default,
# ``spark.sql.execution.arrow.maxRecordsPerBatch``); it yields DataFrames
# with the columns of a schema. Spark pickles the function to send it, so it
# must not use a session made here: a session cannot be pickled
# (:ref:`dask_batch_scoring` shows the errors), and Spark would refuse the
# function with a ``PicklingError``. It captures the broadcast handle and
# builds its own session, one intra-op thread (Spark runs one task per
# core), once per partition. Nothing runs until an action (``count``,
# ``collect``, ``write``).
import onnxruntime

SCORED_SCHEMA = "id long, label long, proba_0 float, proba_1 float"


def score_partition(batches):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        model_on_executors.value, options, providers=["CPUExecutionProvider"]
    )
    for batch in batches:
        inputs = {"X": batch[FEATURES].to_numpy(dtype=np.float32)}
        label, proba = session.run(["label", "probabilities"], inputs)
        yield pd.DataFrame(
            {
                "id": batch["id"],
                "label": label,
                "proba_0": proba[:, 0],
                "proba_1": proba[:, 1],
            }
        )


scored = table.mapInPandas(score_partition, SCORED_SCHEMA)
scored

# %%
# A session per partition costs one model load per task: small here. For a
# large model, keep sessions in a module-level cache of a package installed
# on the executors, as :mod:`helpers.batch` does for Dask: Spark reuses its
# Python workers from task to task (``spark.python.worker.reuse``, on by
# default), so one load per worker is enough.
#
# Check every row against scikit-learn
# ------------------------------------
# We collect all scored rows (``toPandas``, through Arrow) and join them on
# ``id`` with scikit-learn's answers for the same rows, computed here on the
# float64 values it was trained on. The join is one to one and must leave no
# row on either side: Spark has lost or invented none. Labels must be equal;
# probabilities may differ by float32 rounding, within the tolerance used
# since the walkthrough: ``|onnx - sklearn| <= 1e-5 + 1e-4 * |sklearn|``.
X_64 = features.astype(np.float64)
sklearn_proba = model.predict_proba(X_64)
expected = pd.DataFrame(sklearn_proba, columns=["sklearn_0", "sklearn_1"])
expected.insert(0, "sklearn_label", model.classes_[sklearn_proba.argmax(axis=1)])
expected.insert(0, "id", np.arange(N_ROWS))
joined = scored.toPandas().merge(
    expected, on="id", how="outer", validate="one_to_one", indicator=True
)
assert len(joined) == N_ROWS and (joined["_merge"] == "both").all()
np.testing.assert_array_equal(joined["label"], joined["sklearn_label"])
onnx_proba = joined[["proba_0", "proba_1"]].to_numpy()
sklearn_joined = joined[["sklearn_0", "sklearn_1"]].to_numpy()
np.testing.assert_allclose(onnx_proba, sklearn_joined, rtol=1e-4, atol=1e-5)
proba_gap = np.abs(onnx_proba - sklearn_joined).max()
print(
    f"{len(joined):,} rows joined on id, none missing on either side; labels: "
    f"{(joined['label'] == joined['sklearn_label']).sum():,} equal; largest "
    f"|difference| of probabilities: {proba_gap:.2g}"
)
joined.drop(columns="_merge").head()

# %%
# Rows per second: Spark, Dask, scikit-learn
# ------------------------------------------
# Three ways to score the same 200,000 rows on the same ``CORES`` cores:
#
# * scikit-learn in this process: ``predict_proba`` on the float64 array,
#   then the labels from it (as its ``predict`` does), on OpenMP threads
#   (it has no ``n_jobs``) limited to ``CORES`` with ``threadpoolctl``;
# * Dask: :func:`helpers.batch.score` as in the Dask lesson, ``CORES``
#   workers of one thread, the table persisted in ``N_PARTITIONS``
#   partitions. The workers are threads of this process
#   (``processes=False``): ONNX Runtime releases Python's lock while it
#   scores, and worker processes would need a script's code under
#   ``if __name__ == "__main__":`` (the Dask lesson's note);
# * Spark: ``score_partition`` above, ``local[CORES]``, on the cached table.
#
# For the engines, one action is timed: every partition is scored on the
# workers (id, label, both probabilities) and only row counts come back
# (``map_partitions(len)``, ``count``). Start-up and caching are not timed.
# A fourth timing, ``table.count()``, is a Spark action that scores
# nothing. After one untimed run each, :func:`helpers.timing.paired_rounds`
# times the four in 6 rounds, each in a new random order, after an idle
# pause; rows per second come with the 95% interval of their median
# (:func:`helpers.timing.median_interval`), ratios with that of the paired
# ratios (:func:`helpers.timing.ratio_interval`), whose verdict needs the
# whole interval beyond 5%.
import dask.dataframe as dd
import helpers.batch
from distributed import Client, LocalCluster, wait
from helpers.timing import median_interval, paired_rounds, ratio_interval, verdict
from threadpoolctl import threadpool_limits

cluster = LocalCluster(
    n_workers=CORES, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)
# The frame travels inside the task graph: Dask warns that the graph is large,
# but its workers are in this process, so nothing crosses a network.
warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
dask_table = dd.from_pandas(frame, npartitions=N_PARTITIONS).persist()
wait(dask_table)
dask_scored = helpers.batch.score(
    dask_table, onnx_bytes, FEATURES, client=client, keep=["id"]
)


def sklearn_scores(_):
    proba = model.predict_proba(X_64)
    return model.classes_[proba.argmax(axis=1)], proba


def dask_scores(_):
    assert dask_scored.map_partitions(len).compute().sum() == N_ROWS


def spark_scores(_):
    assert scored.count() == N_ROWS


def spark_counts(_):
    assert table.count() == N_ROWS


SKLEARN, DASK, SPARK = "scikit-learn", "Dask + ONNX Runtime", "Spark + ONNX Runtime"
NOTHING = "Spark, an action that scores nothing"
calls = {
    SKLEARN: sklearn_scores,
    DASK: dask_scores,
    SPARK: spark_scores,
    NOTHING: spark_counts,
}
with threadpool_limits(limits=CORES, user_api="openmp"):
    for call in calls.values():
        call(None)
    rounds = paired_rounds(list(calls.values()), None, [1] * len(calls), max_rounds=6)
seconds = dict(zip(calls, rounds.T, strict=True))


def said(candidate, baseline=SKLEARN):
    """A speed-up, its 95% interval and its verdict, as text."""
    if candidate == baseline:
        return "baseline"
    speedup, low, high = ratio_interval(seconds[baseline], seconds[candidate])
    return f"{speedup:.2f}x [{low:.2f}-{high:.2f}], {verdict(low, high)}"


rates = {name: N_ROWS / seconds[name] for name in (SKLEARN, DASK, SPARK)}
throughput = pd.DataFrame(
    [(name, *median_interval(rate), said(name)) for name, rate in rates.items()],
    columns=["candidate", "rows/s", "95% low", "95% high", "vs scikit-learn"],
)
throughput.style.format("{:,.0f}", subset=["rows/s", "95% low", "95% high"]).hide(
    axis="index"
)

# %%
# What the measurements say
# -------------------------
# The lines below are printed from this run's intervals and verdicts. What
# each route pays for is general: both engines, unlike scikit-learn on one
# array, schedule a task per partition, turn it into the model's input and
# build a DataFrame of answers; Spark also moves every batch from Java to a
# Python worker and back, through Arrow. The last line says how much of
# Spark's time an action that scores nothing takes here; a larger table
# spreads such costs over more rows. Measure with your own table and
# partition sizes before you choose an engine by speed.
for name, rate in rates.items():
    median, low, high = median_interval(rate)
    print(f"{name:>21}: {median:>10,.0f} rows/s, 95% interval [{low:,.0f}-{high:,.0f}]")
print(f"Spark against Dask: {said(SPARK, DASK)}")
print(f"Spark against scikit-learn in this process: {said(SPARK)}")
print(f"Dask against scikit-learn in this process: {said(DASK)}")
median, low, high = median_interval(seconds[NOTHING])
share, share_low, share_high = ratio_interval(seconds[NOTHING], seconds[SPARK])
print(
    f"A Spark action that scores nothing: {median:.2f} s [{low:.2f}-{high:.2f}], "
    f"{share:.0%} [{share_low:.0%}-{share_high:.0%}] of Spark's scoring time"
)

# %%
# Stop Spark and Dask
# -------------------
# ``spark.stop()`` ends the Java process and its Python workers (not timed
# above, printed here); the temporary folder goes with Spark's scratch files.
start = time.perf_counter()
spark.stop()
print(f"Spark stopped in {time.perf_counter() - start:.1f} s")
spark_dir.cleanup()
client.close()
cluster.close()
