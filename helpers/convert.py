"""Convert a fitted scikit-learn model to ONNX.

Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`,
which shows the raw :func:`skl2onnx.to_onnx` call this function wraps.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import numpy as np
import onnx
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from helpers.errors import InputError, UnsupportedModelError

__all__ = ["METADATA_PREFIX", "convert", "initial_types"]

#: Prefix of the ``metadata_props`` keys that :func:`convert` writes and
#: :class:`helpers.OnnxPredictor` reads.
METADATA_PREFIX = "helpers."


def _is_float(dtype: Any) -> bool:
    return pd.api.types.is_float_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _column_type(name: str, dtype: Any, float_type: type) -> Any:
    """The skl2onnx tensor type for one DataFrame column, from its pandas dtype."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    if _is_float(dtype):
        return float_type([None, 1])
    if pd.api.types.is_integer_dtype(dtype):
        return Int64TensorType([None, 1])
    if (
        pd.api.types.is_string_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    ):
        return StringTensorType([None, 1])
    raise InputError(
        f"column {name!r} has dtype {dtype}; expected a float, integer, boolean, "
        "string, object or category column. Convert it (for dates, to numbers) first."
    )


def initial_types(X: Any, *, dtype: Any = np.float32) -> list[tuple[str, Any]]:
    """skl2onnx input types for a sample ``X``.

    Parameters
    ----------
    X : numpy.ndarray or pandas.DataFrame
        A 2-D sample. An array gives one input ``"X"`` of shape
        ``[None, n_features]``; a DataFrame gives one input per column,
        named after the column, of shape ``[None, 1]``.
    dtype : numpy dtype, default float32
        The ONNX type of floating-point data. float32 is what the ONNX-ML tree
        operators compute in; float64 keeps double precision where the
        converters support it (linear models do, tree ensembles do not).

    Returns
    -------
    list of (name, skl2onnx tensor type)

    Examples
    --------
    >>> import numpy as np
    >>> initial_types(np.zeros((2, 3)))
    [('X', FloatTensorType(shape=[None, 3]))]
    """
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType

    float_type = {np.dtype(np.float32): FloatTensorType, np.dtype(np.float64): DoubleTensorType}.get(
        np.dtype(dtype)
    )
    if float_type is None:
        raise ValueError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
    if isinstance(X, pd.DataFrame):
        if X.shape[1] == 0:
            raise InputError("the sample DataFrame has no columns")
        return [(str(name), _column_type(str(name), X[name].dtype, float_type)) for name in X.columns]
    X = np.asarray(X)
    if X.ndim != 2:
        raise InputError(
            f"expected a 2-D sample of shape (n_rows, n_features), got {X.ndim}-D "
            f"of shape {X.shape}; for one row use X.reshape(1, -1)"
        )
    if X.dtype.kind in "fb":
        return [("X", float_type([None, X.shape[1]]))]
    if X.dtype.kind in "iu":
        return [("X", Int64TensorType([None, X.shape[1]]))]
    raise InputError(
        f"expected a numeric sample (float32, float64 or int64), got dtype {X.dtype}; "
        "for mixed string and numeric columns pass a pandas DataFrame"
    )


def _nan_rejected(model: BaseEstimator, X: Any) -> list[Any]:
    """Columns where the scikit-learn model raises on NaN (tried one row at a time).

    OnnxPredictor uses this to reject NaN exactly where scikit-learn does,
    instead of returning NaN predictions.
    """
    frame = X.iloc[:1].copy() if isinstance(X, pd.DataFrame) else np.array(X[:1], dtype=np.float64)
    if isinstance(frame, pd.DataFrame):
        columns = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    else:
        columns = list(range(frame.shape[1])) if frame.dtype.kind == "f" else []
    rejected = []
    for column in columns:
        row = frame.copy()
        if isinstance(row, pd.DataFrame):
            row[column] = np.nan
        else:
            row[0, column] = np.nan
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "X does not have valid feature names"
                model.predict(row)
        except ValueError:
            rejected.append(int(column) if isinstance(column, (int, np.integer)) else column)
        except Exception:
            pass
    return rejected


def _newest_opsets() -> dict[str, int]:
    """The newest opsets skl2onnx supports in the main and the ``ai.onnx.ml`` domains."""
    from skl2onnx import get_latest_tested_opset_version
    from skl2onnx.common._topology import get_default_opset_for_domain

    return {"": get_latest_tested_opset_version(), "ai.onnx.ml": get_default_opset_for_domain("ai.onnx.ml")}


