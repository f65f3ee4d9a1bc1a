"""Convert a fitted scikit-learn model to ONNX: :func:`skl2onnx.to_onnx` in named steps (input
types, options, conversion, checks, metadata). Introduced in
:ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.utils.validation import check_is_fitted

from helpers import nan_checks
from helpers.checks import check_sample
from helpers.errors import InputError, UnsupportedModelError, first_line
from helpers.estimators import declares, estimators, refuse_wrong_conversions, unsupported
from helpers.metadata import write_metadata

__all__ = ["FAST_OPTIONS", "convert", "initial_types"]

#: skl2onnx options :func:`convert` applies per estimator class, wherever the estimator sits: only
#: options that keep every output identical, each measured in
#: :ref:`sphx_glr_auto_examples_05_benchmarks_plot_01_model_grid.py`. Nearest neighbours: one
#: ``com.microsoft.CDist`` where ``effective_metric_`` is ``"euclidean"`` (all CDist implements).
FAST_OPTIONS: dict[type, dict[str, Any]] = {
    KNeighborsClassifier: {"optim": "cdist"},
    KNeighborsRegressor: {"optim": "cdist"},
}


def _is_float(dtype: Any) -> bool:
    return pd.api.types.is_float_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _tensor_type(name: str, dtype: Any, shape: list[Any], float_type: type) -> Any:
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    if _is_float(dtype):
        return float_type(shape)
    if pd.api.types.is_integer_dtype(dtype):
        return Int64TensorType(shape)
    if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):  # object too
        return StringTensorType(shape)
    raise InputError(
        f"{name} has dtype {dtype}; expected a float, integer, boolean, "
        "string, object or category column. Convert it (for dates, to numbers) first."
    )


def initial_types(X: Any, *, dtype: Any = np.float32) -> list[tuple[str, Any]]:
    """skl2onnx input types for a sample: one input ``"X"`` of shape ``[None, n_features]`` for a
    2-D array (numbers or text), ``[None]`` for 1-D labels, a map for dicts (``DictVectorizer``),
    one of shape ``[None, 1]`` per column for a DataFrame; floats as ``dtype``.

    >>> initial_types(np.zeros((2, 3)))
    [('X', FloatTensorType(shape=[None, 3]))]
    """
    from skl2onnx.common import data_types as onnx_types

    float_types = {"float32": onnx_types.FloatTensorType, "float64": onnx_types.DoubleTensorType}
    if (float_type := float_types.get(np.dtype(dtype).name)) is None:
        raise ValueError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
    if isinstance(X, pd.DataFrame):
        if X.shape[1] == 0:
            raise InputError("the sample DataFrame has no columns")
        return [(str(c), _tensor_type(f"column {str(c)!r}", X[c].dtype, [None, 1], float_type)) for c in X]
    if isinstance(X, Mapping) or (isinstance(X, (list, tuple)) and X and isinstance(X[0], Mapping)):
        key = next(iter(X if isinstance(X, Mapping) else X[0]), "")  # onnxruntime feeds float values
        key_type = onnx_types.StringTensorType if isinstance(key, str) else onnx_types.Int64TensorType
        return [("X", onnx_types.DictionaryType(key_type([1]), onnx_types.FloatTensorType([1])))]
    X = np.asarray(X)
    if X.ndim not in (1, 2) or (X.dtype.kind == "O" and pd.api.types.infer_dtype(X.ravel()) != "string"):
        raise InputError(
            f"expected a 2-D sample of numbers or text (or 1-D labels), got {X.dtype} of shape {X.shape}; "
            "for mixed string and numeric columns pass a pandas DataFrame"
        )
    return [("X", _tensor_type("the sample", X.dtype, [None, *X.shape[1:]], float_type))]


def _newest_opsets() -> dict[str, int]:
    from skl2onnx import get_latest_tested_opset_version
    from skl2onnx.common._topology import get_default_opset_for_domain

    return {"": get_latest_tested_opset_version(), "ai.onnx.ml": get_default_opset_for_domain("ai.onnx.ml")}


def _options(model: BaseEstimator, zipmap: bool, options: dict[Any, Any] | None) -> dict[Any, Any]:
    """skl2onnx options: :data:`FAST_OPTIONS` and ``zipmap``, under the caller's ``options``."""
    merged: dict[Any, dict[str, Any]] = {}
    for estimator in estimators(model):
        fast = FAST_OPTIONS.get(type(estimator))
        if fast and getattr(estimator, "effective_metric_", None) == "euclidean":
            merged[id(estimator)] = dict(fast)
    if not zipmap and hasattr(model, "predict_proba") and declares(model, "zipmap"):
        merged.setdefault(id(model), {})["zipmap"] = False
    for key, value in (options or {}).items():
        if isinstance(key, str):  # an option of the model itself, e.g. {"zipmap": "columns"}
            merged.setdefault(id(model), {})[key] = value
            continue
        if isinstance(key, type):  # skl2onnx applies id-keyed options after class-keyed ones
            for estimator in estimators(model):
                if type(estimator) is key and id(estimator) in merged:
                    merged[id(estimator)].update(value)
        merged.setdefault(key, {}).update(value)
    return merged


