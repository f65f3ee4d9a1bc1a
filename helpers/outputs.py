"""Which outputs of a converted model hold the labels, the probabilities or the values,
and how to give them back the way scikit-learn does."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort

from helpers.inputs import numpy_dtype

__all__ = ["OutputSpec"]

_LABELS = ("label", "output_label")
_PROBABILITIES = ("probabilities", "output_probability")


class OutputSpec:
    """The outputs of a model, as a scikit-learn user names them.

    A classifier converted by skl2onnx has a label output and a probability
    output; a regressor or a transformer has its values in its first output.

    Examples
    --------
    >>> spec = OutputSpec({"label": ("tensor(int64)", ["N"]), "probabilities": ("tensor(float)", ["N", 3])})
    >>> spec.is_classifier, spec.value_name, spec.proba_name
    (True, 'label', 'probabilities')
    >>> spec.empty("probabilities").shape
    (0, 3)
    """

    def __init__(self, outputs: dict[str, tuple[str, list[Any]]]) -> None:
        self.types = outputs
        names = list(outputs)
        self.label_name = next((n for n in _LABELS if n in outputs), None)
        self.proba_name = next((n for n in _PROBABILITIES if n in outputs), None)
        self.value_name = self.label_name or names[0]
        self.zipmap = self.proba_name is not None and outputs[self.proba_name][0].startswith("seq(")

    @classmethod
    def from_session(cls, session: ort.InferenceSession) -> OutputSpec:
        """Read the outputs' names, types and shapes."""
        return cls({o.name: (o.type, list(o.shape)) for o in session.get_outputs()})

    @property
    def names(self) -> list[str]:
        """Every output's name."""
        return list(self.types)

    @property
    def is_classifier(self) -> bool:
        """True when the model has a probability output."""
        return self.proba_name is not None

    def empty(self, name: str) -> np.ndarray:
        """The output ``name`` for a batch of no rows: an empty array of the right type and width."""
        onnx_type, shape = self.types[name]
        tail = [d if isinstance(d, int) else 0 for d in shape[1:]]
        return np.empty([0, *tail], dtype=numpy_dtype(onnx_type))

    def labels(self, values: np.ndarray) -> np.ndarray:
        """Labels or values, shape ``(n_rows,)``: a regressor's ``(n_rows, 1)`` is flattened."""
        return values.ravel() if values.ndim == 2 and values.shape[1] == 1 else values

    def probabilities(self, values: Any) -> np.ndarray:
        """Probabilities as an ``(n_rows, n_classes)`` array, also from ZipMap's list of dicts."""
        if not self.zipmap:
            return values
        if len(values) == 0:
            return np.empty((0, 0), dtype=np.float32)
        keys = list(values[0])
        return np.array([[row[k] for k in keys] for row in values], dtype=np.float32)
