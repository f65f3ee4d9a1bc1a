"""What a model does with NaN and infinity: where scikit-learn rejects them, and where the
ONNX model disagrees.

:func:`helpers.convert` records them in the model (see :mod:`helpers.metadata`),
so that :class:`helpers.OnnxPredictor` refuses NaN and infinity exactly where
scikit-learn does, and NaN where the ONNX model would silently answer
something else.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import onnx
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer

from helpers.inputs import InputSpec
from helpers.outputs import OutputSpec
from helpers.session import create_session
from helpers.validate import compare

__all__ = ["float_columns", "inf_rejected", "nan_mismatched", "nan_rejected"]


def float_columns(X: Any) -> list[Any]:
    """The columns of ``X`` that can hold NaN: names for a DataFrame, indices for an array."""
    if isinstance(X, pd.DataFrame):
        return [c for c in X.columns if pd.api.types.is_float_dtype(X[c].dtype)]
    X = np.asarray(X)
    return list(range(X.shape[1])) if X.dtype.kind == "f" else []


def _with_nan(X: Any, column: Any, n_rows: int, value: float = np.nan) -> Any:
    """The first ``n_rows`` rows of ``X`` with ``value`` (NaN) in ``column`` (or a list of columns)."""
    if isinstance(X, pd.DataFrame):
        rows = X.iloc[:n_rows].copy()
        rows[column] = value
        return rows
    rows = np.array(X[:n_rows], dtype=np.float64)
    rows[:, column] = value
    return rows


def _refuses(model: BaseEstimator, rows: Any) -> bool:
    """Whether ``model.predict(rows)`` raises ValueError (scikit-learn's "Input X contains ...")."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "X does not have valid feature names"
            model.predict(rows)
    except ValueError:
        return True
    except Exception:
        return False
    return False


def _plain(column: Any) -> Any:
    return int(column) if isinstance(column, (int, np.integer)) else column


def nan_rejected(model: BaseEstimator, X: Any) -> list[Any]:
    """Columns where the scikit-learn model raises on NaN (tried one column at a time).

    OnnxPredictor uses this to reject NaN exactly where scikit-learn does,
    instead of returning NaN predictions.
    """
    return [_plain(c) for c in float_columns(X) if _refuses(model, _with_nan(X, c, 1))]


def inf_rejected(model: BaseEstimator, X: Any) -> list[Any]:
    """Columns where the scikit-learn model raises on infinity.

    Almost every estimator refuses infinity everywhere (``check_array``);
    HistGradientBoosting takes it as a value beyond every threshold. So one
    row with infinity in every float column is tried first: accepted, no
    column refuses it; refused, every column does, except in a model that
    routes columns to different steps (a ``ColumnTransformer``), where each
    column is tried alone.
    """
    columns = float_columns(X)
    if not columns or not _refuses(model, _with_nan(X, columns, 1, np.inf)):
        return []
    if not _routes_columns(model):
        return [_plain(c) for c in columns]
    return [_plain(c) for c in columns if _refuses(model, _with_nan(X, c, 1, np.inf))]


def _routes_columns(model: Any) -> bool:
    """Whether a ColumnTransformer is in ``model`` (as the model, a step, or a step's step)."""
    if isinstance(model, ColumnTransformer):
        return True
    steps = getattr(model, "steps", None) or []
    return any(_routes_columns(step) for _, step in steps)


def nan_mismatched(
    model: BaseEstimator, onnx_model: onnx.ModelProto, X: Any, columns: list[Any]
) -> list[Any]:
    """The NaN-accepting ``columns`` when the ONNX model handles NaN differently from scikit-learn.

    Tried in one batch: for each column, the first rows of the sample (up to
    5) with NaN in that column. skl2onnx 1.20 does not convert the
    missing-value support of random forests and decision trees (scikit-learn
    1.3+): without this check their ONNX models would silently give other
    answers for rows with NaN. The cause is the converter, not one column, so
    one disagreement marks every column.
    """
    if not columns:
        return []
    blocks = [_with_nan(X, column, 5) for column in columns]
    rows = pd.concat(blocks, ignore_index=True) if isinstance(X, pd.DataFrame) else np.vstack(blocks)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "X does not have valid feature names"
            agrees = compare(model, _SessionModel(onnx_model), rows).ok
    except Exception:
        return []  # the check could not run; it proves nothing either way
    return [] if agrees else [int(c) if isinstance(c, (int, np.integer)) else c for c in columns]


class _SessionModel:
    """Just enough of a predictor for :func:`helpers.compare`: a session, fed without NaN checks."""

    def __init__(self, onnx_model: onnx.ModelProto) -> None:
        self.session, _ = create_session(onnx_model)
        self.inputs = InputSpec.from_session(self.session)
        self.outputs = OutputSpec.from_session(self.session)
        self.is_classifier = self.outputs.is_classifier

    def predict(self, X: Any) -> np.ndarray:
        values = self.session.run([self.outputs.value_name], self.inputs.feed(X))[0]
        return self.outputs.labels(values)

    def predict_proba(self, X: Any) -> np.ndarray:
        values = self.session.run([self.outputs.proba_name], self.inputs.feed(X))[0]
        return self.outputs.probabilities(values)
