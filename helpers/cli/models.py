"""Load a scikit-learn model file, only with the user's consent: a pickle (``.joblib``, ``.pkl``,
``.pickle``) with ``--trust-pickle``. ONNX files never come here.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import joblib
from sklearn.base import BaseEstimator

from helpers.cli.common import PROG, CliError
from helpers.errors import first_line

__all__ = ["PICKLE_SUFFIXES", "load_sklearn_model"]

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


def load_sklearn_model(path: Path, trust_pickle: bool) -> Any:
    """Unpickle a scikit-learn model with joblib, only when ``trust_pickle`` is set.

    Raises
    ------
    CliError
        ``trust_pickle`` is False (unpickling runs code from the file), the
        file is missing or unreadable, or it holds no scikit-learn estimator.
    """
    if not path.is_file():
        raise CliError(f"no model file at {str(path)!r}")
    if not trust_pickle:
        raise CliError(
            f"refusing to load {path.name!r}: unpickling runs any code the file contains; "
            "pass --trust-pickle if you made or trust this file"
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = joblib.load(path)
    except Exception as error:
        raise CliError(f"cannot unpickle {path.name!r}: {first_line(error)}") from None
    return _estimator(model, path, caught)


def _estimator(model: Any, path: Path, caught: list[warnings.WarningMessage]) -> Any:
    for warning in caught:  # e.g. a model saved with another scikit-learn version
        print(f"{PROG}: warning: {first_line(warning.message)}", file=sys.stderr)
    if not isinstance(model, BaseEstimator):
        raise CliError(f"{path.name!r} holds a {type(model).__name__}, not a scikit-learn estimator")
    return model
