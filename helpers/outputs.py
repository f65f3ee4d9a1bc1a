"""Which outputs hold the labels, probabilities or values, given back as scikit-learn does, and the
check that an overflow inside a float32 graph did not make them NaN. Introduced in :ref:`output_options`."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort

from helpers.checks import FLOAT64_FIX, describe_rows, may_hold_nan, numpy_dtype
from helpers.errors import InputError
from helpers.metadata import ModelMetadata

__all__ = ["OutputSpec"]

_LABELS = ("label", "output_label")
_PROBABILITIES = ("probabilities", "output_probability")


class OutputSpec:
    """The outputs of a model, as a scikit-learn user names them: labels and probabilities, or values."""

    def __init__(self, outputs: dict[str, tuple[str, list[Any]]], classes: list[Any] | None = None) -> None:
        self.types, self.n_classes = outputs, len(classes or ())  # n_classes: a ZipMap's width on no rows
        self.bool_labels = bool(classes) and all(isinstance(c, bool) for c in classes)  # 0 and 1 in ONNX
        self.label_name = next((n for n in _LABELS if n in outputs), None)
        self.proba_name = next((n for n in _PROBABILITIES if n in outputs), None)
        self.value_name = self.label_name or next(iter(outputs))
        self.zipmap = self.proba_name is not None and outputs[self.proba_name][0].startswith("seq(map")

    @classmethod
    def from_session(cls, session: ort.InferenceSession) -> OutputSpec:
        """Read the outputs' names, types and shapes, and the classes :func:`helpers.convert` recorded."""
        classes = ModelMetadata.read(session.get_modelmeta().custom_metadata_map).classes
        return cls({o.name: (o.type, list(o.shape)) for o in session.get_outputs()}, classes)

    @property
    def is_classifier(self) -> bool:
        return self.proba_name is not None

    def empty(self, name: str) -> np.ndarray:
        """The output ``name`` for a batch of no rows: an empty array of the right type and width."""
        onnx_type, shape = self.types[name]
        tail = [d if isinstance(d, int) else 0 for d in shape[1:]]
        return np.empty([0, *tail], dtype=numpy_dtype(onnx_type))

    def labels(self, values: np.ndarray) -> np.ndarray:
        """Labels or values, shape ``(n_rows,)`` (``(n_rows, 1)`` flattened); bool classes as bool."""
        values = values.ravel() if values.ndim == 2 and values.shape[1] == 1 else values
        return values.astype(bool) if self.bool_labels else values

    def probabilities(self, values: Any) -> np.ndarray:
        """Probabilities as an ``(n_rows, n_classes)`` array (from ZipMap's dicts too), or one per output."""
        if not self.zipmap:
            return values
        if len(values) == 0:
            return np.empty((0, self.n_classes), dtype=np.float32)  # (0, 0) when not recorded
        keys = list(values[0])
        return np.array([[row[k] for k in keys] for row in values], dtype=np.float32)

    def check_finite(self, names: list[str], values: list[Any], feed: dict[str, np.ndarray]) -> None:
        """Raise :class:`~helpers.InputError` where a float output is NaN or infinite for finite inputs."""
        for index, value in enumerate(values):
            if type(value) is np.ndarray and value.dtype.kind == "f" and may_hold_nan(value):
                self._refuse_overflow(names[index], value, feed)

    def _refuse_overflow(self, name: str, value: np.ndarray, feed: dict[str, np.ndarray]) -> None:
        bad = ~np.isfinite(value.reshape(len(value), -1)).all(axis=1)
        floats = [array for array in feed.values() if np.asarray(array).dtype.kind == "f"]  # not dicts
        for array in floats:
            bad &= np.isfinite(array.reshape(len(array), -1)).all(axis=1)
        if not bad.any():
            return  # NaN in, NaN out
        dtype = floats[0].dtype if floats else value.dtype
        fix = FLOAT64_FIX if dtype == np.float32 else "scale those features"
        raise InputError(
            f"the model's {name} is NaN or infinite for {describe_rows(np.nonzero(bad)[0])}, whose "
            f"inputs are finite: the computation overflowed {dtype} inside the model (it ends at "
            f"±{float(np.finfo(dtype).max):.3g}); {fix}"
        )
