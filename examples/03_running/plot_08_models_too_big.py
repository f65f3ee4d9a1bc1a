"""
.. _running_too_big:

Models too big to load
======================

An ONNX file is one protobuf message, and protobuf cannot read a message of
2 GB or more. You will measure what one tree node costs in the file, in the
time to create a session and in the session's memory, and compute from it
at how many trees your forest would reach that limit. You will see which
converted models can move their weights out of the file (external data) and
why a forest cannot, and try what is left: fewer or shallower trees, a
forest split into several models whose outputs are averaged, and
onnxruntime's own ORT format. It follows :ref:`running_gpu`, and builds on
:ref:`running_large_forests`, which measured these costs against the pickle
and against scikit-learn.

It runs in about 15 seconds on the machine that builds these pages.
"""

# %%
# Where this page was measured
# ----------------------------
import helpers

helpers.machine_summary()

# %%
# One forest, several sizes
# -------------------------
# The forest of this lesson has 100 trees of depth at most 8, trained on
# 2,000 rows of synthetic data; 1,000 held-out rows check every model. From
# it come smaller forests with the same depth (its first 25 and 50 trees: a
# forest's trees are independent), and forests of 25 trees with another
# depth cap (4, 12, none) show what depth does.
import copy

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y = make_classification(
    n_samples=3000,
    n_features=20,
    n_informative=10,
    flip_y=0.05,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=1000,
    random_state=0,
    stratify=y,
)
X_test32 = X_test.astype(np.float32)


def trees_slice(forest, start, stop):
    """A forest made of the trees ``start:stop`` of ``forest``."""
    part = copy.copy(forest)
    part.estimators_ = forest.estimators_[start:stop]
    part.n_estimators = stop - start
    return part


forest = RandomForestClassifier(
    n_estimators=100,
    max_depth=8,
    random_state=0,
    n_jobs=2,
).fit(X_train, y_train)
models = {
    "25 trees, depth 8": trees_slice(forest, 0, 25),
    "50 trees, depth 8": trees_slice(forest, 0, 50),
    "100 trees, depth 8": forest,
}
for depth in (4, 12, None):
    models[f"25 trees, depth {depth or 'unlimited'}"] = RandomForestClassifier(
        n_estimators=25, max_depth=depth, random_state=0, n_jobs=2
    ).fit(X_train, y_train)

# %%
# Each is converted with :func:`helpers.convert` and written to a temporary
# directory, then checked against scikit-learn on the held-out rows:
# probabilities within ``1e-5`` (float32 rounding of a sum over trees) and
# the same labels (:func:`helpers.assert_agrees`) on every row that is not
# an exact tie between the two classes (scikit-learn breaks a tie towards
# the first class, float32 rounding either way; :ref:`running_large_forests`
# shows such ties).
import tempfile
from pathlib import Path

import pandas as pd

workdir = Path(tempfile.mkdtemp(prefix="too-big-"))


def convert_and_check(model, name):
    """Convert ``model``, check it on the held-out rows, save it; return its path."""
    onnx_model = helpers.convert(model, X_train[:1])
    predictor = helpers.OnnxPredictor(onnx_model)
    sklearn_proba = model.predict_proba(X_test)
    onnx_proba = predictor.predict_proba(X_test)
    np.testing.assert_allclose(onnx_proba, sklearn_proba, atol=1e-5)
    tied = np.abs(sklearn_proba[:, 0] - sklearn_proba[:, 1]) < 1e-5
    helpers.assert_agrees(model, predictor, X_test[~tied])
    path = workdir / f"{name.replace(', ', '_').replace(' ', '-')}.onnx"
    path.write_bytes(onnx_model.SerializeToString())
    return path


paths = {name: convert_and_check(model, name) for name, model in models.items()}
sizes = pd.DataFrame(
    [
        {
            "trees": len(model.estimators_),
            "depth reached": max(tree.tree_.max_depth for tree in model.estimators_),
            "nodes": sum(tree.tree_.node_count for tree in model.estimators_),
            "file bytes": paths[name].stat().st_size,
        }
        for name, model in models.items()
    ],
    index=pd.Index(list(models), name="model"),
)
sizes["bytes per node"] = sizes["file bytes"] / sizes.nodes
sizes["nodes per tree"] = sizes.nodes / sizes.trees
# a file's size is not noisy: its bytes per node vary by less than 10% here
assert sizes["bytes per node"].max() < 1.1 * sizes["bytes per node"].min()
sizes.style.format(
    {
        "nodes": "{:,}",
        "file bytes": "{:,}",
        "bytes per node": "{:.1f}",
        "nodes per tree": "{:,.0f}",
    }
)

