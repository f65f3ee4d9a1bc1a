"""Small, pure checks of what a caller passes, each raising an :class:`~helpers.InputError` that
says what was expected and what came; :class:`helpers.inputs.InputSpec` puts them together.
Introduced in :ref:`running_common_errors`, which shows each refusal."""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse

from helpers.errors import InputError

__all__ = [
    "FLOAT32_LIMIT",
    "cast",
    "cells",
    "check_columns",
    "check_sample",
    "describe_rows",
    "kind",
    "may_hold_nan",
    "numbers",
    "numpy_dtype",
    "strings",
    "two_dimensional",
]

#: The numpy type of each ONNX tensor type the converted models use.
ONNX_TO_NUMPY = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(double)": np.dtype(np.float64),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(string)": np.dtype(object),
    "tensor(bool)": np.dtype(bool),
}

#: The largest float64 that float32 rounds to a finite number (float32's largest,
#: 3.4028235e38, plus just under half a step): beyond it, a cast to float32 gives infinity.
FLOAT32_LIMIT = 3.4028235677973362e38

#: The way out when a value overflows float32 inside a model (its inputs or its outputs).
FLOAT64_FIX = (
    "scikit-learn computes in float64: convert the model with "
    "helpers.convert(model, X, dtype=np.float64) to take double inputs, or scale those features"
)


def numpy_dtype(onnx_type: str) -> np.dtype:
    """``"tensor(double)"`` -> ``float64``; unknown types default to float32."""
    return ONNX_TO_NUMPY.get(onnx_type, np.dtype(np.float32))


def check_sample(X: Any, *, n_features: int | None = None, feature_names: list[str] | None = None) -> None:
    """Check the sample :func:`helpers.convert` reads the input types from: dense, with rows, and
    the columns the model was fitted on (``n_features_in_``, ``feature_names_in_``)."""
    _refuse_sparse(X)
    if isinstance(X, pd.DataFrame) and feature_names is not None:
        check_columns(X.columns, [str(c) for c in feature_names])
    elif isinstance(X, pd.DataFrame):
        _check_duplicates([str(c) for c in X.columns])
    shape = np.shape(X)
    if len(shape) == 2 and n_features is not None and shape[1] != n_features:
        raise InputError(
            f"the sample has {shape[1]} columns, but the model was fitted on {n_features} features "
            "(n_features_in_)"
        )
    if len(shape) >= 1 and shape[0] == 0:
        raise InputError(
            "the sample has no rows: convert runs the model on it to find where it refuses NaN or "
            "infinity; pass at least one row of the data, e.g. X[:1]"
        )


def describe_rows(rows: Any, limit: int = 5) -> str:
    """``[3]`` -> ``"row 3"``; a few rows listed, many counted with the first ones.

    >>> describe_rows([4]), describe_rows([1, 2]), describe_rows(range(10))
    ('row 4', 'rows 1 and 2', '10 rows (first: 0, 1, 2, 3, 4, ...)')
    """
    unique = sorted({int(r) for r in rows})
    if len(unique) == 1:
        return f"row {unique[0]}"
    if len(unique) <= limit:
        return "rows " + ", ".join(map(str, unique[:-1])) + f" and {unique[-1]}"
    return f"{len(unique)} rows (first: " + ", ".join(map(str, unique[:limit])) + ", ...)"


def cells(mask: np.ndarray, positions: list[int], columns: list[Any]) -> str:
    """The rows of the True cells of ``mask``, and where the first is."""
    rows, cols = np.nonzero(mask)
    return f"{describe_rows(rows)} (first at row {int(rows[0])}, column {columns[positions[int(cols[0])]]})"


def kind(X: Any) -> str:
    """What a value is, for a message: ``"a dict"``, ``"a scipy sparse csr_matrix"``."""
    name = type(X).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _refuse_sparse(X: Any) -> None:
    if scipy.sparse.issparse(X):
        raise InputError(
            f"got a scipy sparse {type(X).__name__} of shape {X.shape}; onnxruntime takes dense arrays: "
            "pass X.toarray() (in batches of rows, if the dense array would not fit in memory)"
        )


def two_dimensional(X: Any, width: int | None) -> np.ndarray:
    """``X`` as a 2-D numpy array, or an InputError saying what it is."""
    _refuse_sparse(X)
    try:
        array = X if isinstance(X, np.ndarray) else np.asarray(X)
        if array.dtype.kind in "US" and array is not X:  # numpy's text: 3 read as '3', 'a\x00' as 'a'
            array = np.asarray(X, dtype=object)  # the values as given, checked as given
    except (ValueError, TypeError):
        raise InputError(
            f"expected a 2-D array of shape (n_rows, {width or 'n_features'}), got {kind(X)} "
            "with rows of different lengths"
        ) from None
    if array.ndim != 2:
        one = "column use X.reshape(-1, 1)" if width == 1 else "row use X.reshape(1, -1)"  # e.g. documents
        hint = f"; for one {one}" if array.ndim == 1 else ""
        got = kind(X) if array.ndim == 0 else f"a {array.ndim}-D array of shape {array.shape}"
        raise InputError(f"expected a 2-D array of shape (n_rows, {width or 'n_features'}), got {got}{hint}")
    return array


