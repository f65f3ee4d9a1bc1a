"""Check what a caller passes and turn it into onnxruntime's input dict.

The one input-checking module: the predictor, the command-line tool, the web
application and Dask scoring all feed a model through :class:`InputSpec`, so
bad data gets the same :class:`~helpers.InputError` everywhere, saying what
was expected and what came, before it reaches onnxruntime.

Longer than 250 lines: it is the one input-checking module every entry point
shares, on purpose; each check is a small function.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from helpers.errors import InputError
from helpers.metadata import ModelMetadata

__all__ = ["ONNX_TO_NUMPY", "InputSlot", "InputSpec", "numpy_dtype"]

#: The numpy type of each ONNX tensor type the converted models use.
ONNX_TO_NUMPY = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(double)": np.dtype(np.float64),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(string)": np.dtype(object),
    "tensor(bool)": np.dtype(bool),
}

#: DataFrames with at most this many rows are converted in one ``to_numpy``
#: call rather than column by column: for one request, pandas' per-column
#: access costs microseconds per column.
SMALL_FRAME = 64


def numpy_dtype(onnx_type: str) -> np.dtype:
    """``"tensor(double)"`` -> ``float64``; unknown types default to float32.

    Examples
    --------
    >>> numpy_dtype("tensor(int64)")
    dtype('int64')
    """
    return ONNX_TO_NUMPY.get(onnx_type, np.dtype(np.float32))


@dataclass(frozen=True)
class InputSlot:
    """One input of the model: its name, numpy type, width (None when free) and DataFrame column."""

    name: str
    dtype: np.dtype
    width: int | None
    column: str


class InputSpec:
    """What a model takes, and the checks that turn a caller's data into its feed.

    * arrays: 2-D with the model's number of columns; float64 data given to a
      float32 model is cast (the precision the model computes in); strings
      where numbers are expected are rejected;
    * DataFrames: columns matched by name, in any order; missing or
      unexpected columns are named;
    * NaN: rejected in the columns where the scikit-learn model rejects it,
      or where the ONNX model handles it differently (see :mod:`helpers.metadata`).

    Examples
    --------
    >>> spec = InputSpec([InputSlot("X", np.dtype("float32"), 2, "X")], ModelMetadata())
    >>> spec.feed([[1, 2]])["X"].dtype
    dtype('float32')
    >>> spec.feed([[1, 2, 3]])
    Traceback (most recent call last):
    ...
    helpers.errors.InputError: expected 2 features (columns), got 3
    """

    def __init__(self, slots: list[InputSlot], metadata: ModelMetadata) -> None:
        self.slots = slots
        self.metadata = metadata
        self.feature_names = metadata.feature_names
        first = slots[0]
        self._single = first if len(slots) == 1 else None
        self._checks_nan = bool(metadata.nan_rejected or metadata.nan_mismatched)
        # for the ready-made check of a single float input: one dot product finds NaN in a row
        self._nan_ones = (
            np.ones(first.width, first.dtype)
            if self._checks_nan and first.dtype.kind == "f" and first.width
            else None
        )

    @classmethod
    def from_session(cls, session: ort.InferenceSession) -> InputSpec:
        """Read the inputs and the metadata :func:`helpers.convert` wrote."""
        metadata = ModelMetadata.read(session.get_modelmeta().custom_metadata_map)
        inputs = session.get_inputs()
        columns = metadata.columns if metadata.columns and len(metadata.columns) == len(inputs) else None
        slots = [
            InputSlot(
                item.name,
                numpy_dtype(item.type),
                item.shape[1] if len(item.shape) == 2 and isinstance(item.shape[1], int) else None,
                columns[index] if columns else item.name,
            )
            for index, item in enumerate(inputs)
        ]
        return cls(slots, metadata)

    @property
    def names(self) -> list[str]:
        """The model's input names, in order."""
        return [slot.name for slot in self.slots]

    @property
    def single_float(self) -> InputSlot | None:
        """The input, when the model takes one float matrix; else None."""
        slot = self._single
        return slot if slot is not None and slot.dtype.kind == "f" else None

    def is_ready(self, X: Any) -> bool:
        """Whether ``X`` can be fed as it is: a non-empty C-contiguous array of the
        input's type and width, without NaN where NaN is refused. About a microsecond."""
        slot = self._single
        return (
            slot is not None
            and type(X) is np.ndarray
            and X.dtype == slot.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and (slot.width is None or X.shape[1] == slot.width)
            and X.flags.c_contiguous
            and not (self._checks_nan and _may_hold_nan(X, self._nan_ones))
        )

    def feed(self, X: Any) -> dict[str, np.ndarray]:
        """Check ``X`` and return onnxruntime's input dict (arrays of the input types)."""
        if self._single is None:
            return self._feed_columns(X)
        slot = self._single
        if isinstance(X, pd.DataFrame) and self.feature_names is not None:
            _check_columns(X.columns, self.feature_names)
            X = X[self.feature_names]
        array = X if isinstance(X, np.ndarray) else np.asarray(X)
        if array.ndim != 2:
            hint = "; for one row use X.reshape(1, -1)" if array.ndim == 1 else ""
            raise InputError(
                f"expected a 2-D array of shape (n_rows, {slot.width or 'n_features'}), "
                f"got a {array.ndim}-D array of shape {array.shape}{hint}"
            )
        if slot.width is not None and array.shape[1] != slot.width:
            raise InputError(f"expected {slot.width} features (columns), got {array.shape[1]}")
        array = _cast(array, slot.dtype, "X")
        if self._checks_nan and array.dtype.kind == "f":
            _check_nan(array, self.metadata.nan_rejected, self.metadata.nan_mismatched)
        return {slot.name: array}

    def _feed_columns(self, X: Any) -> dict[str, np.ndarray]:
        columns = [slot.column for slot in self.slots]
        if not isinstance(X, (pd.DataFrame, Mapping)):
            raise InputError(
                f"this model has one input per column ({columns}): "
                f"pass a pandas DataFrame (or a dict of columns), got {type(X).__name__}"
            )
        if isinstance(X, pd.DataFrame) and len(X) <= SMALL_FRAME:
            given = [str(c) for c in X.columns]
            _check_columns(given, columns)
            values, position = X.to_numpy(dtype=object), {c: i for i, c in enumerate(given)}

            def get(name: str) -> np.ndarray:
                return values[:, position[name], None]
        else:
            _check_columns(list(X.keys()), columns)

            def get(name: str) -> np.ndarray:
                column = X[name]
                values = column.to_numpy() if isinstance(column, pd.Series) else np.asarray(column)
                return values.reshape(-1, 1)

        feed = {}
        for slot in self.slots:
            column = get(slot.column)
            if slot.dtype.kind == "O":
                feed[slot.name] = _strings(column, slot.column)
                continue
            cast = feed[slot.name] = _cast(column, slot.dtype, f"column {slot.column!r}")
            rejected = slot.column in self.metadata.nan_rejected
            mismatched = slot.column in self.metadata.nan_mismatched
            if cast.dtype.kind == "f" and (rejected or mismatched):
                _check_nan(cast, [0] * rejected, [0] * mismatched, label=f"column {slot.column!r}")
        lengths = {len(v) for v in feed.values()}
        if len(lengths) > 1:
            raise InputError(f"all columns must have the same length, got lengths {sorted(lengths)}")
        return feed