# %%
# Where the bytes go
# ------------------
# skl2onnx turns the forest into one ``TreeEnsembleClassifier`` node whose
# attributes are parallel lists with one entry per tree node (its feature,
# threshold, mode, children, ...) or per leaf (its class weights). Each
# attribute's size in the protobuf, divided by the number of nodes, shows
# what a node costs; the size of its list divided by the number of values
# in it, what one value costs. ONNX's schema is ``proto2``, whose lists of
# numbers are not packed: every value carries a one-byte field tag before
# its own bytes, the four of a float32 threshold or the one or two of a
# small integer (a varint). The mode is a string (``BRANCH_LEQ`` or
# ``LEAF``), with a tag and a length of its own.
import onnx

largest = sizes.nodes.idxmax()
onnx_model = onnx.load(paths[largest])
(tree_node,) = onnx_model.graph.node


def per_value(attribute):
    """Bytes per value of a list attribute, name and type left out (None: no list)."""
    count = len(attribute.ints) + len(attribute.floats) + len(attribute.strings)
    if not count:
        return None
    empty = onnx.AttributeProto(name=attribute.name, type=attribute.type)
    return (attribute.ByteSize() - empty.ByteSize()) / count


attributes = pd.DataFrame(
    [
        {
            "attribute": attribute.name,
            "type": onnx.AttributeProto.AttributeType.Name(attribute.type),
            "bytes per node": attribute.ByteSize() / sizes.nodes[largest],
            "bytes per value": per_value(attribute),
        }
        for attribute in tree_node.attribute
    ]
).set_index("attribute")
attributes = attributes.sort_values("bytes per node", ascending=False)
per_node_and_value = ["bytes per node", "bytes per value"]
attributes.style.format("{:.2f}", subset=per_node_and_value, na_rep="")

# %%
# Bytes per value, by type, from the table (``post_transform`` is a single
# string, not a list):
by_type = attributes.dropna().groupby("type")["bytes per value"].agg(["min", "max"])
for type_name, (low, high) in by_type.iterrows():
    print(f"{type_name}: {low:.2f} to {high:.2f} bytes per value")

# %%
# The attributes add up to the file's bytes per node: nothing else in the
# file grows with the forest.
attributes_per_node = attributes["bytes per node"].sum()
file_per_node = sizes["bytes per node"][largest]
np.testing.assert_allclose(attributes_per_node, file_per_node, rtol=0.01)
tree_node.op_type, tree_node.domain

# %%
# File, load time and memory as the forest grows
# ----------------------------------------------
# Creating a session is timed with :func:`helpers.benchmark`, one candidate
# per model file, in interleaved rounds (the batch it hands each candidate
# is not used). Sessions have one thread and spinning off
# (:func:`helpers.session_options` ``("latency")``; the process that measures
# memory sets the same options by hand). The memory a session
# holds is the growth of resident memory (RSS) when it is created, read as
# in :ref:`running_large_forests`: in a fresh Python process that keeps
# every session alive, creating one session per model first (the first
# also pays for onnxruntime's setup and for parsing buffers the allocator
# keeps), then three more, each read. Three processes give nine readings
# per model.
import json
import subprocess
import sys

import onnxruntime
from helpers.timing import median_interval

session_options = helpers.session_options("latency")
cpu = ["CPUExecutionProvider"]


def load(path):
    """An ONNX Runtime session from a model file."""
    return onnxruntime.InferenceSession(str(path), session_options, providers=cpu)


load_result = helpers.benchmark(
    {name: lambda _, path=paths[name]: load(path) for name in models},
    X_test,
    batch_sizes=(1,),
    budget=2.0,
)
for name in models:
    timings = np.asarray(load_result.timings[name, 1]) * 1e3
    sizes.loc[name, ["load ms", "load ms low", "load ms high"]] = median_interval(
        timings
    )

