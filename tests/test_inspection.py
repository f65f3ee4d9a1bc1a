from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import onnx
import onnxruntime as ort
import pytest

import helpers
from helpers.lessons.inspection import describe, plot_graph


def test_describe_matches_the_session(pipeline, mixed_frame):
    model, _ = pipeline
    onnx_model = helpers.convert(model, mixed_frame[0][:1])
    description = describe(onnx_model)
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    assert description.inputs["name"].tolist() == [item.name for item in session.get_inputs()]
    assert description.outputs["name"].tolist() == [item.name for item in session.get_outputs()]
    assert description.inputs["type"].tolist() == [item.type for item in session.get_inputs()]
    assert description.inputs["shape"].tolist() == [[None, 1]] * 3
    assert description.opsets["ai.onnx.ml"] >= 1
    assert len(description.nodes) == len(onnx_model.graph.node)
    assert description.op_counts["Concat"] == 2
    assert description.size_bytes == len(onnx_model.SerializeToString())


def test_describe_reads_metadata_and_counts_tree_parameters(forest, iris):
    model, _ = forest
    X, _ = iris
    onnx_model = helpers.convert(model, X[:1])
    existing = {p.key: p.value for p in onnx_model.metadata_props}
    onnx.helper.set_model_props(onnx_model, {**existing, "model_version": "7"})
    description = describe(onnx_model)
    assert description.metadata["model_version"] == "7"
    assert description.metadata["helpers.estimator"] == "RandomForestClassifier"
    n_nodes = sum(tree.tree_.node_count for tree in model.estimators_)
    assert description.n_parameters > 4 * n_nodes  # feature, threshold, mode, children per node at least
    assert repr(description).splitlines()[-1].split() == ["metadata", "model_version", "7"]
    assert "<table>" in description._repr_html_()


def test_describe_rejects_other_objects():
    with pytest.raises(TypeError, match="expected an onnx.ModelProto"):
        describe(b"not a model")


def test_plot_graph_draws_every_node_and_value(pipeline, mixed_frame):
    model, _ = pipeline
    onnx_model = helpers.convert(model, mixed_frame[0][:1])
    ax = plot_graph(onnx_model)
    labels = [text.get_text() for text in ax.texts if text.get_text()]
    n_boxes = len(onnx_model.graph.input) + len(onnx_model.graph.node) + len(onnx_model.graph.output)
    assert len(labels) == n_boxes
    assert {"age", "visits", "city", "LinearClassifier", "probabilities"} <= set(labels)
    arrows = [text for text in ax.texts if not text.get_text()]
    assert len(arrows) >= len(onnx_model.graph.node)
    plt.close(ax.figure)
