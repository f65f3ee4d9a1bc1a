"""
.. _running_inspect_model:

Inspect a model
===============

Before you serve an ``.onnx`` file, read what it declares: the inputs it
takes, the outputs it returns, their types and shapes, who produced it with
which opsets, the metadata you attach (a model version, say), and the
operators inside. You will read each of them twice, from the ``onnx`` model
and from the ``onnxruntime`` session, then draw the graph with matplotlib.
It follows :ref:`calibration`.

It runs in under a second on the machine that builds these pages.
"""

# %%
# A pipeline with several inputs
# ------------------------------
# A model trained on a DataFrame with numeric and text columns makes a graph
# worth reading: an imputer and a scaler for the numbers, a one-hot encoder
# for the city, then a logistic regression. The data are synthetic and seeded.
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

rng = np.random.default_rng(0)
n_rows = 500
frame = pd.DataFrame(
    {
        "age": rng.normal(40, 12, n_rows),
        "visits": rng.integers(0, 12, n_rows),
        "city": rng.choice(["lyon", "nice", "paris"], n_rows),
    }
)
frame.loc[::25, "age"] = np.nan  # a few missing ages, which the imputer fills
target = ((frame["visits"] > 5) | (frame["city"] == "nice")).astype(int)
target[rng.random(n_rows) < 0.05] ^= 1  # some label noise

