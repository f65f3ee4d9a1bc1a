"""What :func:`helpers.convert` knows of estimators: the options each converter takes, those skl2onnx
converts wrongly (refused, with the way out), the message for one without a converter. Introduced
in :ref:`sphx_glr_auto_examples_02_converting_plot_04_missing_converter.py`."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from helpers.errors import UnsupportedModelError

__all__ = ["declares", "estimators", "refuse_wrong_conversions", "unsupported"]


def estimators(value: Any) -> Any:
    """Yield every estimator in ``value``: the model, pipeline steps, ensemble members."""
    if isinstance(value, BaseEstimator):
        yield value
        for attribute in vars(value).values():
            yield from estimators(attribute)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from estimators(item)


def declares(estimator: Any, option: str) -> bool:
    """Whether the skl2onnx converter of ``estimator`` takes ``option`` (``RFE``'s takes none)."""
    from skl2onnx import get_model_alias
    from skl2onnx.common._registration import get_converter

    try:
        allowed = get_converter(get_model_alias(type(estimator))).get_allowed_options()
    except (RuntimeError, ValueError):  # no converter: to_onnx says so, better
        return False
    return allowed == "passthrough" or option in (allowed or {})


def refuse_wrong_conversions(model: BaseEstimator) -> None:
    """Refuse a model holding an estimator that skl2onnx 1.20 converts into wrong answers."""
    for estimator in estimators(model):
        name, where = type(estimator).__name__, "" if estimator is model else f" (in {type(model).__name__})"
        if np.any(getattr(estimator, "is_categorical_", None)):
            raise UnsupportedModelError(
                f"{name}{where} has categorical features: skl2onnx converts them into another model, "
                "whose probabilities differ (onnx/sklearn-onnx#1051, #1101). Encode the categories in a "
                "Pipeline before it (OneHotEncoder or OrdinalEncoder), fitted with categorical_features=None"
            )
        if name == "TunedThresholdClassifierCV":
            raise UnsupportedModelError(
                f"skl2onnx converts {name}{where} without its tuned threshold, into other labels: convert "
                "its estimator_, then threshold: classes_[(proba[:, 1] >= best_threshold_).astype(int)]"
            )


def unsupported(model: BaseEstimator, error: Exception) -> UnsupportedModelError:
    """The error for a step skl2onnx has no converter for, named from skl2onnx's ``error``."""
    found = re.search(r"type '<class '([\w.]+)'>'", str(error))
    culprit = found.group(1) if found else type(model).__qualname__
    if culprit.split(".")[0] in ("lightgbm", "xgboost"):
        return UnsupportedModelError(
            f"skl2onnx has no converter for {culprit} (in {type(model).__name__}) until "
            "onnxmltools' converters are registered: call register_boosting_converters() first "
            "(from helpers.lessons.boosting)."
        )
    return UnsupportedModelError(
        f"skl2onnx has no converter for {culprit} (in {type(model).__name__}). Either replace that "
        "step with an estimator skl2onnx supports, or register a converter for it with "
        "skl2onnx.update_registered_converter (see the lesson 'Models without a converter')."
    )
