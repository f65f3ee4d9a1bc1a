"""
.. _opsets_versions:

Opsets and versions
===================

An ONNX model declares the operator set versions (opsets) it needs, and a
runtime loads it only if it knows them. You will learn what the installed
onnx, skl2onnx and onnxruntime each support, how to convert for an older
runtime with ``target_opset`` (and check that every version still agrees
with scikit-learn), and what an old runtime says when it meets a model too
new for it. It continues :ref:`missing_converter`.

It runs in a few seconds on the machine that builds these pages.
"""

# %%
# Three libraries, three version numbers
# --------------------------------------
# Each library answers a different question:
#
# * **onnx** defines the operators: its newest opset for the standard
#   ``ai.onnx`` domain is ``onnx.defs.onnx_opset_version()``, and for the
#   classical machine-learning domain ``ai.onnx.ml`` it is
#   ``onnx.defs.onnx_ml_opset_version()``;
# * **skl2onnx** writes models: ``skl2onnx.__max_supported_opset__`` is the
#   newest ``ai.onnx`` opset its converters are tested with, and the newest
#   it stamps on a model unless asked for another;
# * **onnxruntime** runs them. It has no function that returns the newest
#   opset it runs, but it refuses a model that declares a newer one, so we
#   ask it: build a one-node model stamped with an opset and try to load it.
import onnx
import onnxruntime
import skl2onnx
from onnx import TensorProto, helper


def identity_model(opset):
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def runtime_loads(onnx_model):
    try:
        model_bytes = onnx_model.SerializeToString()
        onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's errors derive from Exception only
        return str(error)
    return "loads"


newest_defined = onnx.defs.onnx_opset_version()
print(f"onnx {onnx.__version__}: ai.onnx opsets up to {newest_defined}")
newest_tested = skl2onnx.__max_supported_opset__
print(f"skl2onnx {skl2onnx.__version__}: tested up to opset {newest_tested}")
newest_loads = runtime_loads(identity_model(newest_defined))
print(f"onnxruntime {onnxruntime.__version__}, opset {newest_defined}: {newest_loads}")

# %%
# The version table, from this installation
# -----------------------------------------
# :func:`~helpers.lessons.versions.version_table` gathers these numbers; for onnxruntime
# it finds the boundary with a binary search over such probe models
# (:func:`~helpers.lessons.versions.runtime_max_opset`), for both domains and for the IR
# version, the version of the file format itself. Nothing in it is typed by hand: run it
# on your deployment machine. It is one of this package's lesson utilities
# (:mod:`helpers.lessons`): installed with the package, no extra needed, but not part of
# its core API (``helpers.__all__``). So install the package on that machine too
# (:ref:`use_in_your_project` says how), or copy the probe above, which needs only onnx
# and onnxruntime.
import helpers
from helpers.lessons.versions import onnx_model_opsets, runtime_max_opset, version_table

versions = version_table()
versions

# %%
# What to read in it: a runtime loads a model only if its row is at least
# the opset the model *declares* (its stamp, explained below). skl2onnx's row
# is the newest it stamps unless you ask for a newer one, so a model converted
# here without ``target_opset`` runs wherever onnxruntime's row is at least
# skl2onnx's.
runtime_newest = runtime_max_opset()
assert runtime_newest >= skl2onnx.__max_supported_opset__
assert versions.set_index("library").loc["onnx", "ai.onnx opset"] == newest_defined

# %%
# Three models with standard operators
# ------------------------------------
# A model's operators come from two domains: ``ai.onnx.ml`` holds the
# classical machine-learning operators (``Scaler``, ``LinearClassifier``,
# ``TreeEnsembleClassifier``...), ``ai.onnx`` the standard ones (``MatMul``,
# ``Concat``, ``TopK``...). A scaled logistic regression or a tree ensemble
# converts to ``ai.onnx.ml`` operators only, so its ``ai.onnx`` version
# would tell us nothing. These three models use standard operators:
#
# * a ``ColumnTransformer`` pipeline on a DataFrame: ``Concat``, ``Reshape``
#   and friends put the columns together;
# * a small neural network (``MLPClassifier``): ``MatMul``, ``Add``, ``Relu``;
# * k-nearest neighbours: distances, ``TopK`` and reductions.
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

X, y = load_breast_cancer(return_X_y=True)
numeric = ["radius", "texture", "perimeter", "area"]
frame = pd.DataFrame(X[:, :4], columns=numeric)
size_bins = [0, 12, 16, np.inf]
frame["size"] = pd.cut(frame["radius"], size_bins, labels=["small", "medium", "large"])
frame["size"] = frame["size"].astype(str)
split = train_test_split(
    X,
    frame,
    y,
    test_size=0.25,
    stratify=y,
    random_state=0,
)
X_train, X_test, frame_train, frame_test, y_train, y_test = split