MEASURE_MEMORY = """
import json, sys
import onnxruntime, psutil

process = psutil.Process()
options = onnxruntime.SessionOptions()  # the latency preset's settings:
options.intra_op_num_threads = 1  # one thread, no pool
options.inter_op_num_threads = 1
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
cpu = ["CPUExecutionProvider"]
sessions, readings = [], []
for path in sys.argv[1:]:
    sessions.append(onnxruntime.InferenceSession(path, options, providers=cpu))
    growth = []
    for _ in range(3):
        before = process.memory_info().rss
        sessions.append(onnxruntime.InferenceSession(path, options, providers=cpu))
        growth.append(process.memory_info().rss - before)
    readings.append(growth)
print(json.dumps(readings))
"""


def memory_readings(files, processes=3):
    """RSS growth per session of each file: one row per file, one column per reading."""
    command = [sys.executable, "-c", MEASURE_MEMORY, *map(str, files)]
    runs = [subprocess.run(command, capture_output=True) for _ in range(processes)]
    for run in runs:
        run.check_returncode()
    return np.concatenate([json.loads(run.stdout) for run in runs], axis=1) / 2**20


by_size = sizes.sort_values("nodes").index
readings = memory_readings([paths[name] for name in by_size])
memory_columns = ["memory MiB", "memory MiB low", "memory MiB high"]
sizes.loc[by_size, memory_columns] = [median_interval(row) for row in readings]
sizes["load µs per node"] = sizes["load ms"] * 1e3 / sizes.nodes
sizes["memory bytes per node"] = sizes["memory MiB"] * 2**20 / sizes.nodes
shown = ["nodes", "file bytes", "load ms", "load ms low", "load ms high", "memory MiB"]
shown += ["memory MiB low", "memory MiB high"]
shown += ["load µs per node", "memory bytes per node"]
integers = {"nodes": "{:,}", "file bytes": "{:,}", "memory bytes per node": "{:.0f}"}
sizes[shown].style.format({**dict.fromkeys(shown, "{:.2f}"), **integers})

# %%
# ``load ms`` is the median of the benchmark's rounds and ``memory MiB`` the
# median of the nine readings, each with ``low`` and ``high``, its 95%
# interval (:func:`helpers.timing.median_interval`). The figure puts each cost per node:
# a flat line means the cost is proportional to the number of nodes.
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), layout="constrained")
for ax, column, ylabel in (
    (axes[0], "bytes per node", "file bytes per node"),
    (axes[1], "load µs per node", "session creation, µs per node"),
    (axes[2], "memory bytes per node", "session memory, bytes per node"),
):
    for marker, label, part in (
        ("o", "depth 8, 25 to 100 trees", sizes[sizes.index.str.endswith("depth 8")]),
        ("s", "25 trees, depth 4 to none", sizes[sizes.trees == 25]),
    ):
        part = part.sort_values("nodes")
        ax.plot(part.nodes, part[column], marker=marker, label=label)
    ax.set(xscale="log", xlabel="tree nodes", ylabel=ylabel, ylim=(0, None))
    ax.grid(True, alpha=0.3)
axes[0].legend(fontsize=8)
smallest = sizes.nodes.idxmin()


def per_node(column, digits):
    """A cost per node, from the smallest forest to the largest, as text."""
    low, high = sizes[column][smallest], sizes[column][largest]
    return f"{low:.{digits}f} to {high:.{digits}f}"


fig.suptitle(
    f"Per node, smallest to largest forest: {per_node('bytes per node', 0)} file "
    f"bytes, {per_node('load µs per node', 2)} µs to load, "
    f"{per_node('memory bytes per node', 0)} bytes of memory"
)
plt.show()