def check_columns(given: Any, expected: list[str]) -> None:
    given = [str(c) for c in given]
    _check_duplicates(given)
    missing = [c for c in expected if c not in given]
    extra = [c for c in given if c not in expected]
    if missing or extra:
        parts = [f"missing columns {missing}"] * bool(missing) + [f"unexpected columns {extra}"] * bool(extra)
        raise InputError(f"expected the columns {expected} (any order), got {given}: " + ", ".join(parts))


def _check_duplicates(given: list[str]) -> None:
    """Refuse duplicated column names, as scikit-learn does: which copy would be the feature?"""
    counts = Counter(given)
    if len(counts) < len(given):
        repeated = ", ".join(f"{name!r} {count} times" for name, count in counts.items() if count > 1)
        raise InputError(
            f"the DataFrame has duplicated column names ({repeated}); scikit-learn refuses them too: "
            "rename or drop the copies"
        )


def strings(column: np.ndarray, name: str) -> np.ndarray:
    """A text column as the object array of ``str`` an ONNX string input takes."""
    values = column.ravel()
    missing = pd.isna(values)
    if missing.any():
        raise InputError(
            f"column {name!r} has {int(missing.sum())} missing value(s) (None/NaN); "
            "an ONNX string input cannot hold them: fill them first (e.g. with 'missing')"
        )
    inferred = pd.api.types.infer_dtype(values, skipna=False)
    if inferred not in ("string", "empty") and len(values):  # no rows: nothing to refuse
        bad = next((v for v in values if not isinstance(v, str)), values[0])
        raise InputError(
            f"column {name!r} holds text (categories) in this model, got {inferred} values such as "
            f"{_short(bad)}; scikit-learn refuses them too: pass the categories as text "
            "(.astype(str) if these numbers are the categories)"
        )
    rows = [i for i, v in enumerate(values) if not v.isprintable() and re.search("[\x00\ud800-\udfff]", v)]
    if rows:  # numpy's text would drop a trailing NUL ('red\x00' read as 'red'); UTF-8 has no lone surrogate
        what = "NUL ('\\x00') or lone surrogates (no UTF-8 text holds them)"
        raise InputError(f"column {name!r} holds {what} in {describe_rows(rows)}; remove them")
    return column.astype(str).astype(object)


def numbers(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """``array`` as a numeric array: numbers held as Python objects or text are read as float64,
    ``pd.NA`` and ``None`` as NaN; anything else is an InputError."""
    if array.dtype.kind in "fiub":
        return array
    if array.dtype.kind not in "OUS":
        raise InputError(f"{what}: expected numbers ({dtype.name}), got dtype {array.dtype}")
    with contextlib.suppress(TypeError, ValueError):
        return array.astype(np.float64)
    if array.dtype.kind == "O" and (missing := pd.isna(array)).any():  # pd.NA cannot become a float
        array = np.where(missing, np.nan, array)
        with contextlib.suppress(TypeError, ValueError):
            return array.astype(np.float64)
    bad = next(v for v in array.ravel() if not _is_number(v))
    found = "a string" if isinstance(bad, (str, bytes, np.str_)) else kind(bad)
    raise InputError(f"{what}: expected numbers ({dtype.name}), got {found} such as {_short(bad)}") from None


def cast(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """A numeric ``array`` as a C-contiguous array of ``dtype``; integers must be whole and present."""
    if array.dtype == dtype:
        return np.ascontiguousarray(array)
    if dtype.kind in "iu" and array.dtype.kind == "f":
        if not (finite := np.isfinite(array)).all():
            rows = np.nonzero(~finite)[0]
            found = "missing values (NaN, None or pd.NA)" if np.isnan(array[~finite]).any() else "infinity"
            raise InputError(
                f"{what}: expected integers ({dtype.name}), got {found} in {describe_rows(rows)}; "
                "fill them with whole numbers first"
            )
        if not np.array_equal(array, np.round(array)):
            raise InputError(f"{what}: expected integers ({dtype.name}), got non-integral floats")
    with np.errstate(over="ignore"):  # beyond float32 becomes inf: InputSpec._check_values names it
        return np.ascontiguousarray(array, dtype=dtype)


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def may_hold_nan(X: np.ndarray) -> bool:
    """Whether ``X`` may hold NaN or infinity: one row's or a few values' sum as Python floats is not
    finite (silent, faster than ``np.isfinite`` there; an overflow also gives it); else ``np.isfinite``."""
    if X.size <= 16 or (len(X) == 1 and X.size <= 256):
        return not math.isfinite(sum(X.ravel().tolist()))
    return not np.isfinite(X).all()


def _is_number(value: Any) -> bool:
    with contextlib.suppress(TypeError, ValueError):
        float(value)
        return True
    return False