columns = ColumnTransformer(
    [
        ("numbers", StandardScaler(), numeric),
        ("size", OneHotEncoder(handle_unknown="ignore"), ["size"]),
    ]
)
models = {
    "ColumnTransformer": make_pipeline(columns, LogisticRegression(max_iter=1000)),
    "MLP": make_pipeline(
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=1000, random_state=0),
    ),
    "k-nearest neighbours": make_pipeline(StandardScaler(), KNeighborsClassifier()),
}
test_data = {"ColumnTransformer": (frame_train, frame_test)}
for name, model in models.items():
    train_rows, _ = test_data.setdefault(name, (X_train, X_test))
    model.fit(train_rows, y_train)
pd.Series(
    {name: model.score(test_data[name][1], y_test) for name, model in models.items()},
    name="test accuracy",
).round(3)

# %%
# What the stamp means
# --------------------
# A model declares, in ``opset_import``, one version per domain: its
# *stamp*. ``ai.onnx: N`` tells a runtime to read every standard operator of
# the file as opset N defines it, that is, with the newest definition of that
# operator at or below N (most operators change only every few opsets). A
# runtime that does not know opset N refuses the file: it checks the stamp,
# not the nodes.
#
# To see how far the stamp is from what the nodes need, we look up, for each
# standard node, the opset that introduced the definition the stamp selects
# (:func:`onnx.defs.get_schema`, ``since_version``), in subgraphs too, and
# keep the newest: the *newest definition* used. The same nodes stamped with
# that version would mean exactly the same thing.
import onnx


def standard_nodes(graph):
    """Every ai.onnx node of ``graph``, with the nodes of its subgraphs."""
    for node in graph.node:
        if node.domain in ("", "ai.onnx"):
            yield node
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from standard_nodes(attribute.g)


def newest_definition(onnx_model):
    """The newest opset among the definitions the model's ai.onnx nodes use."""
    stamp = onnx_model_opsets(onnx_model)["ai.onnx"]
    return max(
        (
            onnx.defs.get_schema(node.op_type, stamp, "").since_version
            for node in standard_nodes(onnx_model.graph)
        ),
        default=None,  # a model without standard nodes
    )


DOMAINS = ["ai.onnx", "ai.onnx.ml", "com.microsoft"]


def opset_row(name, onnx_model):
    """The stamps of ``onnx_model``, its IR version and its newest definition."""
    stamps = onnx_model_opsets(onnx_model)
    return {
        "model": name,
        **{domain: stamps.get(domain) for domain in DOMAINS},
        "newest definition": newest_definition(onnx_model),
        "standard nodes": len(list(standard_nodes(onnx_model.graph))),
        "IR version": onnx_model.ir_version,
    }


# %%
# What skl2onnx stamps by default
# -------------------------------
# Without ``target_opset``, each converter writes its nodes for the opset it
# prefers, and skl2onnx stamps each domain with the largest of those, never
# above its newest tested opset. A domain in which no node was written gets
# that newest tested opset: the table adds a scaled logistic regression, whose
# operators are all in ``ai.onnx.ml``, to show it. So the default stamp
# depends on the model, and may be below ``skl2onnx.__max_supported_opset__``.
# (``com.microsoft`` is onnxruntime's own domain: for
# k-nearest neighbours, :func:`helpers.convert` asks for its ``CDist``
# operator, which computes all distances at once; a runtime other than
# onnxruntime would not know it.)
no_standard_node = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
no_standard_node.fit(X_train, y_train)
default_rows = []
for name, model in models.items():
    default_model = helpers.convert(model, test_data[name][0][:1])
    default_rows.append(opset_row(name, default_model))
logistic_onnx = helpers.convert(no_standard_node, X_train[:1])
default_rows.append(opset_row("scaler + logistic", logistic_onnx))
integers = {"newest definition": "Int64", "com.microsoft": "Int64"}
default_stamps = pd.DataFrame(default_rows).astype(integers)
assert (default_stamps["ai.onnx"] <= skl2onnx.__max_supported_opset__).all()
with_nodes = default_stamps[default_stamps["standard nodes"] > 0]
assert (with_nodes["newest definition"] <= with_nodes["ai.onnx"]).all()
no_nodes = default_stamps[default_stamps["standard nodes"] == 0]
assert (no_nodes["ai.onnx"] == skl2onnx.__max_supported_opset__).all()
assert len(no_nodes) == 1
print(f"skl2onnx's newest tested opset: {skl2onnx.__max_supported_opset__}")
default_stamps

# %%
# Converting for an older runtime: ``target_opset``
# -------------------------------------------------
# ``to_onnx(..., target_opset=15)`` (or ``helpers.convert(...,
# target_opset=15)``) asks every converter to write its nodes for that
# opset. A dict sets each domain: ``{"": 15, "ai.onnx.ml": 2}``. We convert
# the three models at several opsets, load each with this onnxruntime, and
# check it against scikit-learn with the usual float32 tolerance.
target_opsets = [9, 13, 17, 21, skl2onnx.__max_supported_opset__]
rows = []
for name, model in models.items():
    train_rows, test_rows = test_data[name]
    for target in target_opsets:
        onnx_model = helpers.convert(model, train_rows[:1], target_opset=target)
        predictor = helpers.OnnxPredictor(onnx_model)
        report = helpers.assert_agrees(model, predictor, test_rows)
        rows.append(
            {
                "target_opset": target,
                **opset_row(name, onnx_model),
                "max |difference|": report.max_abs_diff,
                "labels agree": report.label_agreement,
            }
        )