# %%
# The 2 GB limit for this forest
# ------------------------------
# ``onnx.checker.MAXIMUM_PROTOBUF`` is the largest message protobuf reads.
# A forest's file is its nodes times the bytes per node (the table above:
# nothing else in the file grows), and its nodes are its trees times the
# nodes per tree, which the depth decides. So the number of trees of this
# forest's depth that reaches the limit is the limit divided by the bytes
# per node and by the nodes per tree, both measured on this forest.
#
# A forest of that size was not built here: the time to create its session
# and its memory are extrapolations. Unlike the file's bytes, their cost per
# node need not be flat (the figure's title gives it for the smallest and
# the largest forest): a fixed cost per session, spread over more nodes,
# makes it fall as the forest grows. So two extrapolations, each under its
# own assumption: every further node costs the *average* per node of the
# largest forest measured (too high if that fall goes on), or a straight
# line fitted by least squares to the six forests, a fixed cost plus a cost
# per node (which assumes the line holds far beyond the largest forest, by
# the factor in the table).
limit = onnx.checker.MAXIMUM_PROTOBUF
bytes_per_node = sizes["bytes per node"][largest]
nodes_per_tree = sizes["nodes per tree"][largest]
trees_at_limit = limit / (bytes_per_node * nodes_per_tree)
nodes_at_limit = limit / bytes_per_node
beyond = nodes_at_limit / sizes.nodes[largest]


def at_limit(column, per_node_column, scale):
    """``column`` at the limit: at the largest forest's rate, and from a line."""
    average = nodes_at_limit * sizes[per_node_column][largest] * scale
    slope, intercept = np.polyfit(sizes.nodes, sizes[column], 1)
    return average, intercept + slope * nodes_at_limit


load_average, load_fit = at_limit("load ms", "load µs per node", 1e-6)
load_fit /= 1e3  # the fitted line is in ms
memory_average, memory_fit = at_limit("memory MiB", "memory bytes per node", 2**-30)
memory_fit /= 2**10  # the fitted line is in MiB
pd.Series(
    {
        "limit (bytes)": f"{limit:,}",
        "bytes per node": f"{bytes_per_node:.2f}",
        "nodes per tree (depth 8)": f"{nodes_per_tree:.1f}",
        "trees of depth 8 at the limit": f"{trees_at_limit:,.0f}",
        "nodes at the limit": f"{nodes_at_limit:,.0f}",
        "times the largest forest measured": f"{beyond:,.0f}",
        "creating its session, at the largest forest's rate": f"{load_average:,.0f} s",
        "creating its session, from the fitted line": f"{load_fit:,.0f} s",
        "its session's memory, at the largest forest's rate": (
            f"{memory_average:,.0f} GiB"
        ),
        "its session's memory, from the fitted line": f"{memory_fit:,.0f} GiB",
    },
    name="this forest",
).to_frame()

# %%
# The arithmetic is checked on a file it did not use: the 50-tree file's
# size, predicted from its nodes and the 100-tree forest's bytes per node,
# is within 1% of the real one. The same arithmetic for each depth gives
# the trees that fit:
predicted = sizes.nodes["50 trees, depth 8"] * bytes_per_node
actual = sizes["file bytes"]["50 trees, depth 8"]
np.testing.assert_allclose(predicted, actual, rtol=0.01)
sizes["trees at the limit"] = limit / (bytes_per_node * sizes["nodes per tree"])
# one model per depth; for depth 8, the 100-tree forest (the last of them)
by_depth = sizes.drop_duplicates("depth reached", keep="last")
by_depth = by_depth.set_index("depth reached").sort_index()
by_depth[["nodes per tree", "trees at the limit"]].style.format(
    {"nodes per tree": "{:,.0f}", "trees at the limit": "{:,.0f}"}
)

# %%
# Depth decides the nodes per tree: a tree of depth ``d`` has at most
# ``2**(d+1) - 1`` nodes, and a tree without a depth cap splits until its
# leaves are pure, so it can reach ``2n - 1`` nodes for ``n`` training rows
# (a leaf per row, at worst). On large, noisy data this is where the limit
# bites: at this run's bytes per node, the worst case of a single uncapped
# tree reaches the limit at the number of training rows printed below. (On
# this lesson's 2,000 noisy rows, the uncapped trees had the nodes per tree
# shown in the table above.)
rows_for_one_tree = (limit / bytes_per_node + 1) / 2
print(f"{rows_for_one_tree:,.0f} training rows")

