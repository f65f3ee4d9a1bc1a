"""Read the tool's inputs: data files (CSV, Parquet, ``.npy``) and, with consent, pickled models."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from helpers.cli.common import PROG, CliError
from helpers.errors import first_line

__all__ = ["DATA_SUFFIXES", "PICKLE_SUFFIXES", "align_to_model", "load_data", "load_sklearn_model"]

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".npy")


def load_data(path: Path, target: str | None = None) -> np.ndarray | pd.DataFrame:
    """Read rows from a CSV, Parquet or ``.npy`` file; drop the ``target`` column.

    ``.npy`` files are read with ``allow_pickle=False``: an array of Python
    objects is refused, never unpickled.

    Raises
    ------
    CliError
        The file is missing, of another format, unreadable, empty or not 2-D.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = Path(tempfile.mkdtemp()) / "rows.npy"
    >>> np.save(path, np.ones((3, 2)))
    >>> load_data(path).shape
    (3, 2)
    """
    if not path.is_file():
        raise CliError(f"no data file at {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise CliError(f"unsupported data file {path.name!r}: expected one of {', '.join(DATA_SUFFIXES)}")
    data = _read_npy(path) if suffix == ".npy" else _read_table(path, suffix)
    if target is not None:
        data = _drop_target(data, target, path)
    if len(data) == 0 or data.shape[1] == 0:
        raise CliError(f"{path.name!r} holds no rows or no columns (shape {data.shape})")
    return data


def _read_npy(path: Path) -> np.ndarray:
    with path.open("rb") as file:
        if file.read(6) != b"\x93NUMPY":  # without it, numpy would take the file for a pickle
            raise CliError(f"cannot read {path.name!r} as a .npy array: it has no .npy header")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        if "Object arrays" in str(error):
            raise CliError(
                f"{path.name!r} holds Python objects, which only unpickling could read, and data is "
                "never unpickled: save a numeric array (e.g. X.astype(float))"
            ) from None
        raise CliError(f"cannot read {path.name!r} as a .npy array: {first_line(error)}") from None
    except Exception as error:
        raise CliError(f"cannot read {path.name!r} as a .npy array: {first_line(error)}") from None
    if not isinstance(array, np.ndarray) or array.ndim != 2:
        shape = getattr(array, "shape", "?")
        raise CliError(f"{path.name!r}: expected a 2-D array (rows, features), got shape {shape}")
    return array


def _read_table(path: Path, suffix: str) -> pd.DataFrame:
    kind = "CSV" if suffix == ".csv" else "Parquet"
    try:
        return pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except ImportError:
        raise CliError(
            "reading Parquet needs pyarrow, which is not installed: pip install pyarrow "
            "(or save the data as .csv or .npy)"
        ) from None
    except Exception as error:
        raise CliError(f"cannot read {path.name!r} as {kind}: {first_line(error)}") from None


def _drop_target(data: Any, target: str, path: Path) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise CliError("--target names a column, but a .npy file has no column names: leave --target out")
    if target not in data.columns:
        raise CliError(
            f"--target {target!r} is not a column of {path.name!r}: {list(map(str, data.columns))}"
        )
    return data.drop(columns=target)


def align_to_model(model: Any, data: np.ndarray | pd.DataFrame) -> np.ndarray | pd.DataFrame:
    """Arrange ``data`` the way the scikit-learn ``model`` was fitted: columns, width, dtype.

    A model fitted on a DataFrame gets the DataFrame's columns in its order
    (a ``.npy`` array of the right width gets the column names); a model fitted
    on an array gets a float64 array.

    Raises
    ------
    CliError
        Missing or unexpected columns, a wrong number of features, or text
        where numbers are expected; the message names them.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> frame = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0]})
    >>> model = LinearRegression().fit(frame, [0.0, 1.0, 2.0])
    >>> list(align_to_model(model, frame[["b", "a"]]).columns)
    ['a', 'b']
    """
    names = [str(name) for name in getattr(model, "feature_names_in_", [])]
    width = getattr(model, "n_features_in_", None)
    if isinstance(data, pd.DataFrame) and names:
        given = [str(column) for column in data.columns]
        missing = [name for name in names if name not in given]
        extra = [name for name in given if name not in names]
        if missing or extra:
            raise CliError(
                f"the model was fitted on the columns {names}; the data lacks {missing} and has "
                f"unexpected {extra} (drop a label column with --target)"
            )
        return data.rename(columns=str)[names]
    if isinstance(data, pd.DataFrame):
        text = [str(column) for column in data.columns if not pd.api.types.is_numeric_dtype(data[column])]
        if text:
            raise CliError(f"the model takes numbers, but the columns {text} of the data hold text")
        data = data.to_numpy(dtype=np.float64)
    if data.dtype.kind not in "fiub":
        raise CliError(f"the model takes numbers, but the data has dtype {data.dtype}")
    if width is not None and data.shape[1] != width:
        raise CliError(f"the model expects {width} features (columns), the data has {data.shape[1]}")
    if names:
        return pd.DataFrame(data, columns=names)
    return data.astype(np.float64) if data.dtype.kind != "f" else data


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
    for warning in caught:  # e.g. a model pickled with another scikit-learn version
        print(f"{PROG}: warning: {first_line(warning.message)}", file=sys.stderr)
    if not isinstance(model, BaseEstimator):
        raise CliError(f"{path.name!r} holds a {type(model).__name__}, not a scikit-learn estimator")
    return model
