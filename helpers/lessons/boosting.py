"""Teach skl2onnx to convert LightGBM and XGBoost models, alone or in a pipeline.

Introduced in :ref:`sphx_glr_auto_examples_04_other_libraries_plot_01_lightgbm_xgboost.py`,
which shows the raw ``skl2onnx.update_registered_converter`` calls this
function makes. lightgbm, xgboost and onnxmltools are imported only when the
function is called: ``import helpers`` does not need them.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["register_boosting_converters"]

#: Options a classifier declares so that skl2onnx's parser, and a pipeline
#: that ends with it, may pass them on: ``zipmap`` (False: probabilities as a
#: plain tensor) and ``nocl`` (True: class indices instead of class labels).
CLASSIFIER_OPTIONS: dict[str, list[Any]] = {"nocl": [True, False], "zipmap": [True, False, "columns"]}


def _classes(library: str) -> list[tuple[type, str, bool]]:
    """(class, skl2onnx alias, is a classifier) for the scikit-learn API models of ``library``."""
    module = importlib.import_module(library)
    if library == "lightgbm":
        return [
            (module.LGBMClassifier, "LightGbmLGBMClassifier", True),
            (module.LGBMRegressor, "LightGbmLGBMRegressor", False),
        ]
    return [
        (module.XGBClassifier, "XGBoostXGBClassifier", True),
        (module.XGBRegressor, "XGBoostXGBRegressor", False),
    ]


def register_boosting_converters(libraries: tuple[str, ...] = ("lightgbm", "xgboost")) -> list[str]:
    """Register onnxmltools' LightGBM and XGBoost converters into skl2onnx.

    After this call, ``skl2onnx.to_onnx`` and :func:`helpers.convert` convert
    ``LGBMClassifier``, ``LGBMRegressor``, ``XGBClassifier`` and
    ``XGBRegressor``, alone or as the last step of a scikit-learn pipeline.
    Calling it again registers the same converters again and changes nothing
    (skl2onnx overwrites a registration with the same one).

    The registry is skl2onnx's own, global to the Python process: this is the
    one place where ``helpers`` changes state outside its return value, and it
    is what skl2onnx's API asks for.

    Parameters
    ----------
    libraries : tuple of {"lightgbm", "xgboost"}
        The libraries whose models to register. Each must be installed.

    Returns
    -------
    list of str
        Names of the model classes registered.

    Raises
    ------
    ImportError
        onnxmltools or one of ``libraries`` is not installed; the message says
        which package to install.
    ValueError
        ``libraries`` names a library this function does not know.

    Examples
    --------
    >>> register_boosting_converters()
    ['LGBMClassifier', 'LGBMRegressor', 'XGBClassifier', 'XGBRegressor']
    >>> register_boosting_converters(("xgboost",))
    ['XGBClassifier', 'XGBRegressor']
    """
    unknown = sorted(set(libraries) - {"lightgbm", "xgboost"})
    if unknown:
        raise ValueError(f"libraries must be among ('lightgbm', 'xgboost'), got {unknown}")
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    registered = []
    for library in libraries:
        try:
            classes = _classes(library)
            if library == "lightgbm":
                from onnxmltools.convert.lightgbm.operator_converters.LightGbm import (
                    convert_lightgbm as converter,
                )
            else:
                from onnxmltools.convert.xgboost.operator_converters.XGBoost import (
                    convert_xgboost as converter,
                )
        except ImportError as error:
            raise ImportError(
                f"converting {library} models needs the packages {library} and onnxmltools; "
                f"{error.name or 'one of them'} is not installed: pip install {library} onnxmltools"
            ) from error
        for model_class, alias, is_classifier in classes:
            update_registered_converter(
                model_class,
                alias,
                calculate_linear_classifier_output_shapes
                if is_classifier
                else calculate_linear_regressor_output_shapes,
                converter,
                options=CLASSIFIER_OPTIONS if is_classifier else None,
            )
            registered.append(model_class.__name__)
    return registered
