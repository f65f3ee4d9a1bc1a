"""What a model does with NaN: where scikit-learn rejects it, and where the ONNX model disagrees.

:func:`helpers.convert` records both in the model (see :mod:`helpers.metadata`),
so that :class:`helpers.OnnxPredictor` refuses NaN exactly where scikit-learn
does, and where the ONNX model would silently answer something else.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import onnx
import pandas as pd
from sklearn.base import BaseEstimator

from helpers.inputs import InputSpec
from helpers.outputs import OutputSpec
from helpers.session import create_session
from helpers.validate import compare

__all__ = ["float_columns", "nan_mismatched", "nan_rejected"]


def float_columns(X: Any) -> list[Any]:
    """The columns of ``X`` that can hold NaN: names for a DataFrame, indices for an array."""
    if isinstance(X, pd.DataFrame):
        return [c for c in X.columns if pd.api.types.is_float_dtype(X[c].dtype)]
    X = np.asarray(X)
    return list(range(X.shape[1])) if X.dtype.kind == "f" else []


def _with_nan(X: Any, column: Any, n_rows: int) -> Any:
    """The first ``n_rows`` rows of ``X`` with NaN in ``column``."""
    if isinstance(X, pd.DataFrame):
        rows = X.iloc[:n_rows].copy()
        rows[column] = np.nan
        return rows
    rows = np.array(X[:n_rows], dtype=np.float64)
    rows[:, column] = np.nan
    return rows


def nan_rejected(model: BaseEstimator, X: Any) -> list[Any]:
    """Columns where the scikit-learn model raises on NaN (tried one column at a time).

    OnnxPredictor uses this to reject NaN exactly where scikit-learn does,
    instead of returning NaN predictions.
    """
    rejected = []
    for column in float_columns(X):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "X does not have valid feature names"
                model.predict(_with_nan(X, column, 1))
        except ValueError:
            rejected.append(int(column) if isinstance(column, (int, np.integer)) else column)
        except Exception:
            pass
    return rejected


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
