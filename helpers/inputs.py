"""Check what a caller passes and turn it into onnxruntime's input dict: every front end feeds
a model through :class:`InputSpec`, so bad data gets the same :class:`~helpers.InputError`
everywhere. Introduced in :ref:`with_helpers`; :ref:`running_common_errors` shows each refusal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from helpers import checks
from helpers.errors import InputError
from helpers.metadata import ModelMetadata

__all__ = ["AsGiven", "InputSlot", "InputSpec"]

#: DataFrames with at most this many rows are converted in one ``to_numpy`` call, not column
#: by column: for one request, pandas' per-column access costs microseconds per column.
SMALL_FRAME = 64


@dataclass(frozen=True)
class InputSlot:
    """One input of the model: its name, numpy type, width (None when free) and DataFrame column."""

    name: str
    dtype: np.dtype
    width: int | None
    column: str


class InputSpec:
    """What a model takes, and the checks that turn a caller's data into its feed (arrays cast to
    its type, DataFrame columns matched by name, NaN and infinity refused where the metadata says)."""

    def __init__(self, slots: list[InputSlot], metadata: ModelMetadata, one_by_one: bool = False) -> None:
        self.slots, self.one_by_one = slots, one_by_one
        self.metadata = metadata
        self.feature_names = metadata.feature_names
        self._checked_columns: pd.Index | None = None  # the last frame columns found in the fitted order
        self._single = slots[0] if len(slots) == 1 else None
        nan = metadata.nan_rejected  # None: not recorded, refused everywhere (so is infinity)
        self._nan_refused = None if nan is None else {*nan, *metadata.nan_mismatched}
        self._inf_refused = None if metadata.inf_rejected is None else set(metadata.inf_rejected)
        self._checks_values = self._nan_refused != set() or self._inf_refused != set()

    @classmethod
    def from_session(cls, session: ort.InferenceSession) -> InputSpec:
        """Read the inputs and the metadata :func:`helpers.convert` wrote."""
        metadata = ModelMetadata.read(session.get_modelmeta().custom_metadata_map)
        inputs = session.get_inputs()
        columns = metadata.columns if metadata.columns and len(metadata.columns) == len(inputs) else None
        slots, spec = [], cls if len(inputs) > 1 or len(inputs[0].shape) == 2 else AsGiven
        for index, item in enumerate(inputs):
            width = item.shape[1] if len(item.shape) == 2 and isinstance(item.shape[1], int) else None
            column = columns[index] if columns else item.name
            slots.append(InputSlot(item.name, checks.numpy_dtype(item.type), width, column))
        return spec(slots, metadata, one_by_one=inputs[0].type.startswith("map("))

    @property
    def names(self) -> list[str]:
        return [slot.name for slot in self.slots]

    @property
    def single_float(self) -> InputSlot | None:
        """The input, when the model takes one float matrix; else None."""
        slot = self._single
        return slot if slot is not None and slot.dtype.kind == "f" else None

    def refuses_nan(self, column: Any) -> bool:
        """Whether NaN in ``column`` (an index, or a name for per-column inputs) is refused."""
        return self._nan_refused is None or column in self._nan_refused

    def refuses_inf(self, column: Any) -> bool:
        """Whether infinity in ``column`` is refused (everywhere, when the model does not say)."""
        return self._inf_refused is None or column in self._inf_refused

    def runner(self, run: Any) -> Any:
        """``run(names, feed)``, or, for a model that takes one dict at a time, one run per dict."""

        def each(names: list[str], feed: dict[str, Any]) -> list[Any]:
            runs = [run(names, {name: row}) for name, rows in feed.items() for row in rows]
            return [np.concatenate(parts) for parts in zip(*runs, strict=True)]

        return each if self.one_by_one else run

    def fits(self, X: Any) -> bool:
        """Whether ``X`` feeds as it is: non-empty, C-contiguous, typed, sized and checked (~1 us)."""
        slot = self._single
        return (
            slot is not None
            and type(X) is np.ndarray
            and X.dtype == slot.dtype
            and X.ndim == 2
            and X.shape[0] > 0
            and (slot.width is None or X.shape[1] == slot.width)
            and X.flags.c_contiguous
            and X.dtype.kind != "O"  # text: checked by checks.strings
            and not (self._checks_values and checks.may_hold_nan(X))
        )

    def feed(self, X: Any) -> dict[str, np.ndarray]:
        """Check ``X`` and return onnxruntime's input dict (numbers cast once; else a clear error). Text in
        lists and object arrays stays exact (NUL refused); a numpy ``U`` array has lost trailing NULs."""
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
                cast = np.asarray(X, dtype=slot.dtype, order="C")  # a frame's values come column-major
            if self._checks_values and checks.may_hold_nan(cast):  # names what is refused, if any
                self._check_values(cast, X, "X", list(range(cast.shape[1])))
            return {slot.name: cast}
        if slot.dtype.kind == "O" and isinstance(X, (list, tuple)):  # numpy's text type drops trailing NUL
            X = np.array(X, dtype=object)
        array = checks.two_dimensional(X, slot.width)
        if slot.width is not None and array.shape[1] != slot.width:
            raise InputError(f"expected {slot.width} features (columns), got {array.shape[1]}")
        if slot.dtype.kind == "O":  # one text input (a text classifier, a one-column encoder)
            return {slot.name: checks.strings(array, slot.column)}
        numbers = checks.numbers(array, slot.dtype, "X")
        cast = checks.cast(numbers, slot.dtype, "X")
        if self._checks_values and cast.dtype.kind == "f":
            self._check_values(cast, numbers, "X", list(range(cast.shape[1])))
        return {slot.name: cast}

    def _frame_values(self, frame: pd.DataFrame) -> np.ndarray:
        """A DataFrame's values for the one input, its columns in the fitted order."""
        if self.feature_names is not None and frame.columns is not self._checked_columns:
            if frame.columns.tolist() == self.feature_names:
                self._checked_columns = frame.columns  # an Index is immutable: a slice of the frame shares it
                return frame.to_numpy()
            given = [str(c) for c in frame.columns]
            checks.check_columns(given, self.feature_names)
            if given != self.feature_names:
                frame = frame.iloc[:, [given.index(name) for name in self.feature_names]]
        return frame.to_numpy()

    def _feed_columns(self, X: Any) -> dict[str, np.ndarray]:
        columns = [slot.column for slot in self.slots]
        if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == len(columns):
            X = {column: X[:, index] for index, column in enumerate(columns)}  # in the fitted order
        if not isinstance(X, (pd.DataFrame, Mapping)):
            raise InputError(
                f"this model has one input per column ({columns}): "
                f"pass a pandas DataFrame (or a dict of columns), got {checks.kind(X)}"
            )
        given = [str(c) for c in X.keys()]
        checks.check_columns(given, columns)
        position = {c: i for i, c in enumerate(given)}
        if isinstance(X, pd.DataFrame) and len(X) <= SMALL_FRAME:
            values = X.to_numpy(dtype=object)

            def get(name: str, text: bool) -> np.ndarray:
                return values[:, position[name], None]
        else:
            items = list(X.values()) if isinstance(X, Mapping) else None

            def get(name: str, text: bool) -> np.ndarray:  # by position: column names may be integers
                column = X.iloc[:, position[name]] if items is None else items[position[name]]
                column = column.to_numpy() if isinstance(column, pd.Series) else column
                values = np.asarray(column, dtype=object if text else None)  # 'U' text drops trailing NUL
                if values.ndim == 0:  # pandas refuses it too: it asks for an index
                    raise InputError(f"column {name!r} is one value, {values.item()!r}: pass a list")
                if values.ndim > 1 and values.size != len(values):  # else they would multiply the rows
                    raise InputError(f"column {name!r}: expected 1-D (or n x 1), got shape {values.shape}")
                return values.reshape(-1, 1)

        feed = {}
        for slot in self.slots:
            column = get(slot.column, slot.dtype.kind == "O")
            what = f"column {slot.column!r}"
            if slot.dtype.kind == "O":
                feed[slot.name] = checks.strings(column, slot.column)
                continue
            numbers = checks.numbers(column, slot.dtype, what)
            cast = feed[slot.name] = checks.cast(numbers, slot.dtype, what)
            if cast.dtype.kind == "f" and (self.refuses_nan(slot.column) or self.refuses_inf(slot.column)):
                self._check_values(cast, numbers, what, [slot.column])
        lengths = {len(v) for v in feed.values()}
        if len(lengths) > 1:
            raise InputError(f"all columns must have the same length, got lengths {sorted(lengths)}")
        return feed

    def _check_values(self, cast: np.ndarray, numbers: np.ndarray, what: str, columns: list[Any]) -> None:
        """Refuse infinity, NaN and values beyond the type (``numbers``: before the cast) where refused."""
        if np.isfinite(cast).all():  # one pass finds that nothing is wrong
            return
        infinite, missing = np.isinf(cast), np.isnan(cast)
        overflow = infinite & np.isfinite(numbers) if numbers is not cast else np.zeros_like(infinite)
        inf_refused = [i for i, c in enumerate(columns) if self.refuses_inf(c)]
        nan_refused = [i for i, c in enumerate(columns) if self.refuses_nan(c)]
        given_inf = (infinite & ~overflow)[:, inf_refused]
        if given_inf.any():
            raise InputError(
                f"{what} holds infinity in {checks.cells(given_inf, inf_refused, columns)}: "
                "scikit-learn refuses it there (Input X contains infinity); replace or clip those values"
            )
        beyond = overflow[:, inf_refused]
        if beyond.any():
            row, column = (int(i) for i in np.argwhere(beyond)[0])
            value = float(numbers[row, inf_refused[column]])
            raise InputError(
                f"{what} holds values too large for {cast.dtype} in "
                f"{checks.cells(beyond, inf_refused, columns)} ({value:.3g}; {cast.dtype} ends at "
                f"±{float(np.finfo(cast.dtype).max):.3g}): this model computes in float32, where they would "
                f"become infinity. {checks.FLOAT64_FIX}"
            )
        nan = missing[:, nan_refused]
        if nan.any():
            rows, cols = np.nonzero(nan)
            bad = sorted({columns[nan_refused[int(c)]] for c in cols}, key=str)
            subject = f"column(s) {bad} contain" if what == "X" else f"{what} contains"
            recorded = self.metadata.nan_rejected
            reason = (
                "this model carries no record of where NaN is allowed, so it is refused everywhere, as "
                "most scikit-learn estimators do (convert the model with helpers.convert to record it)"
                if recorded is None
                else "the original scikit-learn model rejects NaN there (Input X contains NaN)"
                if any(c in recorded for c in bad)
                else "this ONNX model does not handle NaN the way the scikit-learn model does "
                "(skl2onnx did not convert its missing-value support, as helpers.convert found)"
            )
            raise InputError(
                f"{subject} NaN in {len(set(rows.tolist()))} row(s) (first: row {int(rows[0])}), "
                f"but {reason}; impute the missing values or add an imputer to the pipeline"
            )


class AsGiven(InputSpec):
    """One input that is no table: 1-D labels (``LabelEncoder``), or dicts (``DictVectorizer``, run
    one at a time). Fed as given, its type checked; text kept exactly, as in a list."""

    def feed(self, X: Any) -> dict[str, Any]:
        slot, rows = self.slots[0], [X] if isinstance(X, Mapping) else X
        if self.one_by_one and all(isinstance(row, Mapping) for row in rows):
            return {slot.name: list(rows)}
        values = np.asarray(X, dtype=object if slot.dtype.kind == "O" else None)
        if self.one_by_one or values.ndim != 1:
            expected = "dicts" if self.one_by_one else "1-D labels, shape (n_rows,) (X.ravel() for a column)"
            raise InputError(f"this model takes {expected}, got {checks.kind(X)} of shape {values.shape}")
        if slot.dtype.kind == "O":
            return {slot.name: checks.strings(values, slot.name)}
        return {slot.name: checks.cast(checks.numbers(values, slot.dtype, "X"), slot.dtype, "X")}