def _check_opset(target_opset: Any) -> None:
    if target_opset is None:
        return
    for value in target_opset.values() if isinstance(target_opset, dict) else [target_opset]:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise TypeError(
                "target_opset must be None, a positive integer (e.g. 21) or a dict of them by domain "
                f"({{'': 21, 'ai.onnx.ml': 3}}), got {target_opset!r}"
            )


#: skl2onnx 1.20 writes numpy booleans into node attributes, and protobuf 6 warns about each one
#: (protobuf 7 would refuse them: see the bound in pyproject.toml). The user can do nothing about it.
_BOOLEAN_ATTRIBUTE_WARNING = r"Field onnx\.AttributeProto\.ints: Expected an int, got a boolean"


def _to_onnx(model: BaseEstimator, types: list[tuple[str, Any]], options: Any, target_opset: Any) -> Any:
    """:func:`skl2onnx.to_onnx`, without the warning above, and with its errors explained."""
    from skl2onnx import to_onnx
    from skl2onnx.common.exceptions import MissingConverter, MissingShapeCalculator

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", _BOOLEAN_ATTRIBUTE_WARNING, DeprecationWarning)
            try:
                return to_onnx(model, initial_types=types, options=options, target_opset=target_opset)
            except RuntimeError as error:
                # onnxmltools' converters wrote a newer ai.onnx.ml than skl2onnx takes: name its newest
                if target_opset is not None or "not supported yet by this library" not in str(error):
                    raise
                return to_onnx(model, initial_types=types, options=options, target_opset=_newest_opsets())
    except (MissingShapeCalculator, MissingConverter) as error:
        raise unsupported(model, error) from None
    except (RuntimeError, NotImplementedError) as error:  # its way of saying it cannot
        if "Unable to find a shape calculator" in str(error) or "No proper shape calculator" in str(error):
            raise unsupported(model, error) from None
        if "initial_types" in str(error):  # the input types do not fit the model: not the model's fault
            raise
        raise UnsupportedModelError(
            f"skl2onnx cannot convert {type(model).__name__} (or a step of it): {first_line(error)} "
            "Change the settings it names, replace that step with one skl2onnx supports, or register "
            "a converter for it (see the lesson 'Models without a converter')."
        ) from None


def _as_one_tensor(model: BaseEstimator, X: Any) -> pd.DataFrame | None:
    """An all-numeric DataFrame sample as float64 in the fitted order, when it can be one tensor."""
    if not isinstance(X, pd.DataFrame):
        return None
    if not all(_is_float(t) or pd.api.types.is_integer_dtype(t) for t in X.dtypes):
        return None
    if any(isinstance(estimator, ColumnTransformer) for estimator in estimators(model)):
        return None
    names = getattr(model, "feature_names_in_", None)
    return (X if names is None else X[[str(name) for name in names]]).astype(np.float64)