def _unsupported(model: BaseEstimator, error: Exception) -> UnsupportedModelError:
    found = re.search(r"type '<class '([\w.]+)'>'", str(error))
    culprit = found.group(1) if found else type(model).__qualname__
    if culprit.split(".")[0] in ("lightgbm", "xgboost"):
        return UnsupportedModelError(
            f"skl2onnx has no converter for {culprit} (in {type(model).__name__}) until "
            "onnxmltools' converters are registered: call helpers.register_boosting_converters() first."
        )
    return UnsupportedModelError(
        f"skl2onnx has no converter for {culprit} (in {type(model).__name__}). "
        "Either replace that step with an estimator skl2onnx supports, or register "
        "a converter for it with skl2onnx.update_registered_converter "
        "(see the lesson 'Models without a converter')."
    )


def convert(
    model: BaseEstimator,
    X: Any,
    *,
    zipmap: bool = False,
    target_opset: int | dict[str, int] | None = None,
    dtype: Any = np.float32,
) -> onnx.ModelProto:
    """Convert a fitted scikit-learn model to an ONNX model.

    Wraps :func:`skl2onnx.to_onnx` with input types inferred from a sample
    (see :func:`initial_types`) and with classifier probabilities returned as a
    plain ``(n_rows, n_classes)`` tensor instead of ZipMap's list of dicts.

    It also records, in the model's ``metadata_props``, the feature names the
    model was fitted with and the columns where the scikit-learn model rejects
    NaN, so that :class:`helpers.OnnxPredictor` can check inputs the way
    scikit-learn does.

    Parameters
    ----------
    model : fitted scikit-learn estimator or pipeline
    X : numpy.ndarray or pandas.DataFrame
        A few rows of the data the model takes (one is enough).
    zipmap : bool, default False
        Keep skl2onnx's default ZipMap output (a list of ``{class: probability}``
        dicts). Off by default: it is slower and harder to use.
    target_opset : int or dict, optional
        ONNX opset to target; None lets skl2onnx choose the newest it supports
        (for a model with a LightGBM or XGBoost step, the newest in each domain: see
        :func:`helpers.register_boosting_converters`).
    dtype : numpy dtype, default float32
        Type of floating-point inputs (see :func:`initial_types`).

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    UnsupportedModelError
        An estimator in ``model`` has no skl2onnx converter.
    sklearn.exceptions.NotFittedError
        The model is not fitted.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> onnx_model = convert(LogisticRegression(max_iter=500).fit(X, y), X[:1])
    >>> [output.name for output in onnx_model.graph.output]
    ['label', 'probabilities']
    """
    from skl2onnx import to_onnx
    from skl2onnx.common.exceptions import MissingConverter, MissingShapeCalculator

    if not isinstance(model, BaseEstimator):
        raise UnsupportedModelError(f"expected a fitted scikit-learn estimator, got {type(model).__name__}")
    try:
        check_is_fitted(model)
    except NotFittedError as error:
        raise NotFittedError(f"{type(model).__name__} is not fitted: call fit before convert") from error

    types = initial_types(X, dtype=dtype)
    options = None if zipmap or not hasattr(model, "predict_proba") else {"zipmap": False}
    try:
        try:
            onnx_model = to_onnx(model, initial_types=types, options=options, target_opset=target_opset)
        except RuntimeError as error:
            # A converter from another package (onnxmltools' LightGBM and XGBoost converters, see
            # helpers.boosting) wrote an ai.onnx.ml version newer than skl2onnx accepts:
            # convert again naming the newest version of each domain skl2onnx supports.
            if target_opset is not None or "not supported yet by this library" not in str(error):
                raise
            onnx_model = to_onnx(model, initial_types=types, options=options, target_opset=_newest_opsets())
    except (MissingShapeCalculator, MissingConverter) as error:
        raise _unsupported(model, error) from None
    except RuntimeError as error:
        if "Unable to find a shape calculator" in str(error) or "No proper shape calculator" in str(error):
            raise _unsupported(model, error) from None
        raise

    metadata = {
        "estimator": type(model).__name__,
        "nan_rejected": json.dumps(_nan_rejected(model, X)),
    }
    if hasattr(model, "feature_names_in_"):
        metadata["feature_names"] = json.dumps([str(name) for name in model.feature_names_in_])
    onnx.helper.set_model_props(onnx_model, {METADATA_PREFIX + key: value for key, value in metadata.items()})
    return onnx_model