# %%
# What happens past the limit is not always an error at the moment you
# save. ``onnx.save_model`` serializes the model with protobuf's
# ``SerializeToString``; where protobuf raises a ``ValueError`` for a
# message over the limit, onnx raises its own ``ValueError``, "The proto
# size is larger than the 2 GB limit", advising ``save_as_external_data``,
# which cannot shrink a forest (the next section shows why). Where protobuf
# raises nothing, the file is written. In a check made apart from this page
# (a 2 GB tensor takes a minute to write), onnx 1.23, protobuf 6.33 (its
# default ``upb`` backend) and onnxruntime 1.32 did just that: the model,
# just over 2 GiB, was written without a word, then ``onnx.load`` raised a
# ``DecodeError`` on it and ``InferenceSession`` an ``INVALID_PROTOBUF``
# error. (``onnx.checker.check_model`` refuses an in-memory model over the
# limit, and asks for its path.) The versions of this build:
import google.protobuf

print(
    f"onnx {onnx.__version__}, protobuf {google.protobuf.__version__}, "
    f"onnxruntime {onnxruntime.__version__}"
)

# %%
# Compute the size before you convert.
#
# External data: what can move out of the file
# --------------------------------------------
# ONNX lets a model keep large tensors in a separate file:
# ``onnx.save_model(model, path, save_as_external_data=True)`` writes the
# tensors at least ``size_threshold`` bytes large (1 kB by default) into a
# ``.data`` file beside the ``.onnx``, which then only points to them.
# ``onnxruntime.InferenceSession(path)`` reads the tensors from the ``.data``
# file itself, so for it the protobuf limit applies to the ``.onnx`` file
# alone (:class:`helpers.OnnxPredictor` does not, below). Try it on a
# neural network, whose weights are tensors (initializers), and on the
# forest. This function counts the tensors that point to an external file,
# with :func:`onnx.external_data_helper.uses_external_data`, in the
# initializers and in the node attributes.
from onnx import external_data_helper, numpy_helper
from sklearn.neural_network import MLPClassifier


def tensors(model):
    """Every tensor of a model: initializers and tensors held in node attributes."""
    yield from model.graph.initializer
    for node in model.graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR:
                yield attribute.t


def save_external(model, name, **options):
    """Save a copy of ``model`` with external data; return what ended where."""
    path = workdir / f"{name}.onnx"
    data = workdir / f"{name}.onnx.data"
    onnx.save_model(
        copy.deepcopy(model),  # save_model rewrites the tensors it moves
        path,
        save_as_external_data=True,
        location=data.name,
        **options,
    )
    saved = onnx.load(path, load_external_data=False)
    return {
        "tensors": sum(1 for _ in tensors(saved)),
        "moved": sum(map(external_data_helper.uses_external_data, tensors(saved))),
        ".onnx bytes": path.stat().st_size,
        ".data bytes": data.stat().st_size if data.exists() else 0,
    }


mlp = MLPClassifier(hidden_layer_sizes=(64,), early_stopping=True, random_state=0)
mlp.fit(X_train, y_train)
mlp_onnx = helpers.convert(mlp, X_train[:1])
helpers.assert_agrees(mlp, helpers.OnnxPredictor(mlp_onnx), X_test)
external = pd.DataFrame([save_external(mlp_onnx, "mlp")], index=["MLP, as converted"])
external.style.format("{:,}")

# %%
# Nothing moved. ``onnx`` moves only tensors whose values are stored as raw
# bytes (the ``raw_data`` field); skl2onnx stores the MLP's weights as lists
# of floats (``float_data``):
assert external.loc["MLP, as converted", "moved"] == 0
pd.DataFrame(
    {
        "raw_data": [t.HasField("raw_data") for t in mlp_onnx.graph.initializer],
        "float_data values": [len(t.float_data) for t in mlp_onnx.graph.initializer],
    },
    index=[t.name for t in mlp_onnx.graph.initializer],
)

# %%
# Re-encoding each initializer as raw bytes (``numpy_helper.to_array`` then
# ``from_array``, the same values) lets the weights move: those of at least
# ``size_threshold`` bytes, the first layer's here. The forest, even
# with ``convert_attribute=True`` (move tensors held in attributes too) and
# ``size_threshold=0`` (move every tensor), moves nothing, for the reason
# shown after the table.
mlp_raw = copy.deepcopy(mlp_onnx)
for initializer in mlp_raw.graph.initializer:
    values = numpy_helper.to_array(initializer)
    initializer.CopyFrom(numpy_helper.from_array(values, initializer.name))