def convert(
    model: BaseEstimator,
    X: Any,
    *,
    zipmap: bool = False,
    target_opset: int | dict[str, int] | None = None,
    dtype: Any = np.float32,
    options: dict[Any, Any] | None = None,
    initial_types: list[tuple[str, Any]] | None = None,
    verify: bool = True,
) -> onnx.ModelProto:
    """Convert a fitted scikit-learn model to an ONNX model, and check it on the sample.

    Wraps :func:`skl2onnx.to_onnx` with input types read from a sample (:func:`initial_types`),
    probabilities as a plain ``(n_rows, n_classes)`` tensor, and the exact, faster options of
    :data:`FAST_OPTIONS`. A DataFrame of numbers only becomes one float input ``"X"``; one with
    text, or a model whose ``ColumnTransformer`` selects columns by name, one input per column.
    It records in the model (:mod:`helpers.metadata`) what :class:`helpers.OnnxPredictor` needs
    to check inputs as scikit-learn does. Models skl2onnx converts wrongly are refused
    (:mod:`helpers.estimators`), and so is a model that disagrees with ``model`` on ``X``.

    Parameters
    ----------
    X : numpy.ndarray, pandas.DataFrame, 1-D labels, or dicts
        A few rows of the data the model takes (one is enough; up to 100 are compared).
    zipmap : bool
        Keep skl2onnx's ZipMap output (a list of ``{class: probability}`` dicts): slower.
    target_opset : int or dict, optional
        ONNX opset; None: the newest skl2onnx supports (in each domain, for a LightGBM or
        XGBoost step: see :func:`helpers.lessons.boosting.register_boosting_converters`).
    options : dict, optional
        skl2onnx converter options over the defaults: for the model itself (``{"zipmap": "columns"}``),
        or per estimator class or ``id(estimator)`` (``{KNeighborsClassifier: {"optim": None}}``
        restores skl2onnx's default).
    initial_types : list, optional
        skl2onnx's input types, instead of those read from ``X``.
    verify : bool
        Compare the ONNX model with ``model`` on ``X`` (:func:`helpers.compare`): other labels, or
        values more than 1% off, raise :class:`~helpers.UnsupportedModelError`; less, a warning.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> frame, y = load_iris(return_X_y=True, as_frame=True)
    >>> onnx_model = convert(LogisticRegression(max_iter=500).fit(frame, y), frame[:1])
    >>> [item.name for item in onnx_model.graph.input]
    ['X']
    """
    if not isinstance(model, BaseEstimator):
        raise UnsupportedModelError(f"expected a fitted scikit-learn estimator, got {type(model).__name__}")
    try:
        check_is_fitted(model)
    except NotFittedError as error:
        raise NotFittedError(f"{type(model).__name__} is not fitted: call fit before convert") from error
    _check_opset(target_opset)
    refuse_wrong_conversions(model)
    n_features = getattr(model, "n_features_in_", None)
    names = getattr(model, "feature_names_in_", None) if isinstance(X, pd.DataFrame) else None
    check_sample(X, n_features=n_features, feature_names=names)
    if n_features is not None and np.ndim(X) == 1:  # a model of 2-D arrays: the reshape that fits
        fit = {len(X): "; use X.reshape(1, -1) for one row", 1: "; use X.reshape(-1, 1) for one feature"}
        shape = f"(n_rows, {n_features}), got 1-D of shape {np.shape(X)}"
        raise InputError(f"expected a 2-D sample of shape {shape}{fit.get(n_features, '')}")
    one_tensor = None if initial_types else _as_one_tensor(model, X)
    sample = X if one_tensor is None else one_tensor
    types = initial_types or _guess_types(X if one_tensor is None else one_tensor.to_numpy(), dtype=dtype)
    onnx_model = _to_onnx(model, types, _options(model, zipmap, options) or None, target_opset)
    metadata: dict[str, Any] = {"estimator": type(model).__name__}
    if hasattr(model, "feature_names_in_"):
        metadata["feature_names"] = [str(name) for name in model.feature_names_in_]
    if isinstance(getattr(model, "classes_", None), np.ndarray) and model.classes_.ndim == 1:
        metadata["classes"] = model.classes_.tolist()  # OnnxPredictor.classes_
    if isinstance(X, pd.DataFrame) and one_tensor is None:  # the column of each input, in input order:
        metadata["columns"] = [str(name) for name in X.columns]  # skl2onnx rewrites "a/b" to "a_b"
    write_metadata(onnx_model, metadata)
    nan_checks.write_value_checks(model, onnx_model, sample, by_position=one_tensor is not None)
    if verify:
        nan_checks.verify(model, onnx_model, sample)
    return onnx_model


_guess_types = initial_types  # convert's keyword of the same name hides it there
