"""
.. _running_large_forests:

Large forests
=============

A random forest grows with its number of trees and with their depth, and so
does everything around it: the ``.onnx`` file, the time to create a
session, the memory the session holds, the time of one prediction. You will
measure each, against the pickle of the same model and against
scikit-learn, as the forest grows from 10 to 300 trees and from depth 4 to
unlimited, and see which costs follow the number of nodes and which the
depth. It follows :ref:`running_common_errors` and runs in about 20 seconds.
"""

# %%
# Forests of growing size
# -----------------------
# Two sweeps on the same synthetic data (2,000 rows, 20 features, some label
# noise so that unlimited trees keep splitting):
#
# * **trees**: one forest of 300 trees of depth at most 8, and its first 10,
#   30 and 100 trees as smaller forests (a forest's trees are independent, so
#   the first ``n`` trees are a forest of ``n`` trees);
# * **depth**: forests of 50 trees with depth capped at 4, 8, 12, or not.
#
# Prediction with scikit-learn uses one job (``n_jobs=1``), as a web worker
# serving one request would; training used two.
import copy

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

X, y = make_classification(n_samples=2000, n_features=20, n_informative=10, flip_y=0.05, random_state=0)
X32 = X.astype(np.float32)


def first_trees(forest, n_trees):
    """A forest made of the first ``n_trees`` trees of ``forest``."""
    smaller = copy.copy(forest)
    smaller.estimators_ = forest.estimators_[:n_trees]
    smaller.n_estimators = n_trees
    return smaller


big_forest = RandomForestClassifier(n_estimators=300, max_depth=8, random_state=0, n_jobs=2).fit(X, y)
forests = {("trees", f"{n} trees"): first_trees(big_forest, n) for n in (10, 30, 100, 300)}
for depth in (4, 8, 12, None):
    forests["depth", f"depth {depth or 'unlimited'}"] = RandomForestClassifier(
        n_estimators=50, max_depth=depth, random_state=0, n_jobs=2
    ).fit(X, y)
for forest in forests.values():
    forest.n_jobs = 1

# %%
# Convert and check each forest
# -----------------------------
# Each forest is converted (:func:`helpers.convert`) and checked against
# scikit-learn on 500 rows: same labels, probabilities within float32
# rounding. The table counts the tree nodes, the quantity most costs follow.
import pandas as pd

import helpers

onnx_bytes = {}
rows = []
for key, forest in forests.items():
    onnx_model = helpers.convert(forest, X[:1])
    onnx_bytes[key] = onnx_model.SerializeToString()
    helpers.assert_agrees(forest, helpers.OnnxPredictor(onnx_model), X[:500])
    rows.append(
        {
            "trees": len(forest.estimators_),
            "max_depth": "none" if forest.max_depth is None else forest.max_depth,
            "depth reached": max(tree.tree_.max_depth for tree in forest.estimators_),
            "nodes": sum(tree.tree_.node_count for tree in forest.estimators_),
        }
    )
sizes = pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(forests, names=["sweep", "forest"]))
sizes

# %%
# File size: ONNX against pickle
# ------------------------------
# ``pickle.dumps`` of a model you trained yourself is a fair yardstick (never
# unpickle a file you did not make: unpickling runs code). Both grow with the
# number of nodes; the ratio says which format stores a node more compactly.
import pickle

sizes["onnx_bytes"] = [len(onnx_bytes[key]) for key in forests]
sizes["pickle_bytes"] = [len(pickle.dumps(forest)) for forest in forests.values()]
sizes["onnx / pickle"] = sizes.onnx_bytes / sizes.pickle_bytes
sizes["onnx bytes per node"] = sizes.onnx_bytes / sizes.nodes
sizes[["nodes", "onnx_bytes", "pickle_bytes", "onnx / pickle", "onnx bytes per node"]].round(2)

# %%
import matplotlib.pyplot as plt