external.loc["MLP, weights as raw bytes"] = save_external(mlp_raw, "mlp_raw")
external.loc["forest, every tensor"] = save_external(
    onnx_model, "forest", convert_attribute=True, size_threshold=0
)
external.style.format("{:,}")

# %%
# The session reads the ``.data`` file from the model's directory, so the
# MLP saved this way still predicts what scikit-learn predicts (the same
# check as before: labels equal, probabilities within ``1e-5``):
mlp_session = load(workdir / "mlp_raw.onnx")
mlp_proba = mlp_session.run(None, {mlp_session.get_inputs()[0].name: X_test32})[1]
np.testing.assert_allclose(mlp_proba, mlp.predict_proba(X_test), atol=1e-5)
assert external.loc["MLP, weights as raw bytes", "moved"] > 0
assert external.loc["forest, every tensor", "moved"] == 0
assert (mlp_proba.argmax(axis=1) == mlp.predict(X_test)).all()

# %%
# :class:`helpers.OnnxPredictor`, given the path, reads the ``.data`` file
# beside the model itself, whatever the working directory, and refuses a
# location outside the model's folder. It reads the tensors back into the
# one protobuf message it hands to onnxruntime, so it does not get around
# the limit: a model whose ``.onnx`` and ``.data`` files make 2 GB or more
# is refused with a :class:`helpers.ModelFileError` that says to use
# ``onnxruntime.InferenceSession`` on the path, which reads the tensors from
# their files itself.
helpers.assert_agrees(mlp, helpers.OnnxPredictor(workdir / "mlp_raw.onnx"), X_test)

# %%
# Bytes, or a ``ModelProto`` loaded with ``load_external_data=False``, carry
# no folder to find the ``.data`` file in. Given the file's bytes, the
# predictor names the missing file and says what to pass instead:
try:
    helpers.OnnxPredictor((workdir / "mlp_raw.onnx").read_bytes())
    raise AssertionError("bytes without their external data were accepted")
except helpers.ModelFileError as error:
    print(f"ModelFileError: {error}")

# %%
# Why the forest cannot move: external data is a property of *tensors*
# only, and the forest holds no tensor. The types of its attributes, counted
# from the model:
attributes.type.value_counts().to_frame("attributes")

# %%
# Lists of numbers (``INTS``, ``FLOATS``) and of strings have no field that
# could point to another file, so every node stays in the ``.onnx`` file
# and the whole forest counts against the limit. The operators' schemas in
# ``onnx.defs`` say which attributes could be tensors. The table reads three:
# the ``TreeEnsembleClassifier`` of the ``ai.onnx.ml`` opset this model
# imports (the line below prints which), the same operator from
# ``ai.onnx.ml`` 3, which added tensor variants of its float lists (the
# ``_as_tensor`` attributes), and the newer ``TreeEnsemble`` (``ai.onnx.ml``
# 5), which keeps its thresholds, modes and leaf weights in tensors. In
# every one, each node's feature and children ids are lists of integers,
# which cannot move.
ml_opset = next(o.version for o in onnx_model.opset_import if o.domain == "ai.onnx.ml")
schemas = {}
for op_type, version in (
    ("TreeEnsembleClassifier", ml_opset),
    ("TreeEnsembleClassifier", 3),
    ("TreeEnsemble", 5),
):
    schema = onnx.defs.get_schema(op_type, version, "ai.onnx.ml")
    attribute_types = {name: a.type.name for name, a in schema.attributes.items()}
    assert attribute_types["nodes_featureids"] == "INTS"
    assert attribute_types["nodes_truenodeids"] == "INTS"
    name = f"{op_type} (ai.onnx.ml {schema.since_version})"
    schemas[name] = pd.Series(attribute_types).value_counts()
model_schema = onnx.defs.get_schema(tree_node.op_type, ml_opset, "ai.onnx.ml")
tensor_variants = [
    name for name in model_schema.attributes if name.endswith("_as_tensor")
]
assert not any(a.name.endswith("_as_tensor") for a in tree_node.attribute)
print(
    f"this model imports ai.onnx.ml opset {ml_opset}: its TreeEnsembleClassifier has "
    + (
        ", ".join(tensor_variants) + ", unused here"
        if tensor_variants
        else "no tensor variant"
    )
)
pd.DataFrame(schemas).fillna(0).astype(int)