opset_sweep = pd.DataFrame(rows).astype({"com.microsoft": "Int64"})
opset_sweep.style.format({"max |difference|": "{:.1e}", "labels agree": "{:.0%}"})

# %%
# What the sweep shows, checked below:
#
# * every target loads in this onnxruntime and agrees with scikit-learn,
#   within float32 rounding, although an older stamp selects older
#   definitions of the operators (the newest definition column) and, for
#   some models (printed below), the converter writes other nodes;
# * with ``target_opset``, the stamp is the target exactly, even where the
#   nodes' newest definition is older: the stamp states what the converters
#   wrote for, not the least a runtime would need to read the nodes;
# * the IR version, the version of the file format, never decreases with
#   the target, so an older target also gives a file an older runtime can
#   read.
#
# The sweep checks agreement, not speed: whether an older opset changes the
# time of a prediction is not measured here.
assert (opset_sweep["labels agree"] == 1.0).all()
assert (opset_sweep["ai.onnx"] == opset_sweep["target_opset"]).all()
assert (opset_sweep["newest definition"] <= opset_sweep["target_opset"]).all()
assert (opset_sweep["newest definition"] < opset_sweep["target_opset"]).any()
for name, rows_of_model in opset_sweep.groupby("model"):
    assert rows_of_model["IR version"].is_monotonic_increasing, name
node_counts = opset_sweep.groupby("model")["standard nodes"].nunique()
print(f"other nodes at another target: {node_counts[node_counts > 1].index.tolist()}")

# %%
# Too new for skl2onnx
# --------------------
# Asking for an opset above skl2onnx's tested maximum is not an error: it
# warns and writes the model anyway, untested. Catch the warning to see it.
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    untested_opset = skl2onnx.__max_supported_opset__ + 1
    helpers.convert(models["MLP"], X_train[:1], target_opset=untested_opset)
[str(warning.message) for warning in caught if "target_opset" in str(warning.message)]

# %%
# An old runtime meets a new model
# --------------------------------
# We cannot install an old onnxruntime here, but we can show what one sees:
# a model stamped with an opset newer than the runtime supports. We take the
# converted MLP and raise its ``ai.onnx`` stamp one past what this
# onnxruntime loads, the situation of a model converted with new libraries
# and deployed on an old runtime. Its nodes do not change, and this
# onnxruntime runs them in the model as converted; it refuses the file all
# the same, because the stamp is what it checks. It refuses it when the
# session is created, not at prediction time, and the message names the
# opset it supports.
too_new = helpers.convert(models["MLP"], X_train[:1])
assert runtime_loads(too_new) == "loads"
for opset in too_new.opset_import:
    if opset.domain == "":
        opset.version = runtime_newest + 1
refusal = runtime_loads(too_new)
assert refusal != "loads"
assert f"opset {runtime_newest + 1}" in refusal.replace("Opset", "opset")
print(refusal)

# %%
# :class:`helpers.OnnxPredictor` turns that into a
# :class:`helpers.ModelFileError` with onnxruntime's reason. The fix is on
# the converting side: convert again with ``target_opset`` at or below the
# runtime's row of the version table, then check the new model as above.
try:
    helpers.OnnxPredictor(too_new)
except helpers.ModelFileError as error:
    model_file_error = error
reason = str(model_file_error).split(". ")[-1]
print(f"{type(model_file_error).__name__}: ... {reason}")

# %%
# Which onnx release introduced each opset
# ----------------------------------------
# A runtime is built against an onnx release and runs the opsets that
# release defines. onnx ships the mapping in ``onnx.helper.VERSION_TABLE``;
# the rows from the oldest opset above to the newest are what to compare
# with the onnx version your runtime was built with (its release notes say
# which).
release_columns = ["onnx release", "IR version", "ai.onnx", "ai.onnx.ml"]
release_rows = [row[:4] for row in onnx.helper.VERSION_TABLE]
release_table = pd.DataFrame(release_rows, columns=release_columns)
release_table[release_table["ai.onnx"] >= min(target_opsets)].drop_duplicates("ai.onnx")

# %%
# What to remember
# ----------------
# * A model declares its opsets in ``opset_import``, its stamps; a runtime
#   loads it only if it knows every one, and refuses it at session creation
#   otherwise, whatever the nodes inside.
# * Without ``target_opset``, skl2onnx stamps the largest opset its
#   converters wrote for, at most its newest tested one; with it, the stamp
#   is the target, even when the nodes' definitions are older.
# * Pin ``target_opset`` to what your oldest runtime loads, and check the
#   result against scikit-learn, as the sweep above does.
# * :func:`~helpers.lessons.versions.version_table` (a lesson utility of this
#   package, in :mod:`helpers.lessons`) tells you what an installation
#   supports; install the package where the model will run and run it there.