def _check_columns(given: Any, expected: list[str]) -> None:
    given = [str(c) for c in given]
    missing = [c for c in expected if c not in given]
    extra = [c for c in given if c not in expected]
    if missing or extra:
        parts = [
            f"missing columns {missing}" if missing else "",
            f"unexpected columns {extra}" if extra else "",
        ]
        raise InputError(
            f"expected the columns {expected} (any order), got {given}: " + ", ".join(p for p in parts if p)
        )


def _strings(column: np.ndarray, name: str) -> np.ndarray:
    missing = pd.isna(column.ravel())
    if missing.any():
        raise InputError(
            f"column {name!r} has {int(missing.sum())} missing value(s) (None/NaN); "
            "an ONNX string input cannot hold them: fill them first (e.g. with 'missing')"
        )
    return column.astype(str).astype(object)


def _cast(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    if array.dtype == dtype:
        return np.ascontiguousarray(array)
    if array.dtype.kind in "OUS":  # numbers held as Python objects or as text
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            bad = next(v for v in array.ravel() if not _is_number(v))
            raise InputError(
                f"{what}: expected numbers ({dtype.name}), got a string such as {bad!r}"
            ) from None
        if array.dtype == dtype:
            return np.ascontiguousarray(array)
    if array.dtype.kind not in "fiub":
        raise InputError(f"{what}: expected numbers ({dtype.name}), got dtype {array.dtype}")
    if dtype.kind in "iu" and array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
            raise InputError(f"{what}: expected integers ({dtype.name}), got non-integral floats")
    return np.ascontiguousarray(array, dtype=dtype)


def _check_nan(array: np.ndarray, rejected: Any, mismatched: Any, label: str | None = None) -> None:
    """Raise InputError if a column listed in ``rejected`` or ``mismatched`` holds NaN."""
    if not np.isnan(array.sum()):
        return
    rows, cols = np.nonzero(np.isnan(array))
    reasons = (
        (rejected, "the original scikit-learn model rejects NaN there (Input X contains NaN)"),
        (
            mismatched,
            "this ONNX model does not handle NaN the way the scikit-learn model does "
            "(skl2onnx did not convert its missing-value support, as helpers.convert found)",
        ),
    )
    for columns, reason in reasons:
        bad = sorted({int(c) for c in cols} & {int(c) for c in columns if isinstance(c, (int, np.integer))})
        if bad:
            where = label or f"column(s) {bad}"
            raise InputError(
                f"{where} contain NaN in {len(set(rows.tolist()))} row(s) (first: row {int(rows[0])}), "
                f"but {reason}; impute the missing values or add an imputer to the pipeline"
            )


def _may_hold_nan(X: np.ndarray, ones: np.ndarray | None) -> bool:
    """Whether ``X`` may hold a NaN, in about a microsecond for one row.

    A NaN makes its row's sum NaN. The row sums come from one matrix-vector
    product with ``ones``, several times faster on one row than
    ``np.isnan(X.sum())``. Like that check, it also answers True when ``inf``
    and ``-inf`` cancel out: :meth:`InputSpec.feed` then looks value by value.
    """
    if ones is None:
        return bool(np.isnan(X.sum()))
    sums = X.dot(ones)
    return math.isnan(sums[0]) if len(sums) == 1 else bool(np.isnan(sums.sum()))


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