def plot_by_nodes(ax, columns, ylabel, title):
    """One line per column and sweep, against the number of nodes, log-log."""
    for column_index, (column, label) in enumerate(columns.items()):
        for marker, sweep in (("o", "trees"), ("s", "depth")):
            part = sizes.loc[sweep].sort_values("nodes")
            ax.plot(
                part.nodes,
                part[column].where(part[column] > 0),  # a log scale cannot show 0: leave it out
                marker=marker,
                color=f"C{column_index}",
                linestyle="-" if sweep == "trees" else "--",
                label=f"{label}, {sweep} sweep",
            )
    ax.set(xscale="log", yscale="log", xlabel="tree nodes in the forest", ylabel=ylabel, title=title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
median_ratio = sizes["onnx / pickle"].median()
comparison = f"{1 / median_ratio:.1f}x smaller" if median_ratio < 1 else f"{median_ratio:.1f}x larger"
plot_by_nodes(
    ax,
    {"onnx_bytes": "ONNX", "pickle_bytes": "pickle"},
    "size (bytes)",
    f"The ONNX file is {comparison} than the pickle (median), "
    f"{sizes['onnx bytes per node'].median():.0f} bytes per node",
)
plt.show()

# %%
# Loading: unpickling against creating a session
# ----------------------------------------------
# A server pays this once per process (or per model reload). Creating an
# ``InferenceSession`` parses the protobuf and builds onnxruntime's own tree
# structures; ``pickle.loads`` rebuilds the scikit-learn objects. Both are
# timed in turns for each forest, the batch argument of
# :func:`helpers.benchmark` being ignored.
import onnxruntime

session_options = helpers.session_options("latency")
for key, forest in forests.items():
    pickled = pickle.dumps(forest)
    content = onnx_bytes[key]
    load_result = helpers.benchmark(
        {
            "pickle.loads": lambda _, pickled=pickled: pickle.loads(pickled),
            "InferenceSession": lambda _, content=content: onnxruntime.InferenceSession(
                content, session_options, providers=["CPUExecutionProvider"]
            ),
        },
        X32,
        batch_sizes=(1,),
        repeat=6,
        min_repeat=6,
        budget=0.3,
    )
    sizes.loc[key, "unpickle_ms"] = load_result.median("pickle.loads", 1) * 1e3
    sizes.loc[key, "session_ms"] = load_result.median("InferenceSession", 1) * 1e3
sizes["session / unpickle"] = sizes.session_ms / sizes.unpickle_ms
sizes[["nodes", "unpickle_ms", "session_ms", "session / unpickle"]].round(2)

# %%
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
largest = sizes.nodes.idxmax()
plot_by_nodes(
    ax,
    {"unpickle_ms": "pickle.loads", "session_ms": "InferenceSession"},
    "time to load (ms)",
    f"Largest forest ({sizes.nodes[largest]:,} nodes): a session takes "
    f"{sizes.session_ms[largest]:.0f} ms, {sizes['session / unpickle'][largest]:.1f}x unpickling",
)
plt.show()

# %%
# Memory held by a session
# ------------------------
# Resident memory (RSS, read with ``psutil``) before and after creating a
# session. Measured in this process, the numbers would be wrong: the
# sessions created and dropped above left freed memory behind, which the
# next session reuses without the process growing. So a fresh Python process
# does the measuring: it creates a first session to set up onnxruntime's
# environment (logging, thread pools, once per process), then creates one
# session per forest, smallest first, keeping each alive so that none reuses
# another's memory. The models go to it as files in a temporary directory.
import json
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE_MEMORY = """
import json, sys
import onnxruntime, psutil

process = psutil.Process()
options = onnxruntime.SessionOptions()
warm_up = onnxruntime.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
sessions, growth = [], []
for path in sys.argv[1:]:
    before = process.memory_info().rss
    sessions.append(onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"]))
    growth.append(process.memory_info().rss - before)
print(json.dumps(growth))
"""

workdir = Path(tempfile.mkdtemp(prefix="large-forests-"))
by_size = sizes.sort_values("nodes").index
paths = []
for index, key in enumerate(by_size):
    paths.append(workdir / f"forest_{index}.onnx")
    paths[-1].write_bytes(onnx_bytes[key])
measured = subprocess.run(
    [sys.executable, "-c", MEASURE_MEMORY, *map(str, paths)], capture_output=True, text=True, check=True
)
sizes.loc[by_size, "session_memory_bytes"] = json.loads(measured.stdout)
sizes["session_memory_bytes"] = sizes.session_memory_bytes.astype(int)
sizes["memory / file size"] = sizes.session_memory_bytes / sizes.onnx_bytes
sizes[["nodes", "onnx_bytes", "session_memory_bytes", "memory / file size"]].round(2)

# %%
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
# sphinx_gallery_thumbnail_number = 3
memory_ratio = sizes["memory / file size"][largest]
plot_by_nodes(
    ax,
    {"onnx_bytes": "ONNX file", "session_memory_bytes": "session memory (RSS growth)"},
    "bytes",
    f"Largest forest: the session holds {memory_ratio:.1f}x its file size in memory",
)
plt.show()
assert sizes.session_memory_bytes[largest] > 0, "creating the largest session did not grow the process"

# %%
# One request: latency as the forest grows
# ----------------------------------------
# A prediction walks each tree from the root to a leaf: its work follows
# *trees x depth*, not the number of nodes. Both libraries get the same
# float32 row (scikit-learn's trees compute in float32 too, so nothing is
# converted inside the timing). onnxruntime's times are tens of
# microseconds, where a busy machine adds visible noise: compare the two
# libraries by orders of magnitude, and rerun on an idle machine to see the
# trend of each.
latency_rows = []
for key, forest in forests.items():
    predictor = helpers.OnnxPredictor(onnx_bytes[key], preset="latency")
    result = helpers.benchmark(
        {"scikit-learn": forest.predict_proba, "onnxruntime": predictor.predict_proba},
        X32,
        batch_sizes=(1,),
        repeat=6,
        min_repeat=6,
        budget=0.3,
    )
    sizes.loc[key, "sklearn_us"] = result.median("scikit-learn", 1) * 1e6
    sizes.loc[key, "onnxruntime_us"] = result.median("onnxruntime", 1) * 1e6
sizes["speed-up"] = sizes.sklearn_us / sizes.onnxruntime_us
sizes[["trees", "depth reached", "sklearn_us", "onnxruntime_us", "speed-up"]].round(1)

# %%
fig, (trees_ax, depth_ax) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained", sharey=True)
for ax, sweep, x_column, xlabel in (
    (trees_ax, "trees", "trees", "trees in the forest (depth at most 8)"),
    (depth_ax, "depth", "depth reached", "depth reached (50 trees; last point: no cap)"),
):
    part = sizes.loc[sweep].sort_values(x_column)
    for column, label in (("sklearn_us", "scikit-learn"), ("onnxruntime_us", "onnxruntime")):
        ax.plot(part[x_column], part[column], marker="o", label=label)
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="time per request (µs)")
    ax.grid(True, alpha=0.3)
    ax.legend()
