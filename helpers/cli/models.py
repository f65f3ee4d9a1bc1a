"""Load a scikit-learn model file, only with the user's consent: a pickle (``.joblib``, ``.pkl``,
``.pickle``) with ``--trust-pickle``, a skops file (``.skops``) with ``--trusted-types`` listing
every type the file holds that skops does not trust by default. ONNX files never come here.
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

__all__ = ["PICKLE_SUFFIXES", "SKOPS_SUFFIX", "load_sklearn_model", "load_skops_model"]

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
SKOPS_SUFFIX = ".skops"


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


def load_skops_model(path: Path, trusted_types: list[str] | None) -> Any:
    """Load a ``.skops`` file when ``trusted_types`` lists every type it holds that skops
    does not trust by default (``skops.io.get_untrusted_types``), else refuse, naming them.

    skops rebuilds only the types it trusts (scikit-learn's estimators, numpy, scipy) and
    the ones listed: loading a listed type imports it, and a function it names may run when
    the model predicts. So a user lists a type only after checking it. skops is imported
    here, for ``.skops`` files only.

    Raises
    ------
    CliError
        skops is missing, the file is not a skops file, or it holds a type not listed.

    Examples
    --------
    >>> import tempfile, skops.io
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> path = Path(tempfile.mkdtemp()) / "model.skops"
    >>> skops.io.dump(FunctionTransformer(print).fit([[0.0]]), path)
    >>> load_skops_model(path, None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpers.cli.common.CliError: refusing to load 'model.skops': it holds types skops does not trust ...
    >>> load_skops_model(path, ["builtins.print"]).func
    <built-in function print>
    """
    if not path.is_file():
        raise CliError(f"no model file at {str(path)!r}")
    try:
        import skops.io
    except ImportError:
        raise CliError(
            "reading .skops files needs skops, which is not installed: pip install skops "
            "(or pip install 'train-convert-predict[skops]')"
        ) from None
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as error:
        raise CliError(f"cannot read {path.name!r} as a skops file: {first_line(error)}") from None
    listed = set(trusted_types or ())
    missing = [name for name in untrusted if name not in listed]
    if missing and not listed:
        raise CliError(
            f"refusing to load {path.name!r}: it holds types skops does not trust by default "
            f"({', '.join(untrusted)}); loading them imports their code and the model may run it. "
            f"Check each one, then pass --trusted-types {','.join(untrusted)}"
        )
    if missing:
        raise CliError(
            f"refusing to load {path.name!r}: it holds types that --trusted-types does not list: "
            f"{', '.join(missing)} (every type skops does not trust by default must be listed, after "
            "checking it)"
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = skops.io.load(path, trusted=untrusted)
    except Exception as error:
        raise CliError(f"cannot load {path.name!r} with skops: {first_line(error)}") from None
    return _estimator(model, path, caught)


def _estimator(model: Any, path: Path, caught: list[warnings.WarningMessage]) -> Any:
    for warning in caught:  # e.g. a model saved with another scikit-learn version
        print(f"{PROG}: warning: {first_line(warning.message)}", file=sys.stderr)
    if not isinstance(model, BaseEstimator):
        raise CliError(f"{path.name!r} holds a {type(model).__name__}, not a scikit-learn estimator")
    return model