# %%
# What to do then (1): fewer or shallower trees
# ---------------------------------------------
# The table above gives the trees that fit at each depth. What a smaller
# forest costs in accuracy is for your validation set to say; here, on the
# held-out rows, with a 95% bootstrap interval (1,000 rows cannot separate
# accuracies closer than a few points):
rng = np.random.default_rng(0)
resamples = rng.integers(0, len(y_test), size=(1000, len(y_test)))
for name, model in models.items():
    correct = model.predict(X_test) == y_test
    sizes.loc[name, "accuracy"] = correct.mean()
    low, high = np.percentile(correct[resamples].mean(axis=1), [2.5, 97.5])
    sizes.loc[name, ["accuracy low", "accuracy high"]] = low, high
accuracy_columns = ["accuracy", "accuracy low", "accuracy high"]
sizes[["nodes", "trees at the limit", *accuracy_columns]].style.format(
    {
        "nodes": "{:,}",
        "trees at the limit": "{:,.0f}",
        "accuracy": "{:.1%}",
        "accuracy low": "{:.1%}",
        "accuracy high": "{:.1%}",
    }
)

# %%
# What to do then (2): split the forest
# -------------------------------------
# A random forest's probability is the mean of its trees' probabilities, so
# a forest cut into parts of ``n_i`` trees gives the same answer as the sum
# of each part's probabilities weighted by ``n_i``, divided by the number
# of trees. Each part is its own ONNX model, each under the limit. Here the
# 100 trees become four models of 25, and the combination is checked
# against scikit-learn's ``predict_proba`` of the whole forest: within
# ``1e-5``, and the same labels on every row that is not an exact tie. (A
# gradient-boosting model adds its trees' scores instead, before a final
# function such as the sigmoid: the parts would then have to return raw
# scores.)
part_paths = []
for start in range(0, 100, 25):
    part = trees_slice(forest, start, start + 25)
    part_paths.append(convert_and_check(part, f"part {start}"))
part_sessions = [load(path) for path in part_paths]
part_trees = np.array([25, 25, 25, 25])
input_name = part_sessions[0].get_inputs()[0].name


def split_predict_proba(batch):
    """Probabilities of the whole forest from its parts: the tree-weighted mean."""
    probas = [session.run(None, {input_name: batch})[1] for session in part_sessions]
    return np.tensordot(part_trees, probas, axes=1) / part_trees.sum()


split_proba = split_predict_proba(X_test32)
sklearn_proba = forest.predict_proba(X_test)
np.testing.assert_allclose(split_proba, sklearn_proba, atol=1e-5)
not_tied = np.abs(sklearn_proba[:, 0] - sklearn_proba[:, 1]) >= 1e-5
assert (split_proba.argmax(axis=1) == forest.predict(X_test))[not_tied].all()
largest_difference = np.abs(split_proba - sklearn_proba).max()
print(f"largest difference from scikit-learn: {largest_difference:.1e}")

# %%
# What the split costs at prediction time: one session against four plus
# the averaging, both through the public ``session.run`` on float32 rows,
# in one benchmark, at one row and at 1,000 rows.
whole_session = load(paths[largest])
split_result = helpers.benchmark(
    {
        "one model": lambda batch: whole_session.run(None, {input_name: batch}),
        "four models, averaged": split_predict_proba,
    },
    X_test32,
    batch_sizes=(1, 1000),
    budget=2.0,
)
split_result

# %%
# What to do then (3): onnxruntime's ORT format
# ---------------------------------------------
# ``python -m onnxruntime.tools.convert_onnx_models_to_ort`` turns an
# ``.onnx`` file into an ``.ort`` file: onnxruntime's own format, built for
# its minimal builds (mobile, web), which a full build also loads. It is a
# FlatBuffers file, and FlatBuffers uses 32-bit offsets too (see
# `google/flatbuffers#5081 <https://github.com/google/flatbuffers/issues/5081>`_),
# so it does not lift the 2 GB limit: what it may change is the size, the
# time to load and the memory. The tool runs here in a subprocess, on a copy
# of the largest forest in a directory of its own (it writes the ``.ort``
# file and a configuration file beside the model).
import shutil