largest_trees = sizes.loc[("trees", "300 trees")]
fig.suptitle(
    f"One request to 300 trees: onnxruntime {largest_trees.onnxruntime_us:.0f} µs, "
    f"scikit-learn {largest_trees.sklearn_us / 1e3:.1f} ms ({largest_trees['speed-up']:.0f}x faster)"
)
plt.show()

# %%
# The facts this lesson's figures show, checked on this run with wide
# margins: ONNX Runtime answers one request faster than scikit-learn for
# every forest (scikit-learn pays a fixed cost per call, in Python, for each
# tree), and both the file and the session creation time grow with the
# forest.
assert (sizes["speed-up"] > 1).all(), "onnxruntime was slower than scikit-learn for one request"
trees_sweep = sizes.loc["trees"].sort_values("nodes")
assert trees_sweep.onnx_bytes.is_monotonic_increasing
assert trees_sweep.session_ms.iloc[-1] > trees_sweep.session_ms.iloc[0]
sizes[["nodes", "onnx / pickle", "session / unpickle", "memory / file size", "speed-up"]].round(2)

# %%
# What to take away
# -----------------
# * **Size, loading and memory follow the number of nodes.** Deep trees on
#   noisy data have many nodes; capping the depth (or raising
#   ``min_samples_leaf``) shrinks all three, often at little cost in
#   accuracy: check on your validation set.
# * **Latency follows trees x depth.** Doubling the trees doubles the work of
#   a request; each extra level of depth adds at most one comparison per tree,
#   whatever the number of nodes it adds.
# * **Load once.** Creating a session costs far more than a prediction: keep
#   one session per process and reuse it for every request.
#
# Clean up the model files:
import shutil

shutil.rmtree(workdir)
