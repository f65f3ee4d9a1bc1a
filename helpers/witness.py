"""A witness output: one the model computes anyway, non-finite whenever an input value is.

:class:`helpers.OnnxPredictor` refuses NaN and infinity where scikit-learn
does, which costs one pass over every value of a batch (``np.isfinite``).
For a linear model that pass can cost as much as the model: the model reads
each value once too. But a linear model's raw scores are sums of products of
*every* input value of their row: a NaN, or an infinity (``inf * 0`` is NaN,
``inf - inf`` is NaN), makes every score of its row non-finite. So checking
the scores, a few values per row, proves the inputs finite; only when a score
is not does the predictor look at the inputs, value by value, to say which
one (or to find an overflow of finite values).

:func:`with_witness` recognises such graphs: an optional ``Scaler``, then one
``LinearClassifier`` or ``LinearRegressor``, then an optional ``Normalizer``,
as skl2onnx writes linear models (alone or after a ``StandardScaler``). A
regressor's output, and a classifier's scores without a post-transform
(``LinearSVC``), are raw already. A classifier whose scores go through a
logistic or a softmax gets that step as a separate ``Sigmoid`` or ``Softmax``
node after a raw ``WITNESS`` output; the probabilities stay what they were to
float32 rounding (the test compares them with scikit-learn's). Any other graph
is left alone and checked value by value.
"""

from __future__ import annotations

import onnx
from onnx import helper

__all__ = ["MAX_BYTES", "WITNESS", "with_witness"]

#: The output :func:`with_witness` adds to a linear classifier with a post-transform.
WITNESS = "raw_scores_witness"

#: Larger models are not parsed to look for a witness (linear models are a few
#: kilobytes; a forest can be hundreds of megabytes, slow to parse).
MAX_BYTES = 1 << 20

_BEFORE = {"Scaler"}
_LINEAR = {"LinearClassifier", "LinearRegressor"}
_AFTER = {"Normalizer"}
_TRANSFORMS = {b"LOGISTIC": "Sigmoid", b"SOFTMAX": "Softmax"}


def with_witness(content: bytes) -> tuple[bytes, str | None]:
    """The model's bytes, rewritten if needed, and the name of its witness output (None: none).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> onnx_model = convert(LogisticRegression().fit(X, [0, 0, 1, 1]), X[:1])
    >>> rewritten, witness = with_witness(onnx_model.SerializeToString())
    >>> witness
    'raw_scores_witness'
    >>> with_witness(b"not a model")
    (b'not a model', None)
    """
    if len(content) > MAX_BYTES:
        return content, None
    try:
        model = onnx.load_from_string(content)
    except Exception:  # not a model: create_session says so, naming the source
        return content, None
    nodes = list(model.graph.node)
    kinds = [node.op_type for node in nodes]
    start = 1 if kinds[:1] and kinds[0] in _BEFORE else 0
    stop = len(kinds) - 1 if kinds[-1:] and kinds[-1] in _AFTER else len(kinds)
    if model.functions or stop - start != 1 or kinds[start] not in _LINEAR or len(model.graph.input) != 1:
        return content, None
    linear = nodes[start]
    if kinds[start] == "LinearRegressor":
        return content, _graph_output(model, linear.output[0])
    transform = next((a.s for a in linear.attribute if a.name == "post_transform"), b"NONE")
    if transform == b"NONE":
        return content, _graph_output(model, linear.output[1])
    if transform not in _TRANSFORMS or len(linear.output) < 2:
        return content, None
    scores = linear.output[1]
    for attribute in linear.attribute:
        if attribute.name == "post_transform":
            attribute.s = b"NONE"
    linear.output[1] = WITNESS
    step = helper.make_node(_TRANSFORMS[transform], [WITNESS], [scores], name="witness_post_transform")
    if step.op_type == "Softmax":
        step.attribute.append(helper.make_attribute("axis", 1))
    model.graph.node.insert(start + 1, step)
    model.graph.output.append(helper.make_tensor_value_info(WITNESS, onnx.TensorProto.FLOAT, None))
    return model.SerializeToString(), WITNESS


def _graph_output(model: onnx.ModelProto, name: str) -> str | None:
    """``name`` when the graph returns it (so a session can fetch it), else None."""
    return name if name in {output.name for output in model.graph.output} else None
