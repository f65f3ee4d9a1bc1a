"""What :func:`helpers.convert` checks by running both models: where the scikit-learn model refuses
NaN and infinity, where the ONNX model answers NaN otherwise (both recorded), and that the ONNX model
agrees on the sample (:ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`).
A probe is one row per column, with the value in that column: when it is refused, the refusing
step says which rows it refuses, or the columns are tried in halves.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from helpers.errors import ModelFileError, UnsupportedModelError, first_line
from helpers.inputs import InputSpec
from helpers.metadata import write_metadata
from helpers.outputs import OutputSpec
from helpers.session import create_session
from helpers.validate import DEFAULT_ATOL, ComparisonReport, compare

__all__ = ["float_columns", "inf_rejected", "nan_mismatched", "nan_rejected", "verify", "write_value_checks"]

#: The most columns probed in one batch (one row per column: a probe grows as their square).
BLOCK = 512

#: How scikit-learn's ``check_array`` refuses NaN and infinity, anywhere in its input.
_CHECK_ARRAY_MESSAGE = re.compile(r"Input (X )?contains (NaN|infinity)")


def write_value_checks(
    model: BaseEstimator, onnx_model: onnx.ModelProto, X: Any, *, by_position: bool = False
) -> None:
    """Record in ``onnx_model`` where ``model`` refuses NaN and infinity, its columns named as in
    ``X`` or, ``by_position``, by their place; write the feature names and columns first."""
    place = {c: i for i, c in enumerate(X.columns)} if by_position else None

    def at(columns: list[Any]) -> list[Any]:
        return columns if place is None else [place[c] for c in columns]

    rejected = nan_rejected(model, X)
    write_metadata(onnx_model, {"nan_rejected": at(rejected), "inf_rejected": at(inf_rejected(model, X))})
    accepted = [c for c in float_columns(X) if c not in rejected]
    write_metadata(onnx_model, {"nan_mismatched": at(nan_mismatched(model, onnx_model, X, accepted))})


def float_columns(X: Any) -> list[Any]:
    """The columns of ``X`` that can hold NaN: names for a DataFrame, indices for an array."""
    if isinstance(X, pd.DataFrame):
        return [c for c, dtype in X.dtypes.items() if pd.api.types.is_float_dtype(dtype)]
    X = np.asarray(X)
    return list(range(X.shape[1])) if X.dtype.kind == "f" and X.ndim == 2 else []


def nan_rejected(model: BaseEstimator, X: Any) -> list[Any]:
    """Columns where the scikit-learn model raises on NaN (in the sample's first row).

    >>> from sklearn.linear_model import LinearRegression
    >>> nan_rejected(LinearRegression().fit(np.eye(2), [0.0, 1.0]), np.eye(2))
    [0, 1]
    """
    return _rejected(model, X, np.nan)


def inf_rejected(model: BaseEstimator, X: Any) -> list[Any]:
    """Columns where the scikit-learn model raises on infinity (in the sample's first row):
    almost every estimator everywhere (``check_array``), HistGradientBoosting nowhere."""
    return _rejected(model, X, np.inf)


def _rejected(model: BaseEstimator, X: Any, value: float) -> list[Any]:
    """The float columns of ``X`` where ``model.predict`` refuses ``value``, in blocks of columns."""
    columns = float_columns(X)
    found: list[Any] = []
    for start in range(0, len(columns), BLOCK):
        block = columns[start : start + BLOCK]
        refused, others = [], block
        while others and _refuses(model, rows := _probe(X, others, value)):
            marked = _refused_rows(model, rows, "predict")
            if not marked.any():
                refused += _halving(model, X, others, value, refused=True)
                break
            refused += [c for c, bad in zip(others, marked, strict=True) if bad]
            others = [c for c, bad in zip(others, marked, strict=True) if not bad]
        found += sorted(refused, key=block.index)
    return [int(c) if isinstance(c, np.integer) else c for c in found]


def _halving(model: BaseEstimator, X: Any, columns: list[Any], value: float, *, refused: bool) -> list[Any]:
    """Group testing (``refused``: the batch is known to be refused): about ``2 k log2(n / k)`` calls."""
    if not columns or (not refused and not _refuses(model, _probe(X, columns, value))):
        return []
    if len(columns) == 1:
        return list(columns)
    half = len(columns) // 2
    left = _halving(model, X, columns[:half], value, refused=False)
    return left + _halving(model, X, columns[half:], value, refused=not left)


def _refused_rows(estimator: Any, rows: Any, method: str) -> np.ndarray:
    """The probe ``rows`` that ``estimator.<method>`` surely refuses one at a time (True)."""
    unknown = np.zeros(len(rows), dtype=bool)
    step, given, error = _first_refusal(estimator, rows, method)
    if error is None:
        return unknown
    if isinstance(step, ColumnTransformer):  # each row one of its transformers refuses
        marked = unknown
        for _, transformer, columns in step.transformers_:  # a transformer may be "drop", "passthrough"
            part = _call(_safe_indexing, given, columns, axis=1)
            if not isinstance(transformer, str) and not isinstance(part, Exception):
                marked = marked | _refused_rows(transformer, part, "transform")
        return marked
    found = _CHECK_ARRAY_MESSAGE.search(str(error))  # a plain step: each row holding the value
    if found is None or not _sees_columns_alike(step):
        return unknown
    values = _call(np.asarray, given, dtype=np.float64)  # fails on sparse or text
    if isinstance(values, Exception) or values.ndim != 2 or len(values) != len(unknown):
        return unknown
    return (np.isnan(values) if found.group(2) == "NaN" else np.isinf(values)).any(axis=1)


def _first_refusal(estimator: Any, rows: Any, method: str) -> tuple[Any, Any, ValueError | None]:
    """The step of ``estimator`` that raises on ``rows``, its input, and its ValueError (or None)."""
    while isinstance(estimator, Pipeline):
        *head, (_, estimator) = estimator.steps
        for _, step in head:
            if step is not None and step != "passthrough":
                output = _call(getattr(step, "transform", None), rows)
                if isinstance(output, Exception):
                    return step, rows, output if isinstance(output, ValueError) else None
                rows = output
    output = _call(getattr(estimator, method, None), rows)
    return estimator, rows, output if isinstance(output, ValueError) else None


def _sees_columns_alike(estimator: Any) -> bool:
    """Not a ColumnTransformer, nor holding estimators (nested ``a__b`` parameters: an ensemble)."""
    return isinstance(estimator, BaseEstimator) and not (
        isinstance(estimator, ColumnTransformer) or any("__" in key for key in estimator.get_params())
    )


def _probe(X: Any, columns: list[Any], value: float, n_rows: int = 1) -> Any:
    """For each of ``columns`` in turn, the first ``n_rows`` rows of ``X`` with ``value`` there."""
    n_rows = min(n_rows, len(X))
    taken = np.tile(np.arange(n_rows), len(columns))  # the rows of X, once per column
    cells = (np.arange(len(taken)), np.repeat(np.arange(len(columns)), n_rows))  # (row, column place)
    if isinstance(X, pd.DataFrame):  # built whole: setting hundreds of columns one by one is slow
        block = X[columns].iloc[taken].to_numpy(dtype=np.float64, copy=True)
        block[cells] = value
        others = X.drop(columns=columns).iloc[taken].reset_index(drop=True)
        return pd.concat([pd.DataFrame(block, columns=columns), others], axis=1)[X.columns]
    rows = np.asarray(X[:n_rows], dtype=np.float64)[taken]
    rows[cells[0], np.asarray(columns, dtype=int)[cells[1]]] = value
    return rows


def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "X does not have valid feature names"
            return function(*args, **kwargs)
    except Exception as error:
        return error


def _refuses(model: BaseEstimator, rows: Any) -> bool:
    return isinstance(_call(getattr(model, "predict", None), rows), ValueError)


def nan_mismatched(
    model: BaseEstimator, onnx_model: onnx.ModelProto, X: Any, columns: list[Any]
) -> list[Any]:
    """All NaN-accepting ``columns`` when the ONNX model answers NaN there otherwise (skl2onnx 1.20
    drops forests' missing-value support), probed on the sample's first rows, up to 5, per column."""
    if not columns:
        return []
    rows = _probe(X, columns, np.nan, n_rows=5)
    agrees = _call(lambda: bool(compare(model, _SessionModel(onnx_model), rows).ok))
    if agrees is not False:  # agrees, or the check could not run: it proves nothing either way
        return []
    return [int(c) if isinstance(c, np.integer) else c for c in columns]


def verify(model: BaseEstimator, onnx_model: onnx.ModelProto, X: Any, n_rows: int = 100) -> None:
    """Compare the ONNX model with ``model`` on ``n_rows`` rows of ``X`` (values beyond 1: ``atol`` times
    the largest, float32 keeping 7 digits): an error where it does not load or run, gives other labels
    or values more than 1% off; a warning where it differs less. Rows a model refuses prove nothing."""
    rows, name = X if isinstance(X, Mapping) else X[:n_rows], type(model).__name__
    try:
        session = _SessionModel(onnx_model)
    except ModelFileError as error:
        hint = "".join(way for found, way in _LOAD_HINTS.items() if found in str(error))
        raise UnsupportedModelError(f"{name}'s ONNX model does not load: {first_line(error)}{hint}") from None

    def report() -> ComparisonReport:
        scale = 1.0 if session.is_classifier else np.abs(session.predict(rows).astype(float)).max(initial=1.0)
        return compare(model, session, rows, atol=DEFAULT_ATOL * scale)

    found = _call(report)
    if type(found).__module__.startswith("onnxruntime"):
        raise UnsupportedModelError(f"{name}'s ONNX model fails on X: {first_line(found)}")
    if isinstance(found, ComparisonReport) and not found.ok:
        message = f"{name}'s ONNX model disagrees on X: {found!r}\nFloat32 rounding? Use dtype=np.float64"
        if len(found.label_mismatches) == 0 and found.max_rel_diff <= 0.01:
            warnings.warn(message, UserWarning, stacklevel=3)
        else:
            raise UnsupportedModelError(f"{message} (or verify=False to get the model anyway)")


#: Why a converted model may not load, and the way out.
_LOAD_HINTS = {
    "locale": "; a text vectorizer: pass options={TfidfVectorizer: {'locale': 'C.UTF-8'}}",
    "tensor(double)": "; tree ensembles with float64 inputs (sklearn-onnx#1183): use dtype=np.float32",
}


class _SessionModel:
    """Just enough of a predictor for :func:`helpers.compare`: a session, fed without NaN checks."""

    def __init__(self, onnx_model: onnx.ModelProto) -> None:
        self.session, _ = create_session(onnx_model)
        self.inputs = InputSpec.from_session(self.session)
        self.outputs = OutputSpec.from_session(self.session)
        self.is_classifier = self.outputs.is_classifier
        self._run = self.inputs.runner(self.session.run)

    def predict(self, X: Any) -> np.ndarray:
        return self.outputs.labels(self._run([self.outputs.value_name], self.inputs.feed(X))[0])

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.outputs.probabilities(self._run([self.outputs.proba_name], self.inputs.feed(X))[0])
