"""Look inside an ONNX model: inputs, outputs, metadata, nodes, and a drawing of the graph.

Introduced in :ref:`sphx_glr_auto_examples_03_running_plot_01_inspect_model.py`,
which reads the same fields by hand from ``onnx.ModelProto`` and from
``InferenceSession.get_inputs()`` / ``get_modelmeta()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

import onnx
import pandas as pd

__all__ = ["ModelDescription", "describe", "plot_graph"]

_ELEMENT_TYPES = {value: name.lower() for name, value in onnx.TensorProto.DataType.items()}


def _type_and_shape(value: onnx.ValueInfoProto) -> tuple[str, list[Any]]:
    """``("tensor(float)", [None, 4])`` for a graph input or output."""
    kind = value.type.WhichOneof("value")
    if kind == "tensor_type":
        tensor = value.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim]
        return f"tensor({_ELEMENT_TYPES.get(tensor.elem_type, '?')})", shape
    if kind == "sequence_type":
        return "seq(map(...))", []  # ZipMap's list of dicts
    return str(kind), []


def _values(values: Any) -> pd.DataFrame:
    rows = []
    for value in values:
        kind, shape = _type_and_shape(value)
        rows.append({"name": value.name, "type": kind, "shape": shape})
    return pd.DataFrame(rows, columns=["name", "type", "shape"])


@dataclass(frozen=True)
class ModelDescription:
    """What an ONNX model takes, returns and is made of.

    Attributes
    ----------
    producer : str
        Tool and version that wrote the model, e.g. ``"skl2onnx 1.20.0"``.
    ir_version : int
        Version of the ONNX file format.
    opsets : dict
        ``{domain: version}``; the standard domain ``""`` is shown as ``"ai.onnx"``.
    metadata : dict
        The model's ``metadata_props`` (free key/value strings).
    inputs, outputs : pandas.DataFrame
        ``name``, ``type`` and ``shape`` (None or a name: a free dimension).
    nodes : pandas.DataFrame
        One row per node, in execution order: ``op_type``, ``domain``,
        ``name``, ``inputs``, ``outputs``.
    n_parameters : int
        Number of values stored in initializers (weights) and in node
        attributes that are lists (e.g. tree thresholds).
    size_bytes : int
        Size of the serialized model.
    """

    producer: str
    ir_version: int
    opsets: dict[str, int]
    metadata: dict[str, str]
    inputs: pd.DataFrame
    outputs: pd.DataFrame
    nodes: pd.DataFrame
    n_parameters: int
    size_bytes: int
    graph_name: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def op_counts(self) -> dict[str, int]:
        """How many nodes of each operator type, most frequent first."""
        return {str(k): int(v) for k, v in self.nodes.op_type.value_counts().items()}

    def _lines(self) -> list[tuple[str, str]]:
        def values(frame: pd.DataFrame) -> str:
            return ", ".join(f"{r.name}: {r.type} {list(r.shape)}" for r in frame.itertuples())

        return [
            ("graph", self.graph_name),
            ("producer", self.producer),
            ("ir_version", str(self.ir_version)),
            ("opsets", ", ".join(f"{d} {v}" for d, v in self.opsets.items())),
            ("inputs", values(self.inputs)),
            ("outputs", values(self.outputs)),
            ("nodes", ", ".join(f"{n} x {op}" for op, n in self.op_counts.items())),
            ("parameters", f"{self.n_parameters:,}"),
            ("size", f"{self.size_bytes:,} bytes"),
            *[(f"metadata {key}", value) for key, value in self.metadata.items()],
        ]

    def __repr__(self) -> str:
        lines = self._lines()
        width = max(len(name) for name, _ in lines)
        return "ModelDescription\n" + "\n".join(f"  {name:<{width}}  {value}" for name, value in lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th>{escape(n)}</th><td>{escape(v)}</td></tr>" for n, v in self._lines())
        return f"<table><caption>ONNX model</caption>{rows}</table>"


def _n_parameters(graph: onnx.GraphProto) -> int:
    total = 0
    for tensor in graph.initializer:
        count = 1
        for dim in tensor.dims:
            count *= dim
        total += count
    for node in graph.node:
        for attribute in node.attribute:
            total += len(attribute.floats) + len(attribute.ints) + len(attribute.strings)
    return total


def describe(model: onnx.ModelProto) -> ModelDescription:
    """Describe an ONNX model: inputs, outputs, opsets, metadata and nodes.

    Parameters
    ----------
    model : onnx.ModelProto
        E.g. from :func:`helpers.convert` or ``onnx.load(path)``.

    Returns
    -------
    ModelDescription
        Prints as a short summary, shows as a table in a notebook.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X, y)
    >>> description = describe(convert(model, X[:1]))
    >>> description.inputs.to_dict("records")
    [{'name': 'X', 'type': 'tensor(float)', 'shape': [None, 4]}]
    >>> description.op_counts
    {'LinearClassifier': 1, 'Normalizer': 1}
    """
    if not isinstance(model, onnx.ModelProto):
        raise TypeError(f"expected an onnx.ModelProto (e.g. onnx.load(path)), got {type(model).__name__}")
    graph = model.graph
    nodes = pd.DataFrame(
        [
            {
                "op_type": node.op_type,
                "domain": node.domain or "ai.onnx",
                "name": node.name,
                "inputs": list(node.input),
                "outputs": list(node.output),
            }
            for node in graph.node
        ],
        columns=["op_type", "domain", "name", "inputs", "outputs"],
    )
    return ModelDescription(
        producer=f"{model.producer_name} {model.producer_version}".strip(),
        ir_version=int(model.ir_version),
        opsets={opset.domain or "ai.onnx": int(opset.version) for opset in model.opset_import},
        metadata={prop.key: prop.value for prop in model.metadata_props},
        inputs=_values(graph.input),
        outputs=_values(graph.output),
        nodes=nodes,
        n_parameters=_n_parameters(graph),
        size_bytes=model.ByteSize(),
        graph_name=graph.name,
    )


def _layers(graph: onnx.GraphProto) -> dict[str, int]:
    """Column of each box in the drawing: graph inputs at 0, each node one right of its inputs."""
    column = {value.name: 0 for value in graph.input}
    produced_by: dict[str, str] = {}
    for index, node in enumerate(graph.node):  # nodes are stored in a valid execution order
        key = f"node:{index}"
        parents = [column[produced_by[name]] for name in node.input if name in produced_by]
        parents += [0 for name in node.input if name in column and name not in produced_by]
        column[key] = 1 + max(parents, default=0)
        for name in node.output:
            produced_by[name] = key
    last = max(column.values(), default=0) + 1
    for value in graph.output:
        column[f"output:{value.name}"] = last
    return column


def plot_graph(model: onnx.ModelProto, ax: Any = None, *, title: str | None = None) -> Any:
    """Draw the graph of an ONNX model with matplotlib (no graphviz needed).

    Graph inputs are on the left, outputs on the right; each node is a box
    labelled with its operator type, one column to the right of the nodes
    whose results it takes; arrows follow the data.

    Parameters
    ----------
    model : onnx.ModelProto
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True)
    >>> ax = plot_graph(convert(LogisticRegression(max_iter=500).fit(X, y), X[:1]))
    >>> sorted(text.get_text() for text in ax.texts if text.get_text())  # the boxes
    ['LinearClassifier', 'Normalizer', 'X', 'label', 'probabilities']
    """
    import matplotlib.pyplot as plt

    graph = model.graph
    column = _layers(graph)
    boxes: dict[str, tuple[str, str]] = {value.name: (value.name, "input") for value in graph.input}
    for index, node in enumerate(graph.node):
        boxes[f"node:{index}"] = (node.op_type, "node")
    for value in graph.output:
        boxes[f"output:{value.name}"] = (value.name, "output")
    produced_by: dict[str, str] = {value.name: value.name for value in graph.input}
    edges = []
    for index, node in enumerate(graph.node):
        edges += [(produced_by[name], f"node:{index}") for name in node.input if name in produced_by]
        for name in node.output:
            produced_by[name] = f"node:{index}"
    edges += [(produced_by[v.name], f"output:{v.name}") for v in graph.output if v.name in produced_by]
    # Rows: column by column, each box near the mean row of the boxes it reads from.
    position: dict[str, tuple[int, int]] = {}
    n_columns = max(column.values()) + 1
    for current in range(n_columns):
        keys = [key for key in boxes if column[key] == current]
        parent_rows = {
            key: [position[start][1] for start, end in edges if end == key and start in position]
            for key in keys
        }
        keys.sort(  # rows go down from 0: the highest mean row first, ties in graph order
            key=lambda key: sum(parent_rows[key]) / len(parent_rows[key]) if parent_rows[key] else 0,
            reverse=True,
        )
        for row, key in enumerate(keys):
            position[key] = (current, -row)
    n_rows = max(-y for _, y in position.values()) + 1
    if ax is None:
        width = max(4.0, 1.9 * n_columns)
        height = max(2.0, 0.9 * n_rows + 0.8)
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    for start, end in edges:
        long_edge = position[end][0] - position[start][0] > 1  # curve it around the boxes between
        ax.annotate(
            "",
            xy=position[end],
            xytext=position[start],
            arrowprops={
                "arrowstyle": "->",
                "color": "grey",
                "shrinkA": 28,
                "shrinkB": 28,
                "connectionstyle": f"arc3,rad={-0.3 if long_edge else 0}",
            },
        )
    colours = {"input": "#cfe8cf", "node": "#d6e4f5", "output": "#f5dcc4"}
    for key, (label, kind) in boxes.items():
        x, y = position[key]
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round", "facecolor": colours[kind], "edgecolor": "grey"},
        )
    ax.set_xlim(-0.6, n_columns - 0.4)
    ax.set_ylim(-n_rows + 0.4, 0.6)
    ax.set_axis_off()
    ax.set_title(title or f"{graph.name}: {len(graph.node)} nodes")
    return ax