model = make_pipeline(
    ColumnTransformer(
        [
            (
                "numbers",
                make_pipeline(SimpleImputer(), StandardScaler()),
                ["age", "visits"],
            ),
            ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    ),
    LogisticRegression(),
).fit(frame, target)
print(f"training accuracy {model.score(frame, target):.3f}")

# %%
# :func:`helpers.convert` first reads the input types from ``frame[:1]``
# (:func:`helpers.conversion.initial_types`): one input of shape ``[None, 1]``
# per column of a DataFrame with text, a float column as ``FloatTensorType``
# (float32, though ``age`` holds float64), an integer column as
# ``Int64TensorType``, a text column as ``StringTensorType``. It then calls
# ``skl2onnx.to_onnx(model, initial_types=...)`` with those types, asking for
# a plain probability array (``zipmap=False``). The shorter
# ``skl2onnx.to_onnx(model, frame[:1])`` would type the float64 ``age``
# column as DOUBLE.
import helpers
from helpers.lessons.inspection import describe, plot_graph

onnx_model = helpers.convert(model, frame[:1])
type(onnx_model).__name__

# %%
# Inputs and outputs, from the ONNX model
# ---------------------------------------
# An ``onnx.ModelProto`` holds a ``graph``; its ``input`` and ``output``
# lists declare names, element types (an enum, turned into a name by
# ``onnx.TensorProto.DataType.Name``) and shapes. A dimension with a
# ``dim_value`` is fixed; one without is free, here the number of rows.
import onnx


def declared(values):
    """Name, element type and shape of graph inputs or outputs, as a table."""
    rows = []
    for value in values:
        tensor = value.type.tensor_type
        shape = [
            dim.dim_value if dim.HasField("dim_value") else None
            for dim in tensor.shape.dim
        ]
        rows.append(
            {
                "name": value.name,
                "element type": onnx.TensorProto.DataType.Name(tensor.elem_type),
                "shape": shape,
            }
        )
    return pd.DataFrame(rows)


declared(onnx_model.graph.input)

# %%
# Three inputs, one per column, each of shape ``[None, 1]``: a column of any
# length. ``visits`` is INT64 because the column holds integers; ``city`` is a
# STRING. The outputs are the label and the ``(n_rows, 2)`` probabilities:
declared(onnx_model.graph.output)

# %%
# Inputs and outputs, from the session
# ------------------------------------
# The session says the same in onnxruntime's words: types as strings such as
# ``tensor(float)``, free dimensions as ``None`` or as a name. This is what
# your serving code should read, rather than guess, to build the feed dict.
import onnxruntime

session = onnxruntime.InferenceSession(
    onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
)
session_inputs = pd.DataFrame(
    [
        {"name": item.name, "type": item.type, "shape": item.shape}
        for item in session.get_inputs()
    ]
)
session_inputs

# %%
# Both views list the same inputs in the same order:
assert (
    session_inputs["name"].tolist() == declared(onnx_model.graph.input)["name"].tolist()
)
assert [item.name for item in session.get_outputs()] == ["label", "probabilities"]

# %%
# Producer, versions, opsets
# --------------------------
# The model records who wrote it and the versions a runtime needs: the file
# format (``ir_version``) and one opset version per operator domain. The
# standard domain is the empty string; ``ai.onnx.ml`` holds the classical
# machine-learning operators (scalers, encoders, linear models, trees). A
# runtime too old for any of these refuses to load the model.
pd.Series(
    {
        "producer": f"{onnx_model.producer_name} {onnx_model.producer_version}",
        "ir_version": onnx_model.ir_version,
        **{
            f"opset {o.domain or 'ai.onnx'}": o.version for o in onnx_model.opset_import
        },
    }
)

# %%
# Your own metadata
# -----------------
# ``metadata_props`` is a list of free key/value strings stored in the file:
# the place for a model version, the training date, the data it was trained
# on. :func:`onnx.helper.set_model_props` writes them, but it *replaces* the
# whole list: :func:`helpers.convert` already stored the feature names and the
# NaN rules there, which :class:`helpers.OnnxPredictor` reads back. So merge
# the existing entries with the new ones instead of passing only yours.
existing = {prop.key: prop.value for prop in onnx_model.metadata_props}
onnx.helper.set_model_props(
    onnx_model,
    {**existing, "model_version": "1.4.0", "trained_on": "synthetic visits, 500 rows"},
)
onnx_model.doc_string = "Predicts a return visit from age, visits and city."
{prop.key: prop.value for prop in onnx_model.metadata_props}

# %%
# Read it back from a file
# ------------------------
# The metadata travel with the file. Write it into a temporary directory,
# load it with ``onnx.load``, and open a session on the file: the session's
# :meth:`~onnxruntime.InferenceSession.get_modelmeta` returns the same
# entries as ``custom_metadata_map``, with the producer, graph name and the
# ``doc_string`` as ``description``. Serving code can log the model version
# at start-up without the ``onnx`` package.
import tempfile
from pathlib import Path

workdir = Path(tempfile.mkdtemp(prefix="inspect-model-"))
model_path = workdir / "visits.onnx"
onnx.save(onnx_model, model_path)

loaded_model = onnx.load(model_path)
file_session = onnxruntime.InferenceSession(
    model_path, providers=["CPUExecutionProvider"]
)
session_meta = file_session.get_modelmeta()

assert {p.key: p.value for p in loaded_model.metadata_props}["model_version"] == "1.4.0"
assert session_meta.custom_metadata_map["model_version"] == "1.4.0"
assert session_meta.custom_metadata_map == {
    p.key: p.value for p in loaded_model.metadata_props
}
assert session_meta.description == onnx_model.doc_string
pd.Series(
    {
        "producer_name": session_meta.producer_name,
        "graph_name": session_meta.graph_name,
        "description": session_meta.description,
        "model_version (custom)": session_meta.custom_metadata_map["model_version"],
        "file size (bytes)": model_path.stat().st_size,
    }
)

# %%
# The nodes
# ---------
# ``graph.node`` lists the operators in an order they can run in. Each node
# has an operator type, a domain, and the names of the tensors it reads and
# writes; following the names gives the data flow.
node_table = pd.DataFrame(
    [
        {
            "op_type": node.op_type,
            "domain": node.domain or "ai.onnx",
            "inputs": ", ".join(node.input),
            "outputs": ", ".join(node.output),
        }
        for node in onnx_model.graph.node
    ]
)
node_table

# %%
# Each scikit-learn step became one or a few operators. The
# ``ColumnTransformer`` first gathers its columns: a ``Cast`` turns the
# integer ``visits`` into floats and a ``Concat`` puts them next to ``age``,
# a ``Gather`` picks the city. Then come ``Imputer`` and ``Scaler`` for the
# numbers, ``OneHotEncoder`` and a ``Reshape`` for the city, a second
# ``Concat`` that stacks both, and ``LinearClassifier``, which writes both
# outputs. A node's ``inputs`` name either a graph input, an initializer (a
# constant stored in the model, like ``shape_tensor``), or another node's
# output. The assertion keeps this description true for the installed
# skl2onnx:
described = ["Cast", "Concat", "Gather", "Imputer", "Scaler", "OneHotEncoder"]
described += ["Reshape", "Concat", "LinearClassifier"]
assert sorted(node_table["op_type"]) == sorted(described), node_table["op_type"]

# %%
# The ``onnx`` package prints a graph as text with
# :func:`onnx.printer.to_text` (``onnx.helper.printable_graph``, which older
# tutorials use, is deprecated since onnx 1.19). It shows every attribute,
# here every category and coefficient, so long lines are cut below:
graph_text = onnx.printer.to_text(onnx_model.graph)
for line in graph_text.splitlines():
    print(line[:80] + (" ..." if len(line) > 80 else ""))

# %%
# All of it at once: :func:`~helpers.lessons.inspection.describe`
# ---------------------------------------------------------------
# :func:`~helpers.lessons.inspection.describe` reads everything above from the
# ``ModelProto`` (``graph.input``, ``graph.output``, ``opset_import``,
# ``metadata_props``, ``graph.node``) and returns one object that prints as a summary
# and shows as a table in a notebook. It also counts the stored parameters: initializer
# values and list attributes such as coefficients or tree thresholds.
description = describe(onnx_model)
assert description.inputs["name"].tolist() == session_inputs["name"].tolist()
assert description.metadata["model_version"] == "1.4.0"
assert description.nodes["op_type"].tolist() == node_table["op_type"].tolist()
description

# %%
# A picture of the graph
# ----------------------
# Graphviz is the usual tool to draw a graph, but it is a separate program you may not
# have. :func:`~helpers.lessons.inspection.plot_graph` draws with matplotlib only:
# inputs on the left, each operator one column to the right of what it reads, outputs on
# the right.
import matplotlib.pyplot as plt

graph = onnx_model.graph
ax = plot_graph(
    onnx_model,
    title=f"{len(graph.node)} operators between {len(graph.input)} column inputs "
    f"and {len(graph.output)} outputs",
)
plt.show()

# %%
# The model still predicts what scikit-learn predicts: check it on the
# training frame (the tolerance is float32 rounding, as in the walkthrough).
predictor = helpers.OnnxPredictor(model_path)
helpers.assert_agrees(model, predictor, frame)

# %%
# Next, :ref:`running_session_options` chooses the session settings. Clean up:
import shutil

shutil.rmtree(workdir)