ort_dir = workdir / "ort"
ort_dir.mkdir()
shutil.copy(paths[largest], ort_dir / "forest.onnx")
subprocess.run(
    [
        sys.executable,
        "-m",
        "onnxruntime.tools.convert_onnx_models_to_ort",
        str(ort_dir / "forest.onnx"),
        "--optimization_style",
        "Fixed",
    ],
    capture_output=True,
    check=True,
)
ort_path = ort_dir / "forest.ort"
ort_session = load(ort_path)
ort_proba = ort_session.run(None, {input_name: X_test32})[1]
onnx_proba = whole_session.run(None, {input_name: X_test32})[1]
np.testing.assert_allclose(ort_proba, onnx_proba, atol=1e-6)
sorted(path.name for path in ort_dir.iterdir())

# %%
# The two files load into sessions that agree (within ``1e-6``). Their
# sizes, the memory a session made from each holds (nine readings again,
# the median) and the time to create it, timed in one benchmark:
format_result = helpers.benchmark(
    {
        "load .onnx": lambda _: load(paths[largest]),
        "load .ort": lambda _: load(ort_path),
    },
    X_test,
    batch_sizes=(1,),
    budget=1.0,
)
format_memory = np.median(memory_readings([paths[largest], ort_path]), axis=1)
format_frame = format_result.to_frame().set_index("candidate")
ort_row = format_frame.loc["load .ort"]
formats = pd.DataFrame(
    {
        "file bytes": [paths[largest].stat().st_size, ort_path.stat().st_size],
        "session memory MiB": format_memory,
        "load ms": format_frame.median_s.to_numpy() * 1e3,
    },
    index=[".onnx", ".ort"],
)
formats.style.format({**dict.fromkeys(formats.columns, "{:.1f}"), "file bytes": "{:,}"})

# %%
# The benchmark's verdict, from the interval of the speed-up of loading the
# ``.ort`` file over the ``.onnx`` one:
size_ratio = formats["file bytes"][".ort"] / formats["file bytes"][".onnx"]
interval = f"{ort_row.speedup_low:.2f}-{ort_row.speedup_high:.2f}"
unclear = {"no clear difference": "neither clearly faster nor slower"}
verdict = unclear.get(ort_row.verdict, ort_row.verdict)
print(
    f"The ORT file is {size_ratio:.2f}x the size of the .onnx file. Creating a session "
    f"from it was {verdict} than from the .onnx file: speed-up "
    f"{ort_row.speedup:.2f}x (95% interval {interval})."
)

# %%
# The size ratio moves the limit too. A FlatBuffers buffer holds at most
# ``2**31 - 1`` bytes (``FLATBUFFERS_MAX_BUFFER_SIZE``). If the ``.ort`` file
# keeps the ratio measured on this forest as the forest grows (an
# assumption: only this one forest was converted), trees of depth 8 reach
# that limit at:
ORT_LIMIT = 2**31 - 1
ort_trees_at_limit = ORT_LIMIT / (size_ratio * bytes_per_node * nodes_per_tree)
sooner = "fewer" if ort_trees_at_limit < trees_at_limit else "more"
print(
    f"about {ort_trees_at_limit:,.0f} trees in the .ort format, against "
    f"{trees_at_limit:,.0f} in the .onnx format: {sooner} trees fit"
)

# %%
# What to take away
# -----------------
# * **Count nodes, not trees.** The file grows by a steady number of bytes
#   per node (the first table), so nodes per tree times trees, times bytes
#   per node, tells you before converting whether a forest fits in 2 GB.
#   Depth decides the nodes per tree.
# * **External data does not help a forest.** It moves tensors, and a
#   converted forest has none; an MLP's weights move once they are stored
#   as raw bytes. Check what moved: the sizes of both files, and
#   ``uses_external_data`` on the tensors.
# * **Split the forest** when it must stay as large: parts of it, each its
#   own model, averaged with weights by tree count, give scikit-learn's
#   probabilities back; the benchmark above prices the extra calls.
# * **The ORT format is not a way around the limit.** FlatBuffers has a
#   2 GB limit of its own, and the ``.ort`` file's size against the ``.onnx``
#   file's moves the number of trees that fit by the same factor. Its size,
#   load time and session memory differ from the ``.onnx`` file's: the
#   tables above give them for this forest; measure them on yours before
#   choosing it.
#
# Clean up the files:
shutil.rmtree(workdir)
