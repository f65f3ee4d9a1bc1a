"""
.. _opsets_versions:

Opsets and versions
===================

An ONNX model declares the operator set versions (opsets) it needs, and a
runtime loads it only if it knows them. You will learn what the installed
onnx, skl2onnx and onnxruntime each support, how to convert for an older
runtime with ``target_opset`` (and check that every version still agrees
with scikit-learn), and what an old runtime says when it meets a model too
new for it. It continues :ref:`missing_converter` and runs in about
5 seconds.
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
#   newest ``ai.onnx`` opset its converters are tested with, and what it
#   targets by default;
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
        onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's errors derive from Exception only
        return str(error)
    return "loads"


newest_defined = onnx.defs.onnx_opset_version()
print(f"onnx {onnx.__version__}: ai.onnx opsets up to {newest_defined}")
print(f"skl2onnx {skl2onnx.__version__}: tested up to opset {skl2onnx.__max_supported_opset__}")
print(f"onnxruntime {onnxruntime.__version__}, a model at opset {newest_defined}: ", end="")
print(runtime_loads(identity_model(newest_defined)))

# %%
# The version table, from this installation
# -----------------------------------------
# :func:`helpers.version_table` gathers these numbers; for onnxruntime it
# finds the boundary with a binary search over such probe models
# (:func:`helpers.runtime_max_opset`), for both domains and for the IR
# version, the version of the file format itself. Nothing in it is typed by
# hand: run it on your deployment machine.
import helpers

versions = helpers.version_table()
versions

# %%
# What to read in it: a model converted here declares at most skl2onnx's
# opset, and it runs wherever onnxruntime's row is at least that. The model's
# own declaration is what counts, and it is often lower than the maximum:
# skl2onnx declares, per domain, only what the model's operators need.
runtime_newest = helpers.runtime_max_opset()
assert runtime_newest >= skl2onnx.__max_supported_opset__
assert versions.set_index("library").loc["onnx", "ai.onnx opset"] == newest_defined

# %%
# What skl2onnx writes by default
# -------------------------------
# Two models of different kinds: a scaled logistic regression (``Scaler``,
# ``LinearClassifier``, and standard operators) and a gradient-boosting
# ensemble (``TreeEnsembleClassifier``). Without ``target_opset``, the
# standard domain is stamped with skl2onnx's newest tested opset;
# ``ai.onnx.ml`` with the version the operators need.
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
models = {
    "scaler + logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
        X_train, y_train
    ),
    "HistGradientBoosting": HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X_train, y_train),
}
{name: helpers.onnx_model_opsets(helpers.convert(model, X_train[:1])) for name, model in models.items()}

# %%
# Converting for an older runtime: ``target_opset``
# -------------------------------------------------
# ``to_onnx(..., target_opset=15)`` (or ``helpers.convert(...,
# target_opset=15)``) asks every converter for operators as they were at
# that opset. A dict sets each domain: ``{"": 15, "ai.onnx.ml": 2}``. We
# convert both models at several opsets, load each with this onnxruntime,
# and check it against scikit-learn with the usual float32 tolerance.
import pandas as pd

target_opsets = [9, 13, 17, 21, skl2onnx.__max_supported_opset__]
rows = []
for name, model in models.items():
    for target in target_opsets:
        onnx_model = helpers.convert(model, X_train[:1], target_opset=target)
        report = helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_model), X_test)
        rows.append(
            {
                "model": name,
                "target_opset": target,
                **helpers.onnx_model_opsets(onnx_model),
                "IR version": onnx_model.ir_version,
                "max |difference|": report.max_abs_diff,
                "labels agree": report.label_agreement,
            }
        )
opset_sweep = pd.DataFrame(rows)
opset_sweep

# %%
# Every target loads and agrees: for these models the operators have not
# changed in ways that matter, and an older opset costs nothing. The IR
# version follows the opset, so an older target also gives a file an older
# runtime can read.
assert (opset_sweep["labels agree"] == 1.0).all()
assert (opset_sweep["ai.onnx"] == opset_sweep["target_opset"]).all()

# %%
# Too new for skl2onnx
# --------------------
# Asking for an opset above skl2onnx's tested maximum is not an error: it
# warns and writes the model anyway, untested. Catch the warning to see it.
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    untested_opset = skl2onnx.__max_supported_opset__ + 1
    helpers.convert(models["scaler + logistic"], X_train[:1], target_opset=untested_opset)
[str(warning.message) for warning in caught if "target_opset" in str(warning.message)]

# %%
# An old runtime meets a new model
# --------------------------------
# We cannot install an old onnxruntime here, but we can show what one sees:
# a model stamped with an opset newer than the runtime supports. We take the
# converted logistic model and raise its ``ai.onnx`` opset one past what
# this onnxruntime loads, the situation of a model converted with new
# libraries and deployed on an old runtime. onnxruntime refuses it when the
# session is created, not at prediction time, and the message names the
# opset it supports.
too_new = helpers.convert(models["scaler + logistic"], X_train[:1])
for opset in too_new.opset_import:
    if opset.domain == "":
        opset.version = runtime_newest + 1
refusal = runtime_loads(too_new)
assert refusal != "loads" and f"opset {runtime_newest + 1}" in refusal.replace("Opset", "opset")
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
print(f"{type(model_file_error).__name__}: ... {str(model_file_error).split('. ')[-1]}")

# %%
# Which onnx release introduced each opset
# ----------------------------------------
# A runtime is built against an onnx release and runs the opsets that
# release defines. onnx ships the mapping in ``onnx.helper.VERSION_TABLE``;
# the rows from the oldest opset above to the newest are what to compare
# with the onnx version your runtime was built with (its release notes say
# which).
release_columns = ["onnx release", "IR version", "ai.onnx", "ai.onnx.ml"]
release_table = pd.DataFrame([row[:4] for row in onnx.helper.VERSION_TABLE], columns=release_columns)
release_table[release_table["ai.onnx"] >= min(target_opsets)].drop_duplicates("ai.onnx")

# %%
# What to remember
# ----------------
# * A model declares its opsets in ``opset_import``; a runtime loads it only
#   if it knows every one, and refuses it at session creation otherwise.
# * Pin ``target_opset`` to what your oldest runtime loads, and check the
#   result against scikit-learn, as the sweep above does.
# * :func:`helpers.version_table` tells you what an installation supports;
#   run it where the model will run.
