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
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
import scipy.sparse

from helpers.errors import InputError
from helpers.metadata import ModelMetadata

__all__ = [
    "FLOAT32_LIMIT",
    "ONNX_TO_NUMPY",
    "InputSlot",
    "InputSpec",
    "check_sample",
    "describe_rows",
    "numpy_dtype",
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

#: DataFrames with at most this many rows are converted in one ``to_numpy``
#: call rather than column by column: for one request, pandas' per-column
#: access costs microseconds per column.
SMALL_FRAME = 64

#: The largest float64 that float32 rounds to a finite number (float32's
#: largest, 3.4028235e38, plus just under half a step): beyond it, a cast to
#: float32 gives infinity.
FLOAT32_LIMIT = 3.4028235677973362e38


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
      where numbers are expected, sparse matrices and ragged rows are refused;
    * DataFrames: columns matched by name, in any order; missing, unexpected
      or duplicated columns are named; ``pd.NA`` and ``None`` are missing
      values; a text (category) column refuses numbers, as scikit-learn does;
    * NaN: rejected in the columns where the scikit-learn model rejects it,
      or where the ONNX model handles it differently (see :mod:`helpers.metadata`);
    * infinity: rejected where scikit-learn rejects it (almost everywhere:
      ``check_array`` refuses it), and so are float64 values beyond float32's
      range given to a float32 model, which the cast would turn into infinity.

    Every refusal is an :class:`~helpers.InputError` naming the rows or
    columns and what to do.

    Examples
    --------
    >>> spec = InputSpec([InputSlot("X", np.dtype("float32"), 2, "X")], ModelMetadata())
    >>> spec.feed([[1, 2]])["X"].dtype
    dtype('float32')
    >>> spec.feed([[1, 2, 3]])
    Traceback (most recent call last):
    ...
    helpers.errors.InputError: expected 2 features (columns), got 3
    >>> spec.feed([[1, float("inf")]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpers.errors.InputError: X holds infinity in row 0 (first at row 0, column 1): ...
    """

    def __init__(self, slots: list[InputSlot], metadata: ModelMetadata) -> None:
        self.slots = slots
        self.metadata = metadata
        self.feature_names = metadata.feature_names
        first = slots[0]
        self._single = first if len(slots) == 1 else None
        self._nan_refused = {*metadata.nan_rejected, *metadata.nan_mismatched}
        self._inf_refused = None if metadata.inf_rejected is None else set(metadata.inf_rejected)
        self._checks_values = bool(self._nan_refused) or self._inf_refused != set()
        # for the check of one row of a single float input: one dot product finds NaN or inf
        self._ones = (
            np.ones(first.width, first.dtype)
            if self._checks_values and first.dtype.kind == "f" and first.width
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

    def refuses_nan(self, column: Any) -> bool:
        """Whether NaN in ``column`` (an index, or a name for per-column inputs) is refused."""
        return column in self._nan_refused

    def refuses_inf(self, column: Any) -> bool:
        """Whether infinity in ``column`` is refused (everywhere, when the model does not say)."""
        return self._inf_refused is None or column in self._inf_refused

    def fits(self, X: Any) -> bool:
        """Whether ``X`` can be fed as it is: a non-empty C-contiguous array of the
        input's type and width, without NaN or infinity where they are refused.
        About a microsecond for one row; one ``np.isfinite`` pass for a batch."""
        slot = self._single
        return (
            slot is not None
            and type(X) is np.ndarray
            and X.dtype == slot.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and (slot.width is None or X.shape[1] == slot.width)
            and X.flags.c_contiguous
            and not (self._checks_values and _may_hold_nan(X, self._ones))
        )

    def feed(self, X: Any) -> dict[str, np.ndarray]:
        """Check ``X`` and return onnxruntime's input dict (arrays of the input types).

        The one entry for every caller's data (predictor, command line, web
        application, Dask): an array that :meth:`fits` is fed as it is; a
        numeric array of another type, or a DataFrame's values, is cast once;
        anything else, or anything that fails a check, takes the path that
        names what is wrong.
        """
        slot = self._single
        if slot is None:
            return self._feed_columns(X)
        if self.fits(X):
            return {slot.name: X}
        if isinstance(X, pd.DataFrame):
            X = self._frame_values(X)
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype.kind in "fiu"
            and slot.dtype.kind == "f"
            and X.shape[0] > 0
            and (slot.width is None or X.shape[1] == slot.width)
        ):
            with np.errstate(over="ignore"):  # beyond float32: infinity, found just below
                cast = X.astype(slot.dtype)
            if not (self._checks_values and _may_hold_nan(cast, self._ones)):
                return {slot.name: cast}
        array = _two_dimensional(X, slot.width)
        if slot.width is not None and array.shape[1] != slot.width:
            raise InputError(f"expected {slot.width} features (columns), got {array.shape[1]}")
        numbers = _numbers(array, slot.dtype, "X")
        cast = _cast(numbers, slot.dtype, "X")
        if self._checks_values and cast.dtype.kind == "f":
            self._check_values(cast, numbers, "X", list(range(cast.shape[1])))
        return {slot.name: cast}

    def _frame_values(self, frame: pd.DataFrame) -> np.ndarray:
        """A DataFrame's values for the one input, its columns in the fitted order
        (one ``to_numpy`` when they are in that order already, the usual case)."""
        if self.feature_names is not None and frame.columns.tolist() != self.feature_names:
            given = [str(c) for c in frame.columns]
            _check_columns(given, self.feature_names)
            if given != self.feature_names:
                frame = frame.iloc[:, [given.index(name) for name in self.feature_names]]
        return frame.to_numpy()

    def _feed_columns(self, X: Any) -> dict[str, np.ndarray]:
        columns = [slot.column for slot in self.slots]
        if not isinstance(X, (pd.DataFrame, Mapping)):
            raise InputError(
                f"this model has one input per column ({columns}): "
                f"pass a pandas DataFrame (or a dict of columns), got {_kind(X)}"
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
            what = f"column {slot.column!r}"
            if slot.dtype.kind == "O":
                feed[slot.name] = _strings(column, slot.column)
                continue
            numbers = _numbers(column, slot.dtype, what)
            cast = feed[slot.name] = _cast(numbers, slot.dtype, what)
            if cast.dtype.kind == "f" and (self.refuses_nan(slot.column) or self.refuses_inf(slot.column)):
                self._check_values(cast, numbers, what, [slot.column])
        lengths = {len(v) for v in feed.values()}
        if len(lengths) > 1:
            raise InputError(f"all columns must have the same length, got lengths {sorted(lengths)}")
        return feed

    def _check_values(self, cast: np.ndarray, numbers: np.ndarray, what: str, columns: list[Any]) -> None:
        """Refuse infinity, values beyond the input type and NaN where the model refuses them.

        ``cast`` is what would be fed, ``numbers`` the caller's values before
        the cast (the same array when no cast was needed); ``columns`` names
        the columns of ``cast`` as the metadata does (indices, or the name of
        a per-column input).
        """
        if np.isfinite(cast).all():  # one pass finds that nothing is wrong
            return
        infinite, missing = np.isinf(cast), np.isnan(cast)
        overflow = infinite & np.isfinite(numbers) if numbers is not cast else np.zeros_like(infinite)
        inf_refused = [i for i, c in enumerate(columns) if self.refuses_inf(c)]
        nan_refused = [i for i, c in enumerate(columns) if self.refuses_nan(c)]
        given_inf = (infinite & ~overflow)[:, inf_refused]
        if given_inf.any():
            raise InputError(
                f"{what} holds infinity in {_cells(given_inf, inf_refused, columns)}: "
                "scikit-learn refuses it there (Input X contains infinity); replace or clip those values"
            )
        beyond = overflow[:, inf_refused]
        if beyond.any():
            row, column = (int(i) for i in np.argwhere(beyond)[0])
            value = float(numbers[row, inf_refused[column]])
            raise InputError(
                f"{what} holds values too large for {cast.dtype} in {_cells(beyond, inf_refused, columns)}"
                f" ({value:.3g}; {cast.dtype} ends at ±{float(np.finfo(cast.dtype).max):.3g}): this model "
                "computes in float32, where they would become infinity. scikit-learn computes in float64: "
                "convert the model with helpers.convert(model, X, dtype=np.float64) to take double "
                "inputs, or scale those features"
            )
        nan = missing[:, nan_refused]
        if nan.any():
            rows, cols = np.nonzero(nan)
            bad = sorted({columns[nan_refused[int(c)]] for c in cols}, key=str)
            where = f"column(s) {bad}" if what == "X" else what
            rejected = any(c in self.metadata.nan_rejected for c in bad)
            reason = (
                "the original scikit-learn model rejects NaN there (Input X contains NaN)"
                if rejected
                else "this ONNX model does not handle NaN the way the scikit-learn model does "
                "(skl2onnx did not convert its missing-value support, as helpers.convert found)"
            )
            raise InputError(
                f"{where} contain NaN in {len(set(rows.tolist()))} row(s) (first: row {int(rows[0])}), "
                f"but {reason}; impute the missing values or add an imputer to the pipeline"
            )


def check_sample(X: Any, *, n_features: int | None = None, feature_names: list[str] | None = None) -> None:
    """Check the sample :func:`helpers.convert` reads the input types from.

    It must hold at least one row (the checks of missing and infinite values
    run the model on it), be dense, and have the columns the model was
    fitted on: ``n_features`` (``n_features_in_``) and, for a DataFrame,
    ``feature_names`` (``feature_names_in_``), without duplicates.

    Examples
    --------
    >>> check_sample(np.zeros((1, 3)), n_features=4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpers.errors.InputError: the sample has 3 columns, but the model was fitted ...
    """
    if scipy.sparse.issparse(X):
        raise InputError(_sparse_message(X))
    if isinstance(X, pd.DataFrame):
        given = [str(c) for c in X.columns]
        if feature_names is not None:
            _check_columns(given, [str(c) for c in feature_names])
        else:
            _check_duplicates(given)
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

    Examples
    --------
    >>> describe_rows([4]), describe_rows([1, 2]), describe_rows(range(10))
    ('row 4', 'rows 1 and 2', '10 rows (first: 0, 1, 2, 3, 4, ...)')
    """
    unique = sorted({int(r) for r in rows})
    if len(unique) == 1:
        return f"row {unique[0]}"
    if len(unique) <= limit:
        return "rows " + ", ".join(map(str, unique[:-1])) + f" and {unique[-1]}"
    return f"{len(unique)} rows (first: " + ", ".join(map(str, unique[:limit])) + ", ...)"


def _cells(mask: np.ndarray, positions: list[int], columns: list[Any]) -> str:
    """The rows of the True cells of ``mask``, and where the first is."""
    rows, cols = np.nonzero(mask)
    column = columns[positions[int(cols[0])]]
    return f"{describe_rows(rows)} (first at row {int(rows[0])}, column {column})"


def _kind(X: Any) -> str:
    """What a value is, for a message: ``"a dict"``, ``"a scipy sparse csr_matrix"``."""
    name = type(X).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _sparse_message(X: Any) -> str:
    return (
        f"got a scipy sparse {type(X).__name__} of shape {X.shape}; onnxruntime takes dense arrays: "
        "pass X.toarray() (in batches of rows, if the dense array would not fit in memory)"
    )


def _two_dimensional(X: Any, width: int | None) -> np.ndarray:
    """``X`` as a 2-D numpy array, or an InputError saying what it is."""
    if scipy.sparse.issparse(X):
        raise InputError(_sparse_message(X))
    try:
        array = X if isinstance(X, np.ndarray) else np.asarray(X)
    except (ValueError, TypeError):
        raise InputError(
            f"expected a 2-D array of shape (n_rows, {width or 'n_features'}), got {_kind(X)} "
            "with rows of different lengths"
        ) from None
    if array.ndim != 2:
        hint = "; for one row use X.reshape(1, -1)" if array.ndim == 1 else ""
        got = _kind(X) if array.ndim == 0 else f"a {array.ndim}-D array of shape {array.shape}"
        raise InputError(f"expected a 2-D array of shape (n_rows, {width or 'n_features'}), got {got}{hint}")
    return array


def _check_columns(given: Any, expected: list[str]) -> None:
    given = [str(c) for c in given]
    _check_duplicates(given)
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


def _check_duplicates(given: list[str]) -> None:
    """Refuse duplicated column names, as scikit-learn does: which copy would be the feature?"""
    counts = Counter(given)
    if len(counts) < len(given):
        repeated = ", ".join(f"{name!r} {count} times" for name, count in counts.items() if count > 1)
        raise InputError(
            f"the DataFrame has duplicated column names ({repeated}); scikit-learn refuses them too: "
            "rename or drop the copies"
        )


def _strings(column: np.ndarray, name: str) -> np.ndarray:
    values = column.ravel()
    missing = pd.isna(values)
    if missing.any():
        raise InputError(
            f"column {name!r} has {int(missing.sum())} missing value(s) (None/NaN); "
            "an ONNX string input cannot hold them: fill them first (e.g. with 'missing')"
        )
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind not in ("string", "empty"):
        bad = next((v for v in values if not isinstance(v, str)), values[0])
        raise InputError(
            f"column {name!r} holds text (categories) in this model, got {kind} values such as "
            f"{_short(bad)}; scikit-learn refuses them too: pass the categories as text "
            "(.astype(str) if these numbers are the categories)"
        )
    return column.astype(str).astype(object)


def _numbers(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """``array`` as a numeric array: numbers held as Python objects or text are read as float64,
    ``pd.NA`` and ``None`` as NaN; anything else is an InputError."""
    if array.dtype.kind in "fiub":
        return array
    if array.dtype.kind not in "OUS":
        raise InputError(f"{what}: expected numbers ({dtype.name}), got dtype {array.dtype}")
    try:
        return array.astype(np.float64)
    except (TypeError, ValueError):
        pass
    if array.dtype.kind == "O":
        missing = pd.isna(array)
        if missing.any():  # pd.NA cannot become a float by itself
            array = np.where(missing, np.nan, array)
            try:
                return array.astype(np.float64)
            except (TypeError, ValueError):
                pass
    bad = next(v for v in array.ravel() if not _is_number(v))
    kind = "a string" if isinstance(bad, (str, bytes, np.str_)) else _kind(bad)
    raise InputError(f"{what}: expected numbers ({dtype.name}), got {kind} such as {_short(bad)}") from None


def _cast(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """A numeric ``array`` as a C-contiguous array of ``dtype``; integers must be whole and present."""
    if array.dtype == dtype:
        return np.ascontiguousarray(array)
    if dtype.kind in "iu" and array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
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


def _may_hold_nan(X: np.ndarray, ones: np.ndarray | None) -> bool:
    """Whether ``X`` may hold a NaN or an infinity.

    One row: its sum, from ``np.vdot``, is NaN or infinite when a value is,
    in about a microsecond, several times faster than ``np.isfinite`` there
    and silent (unlike ``X.dot``, it warns neither about ``inf - inf`` nor
    about an overflow). A sum of finite values that overflows also answers
    True: :meth:`InputSpec.feed` then looks value by value. More rows:
    ``np.isfinite(X).all()``, one vectorised pass, faster there than sums.
    """
    if ones is not None and len(X) == 1:
        return not math.isfinite(np.vdot(X, ones))
    return not np.isfinite(X).all()


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
