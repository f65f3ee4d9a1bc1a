"""Read the tool's data files (CSV, Parquet, ``.npy``), arrange them the way the model was fitted,
and check that the batches asked for fit in memory. Model files are read by :mod:`helpers.cli.models`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.cli.columns import Expected, is_positional
from helpers.cli.common import CliError
from helpers.cli.models import PICKLE_SUFFIXES, load_sklearn_model
from helpers.cli.tables import read_csv
from helpers.errors import first_line
from helpers.machine import CGROUP, read_system_file

__all__ = [
    "DATA_SUFFIXES",
    "PICKLE_SUFFIXES",
    "align_to_model",
    "available_memory",
    "check_batches_fit",
    "load_data",
    "load_sklearn_model",
]

DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".npy")


def load_data(
    path: Path, target: str | None = None, *, header: bool | None = None, expected: Expected | None = None
) -> np.ndarray | pd.DataFrame:
    """Read rows from a CSV, Parquet or ``.npy`` file; drop the ``target`` column.

    A CSV file is read by :func:`helpers.cli.tables.read_csv`: ``header`` says
    whether its first row names the columns (None: decide, and refuse a first
    row of numbers unless ``expected`` names them); the columns ``expected``
    takes as text keep their text. Without a header, ``target`` is a column's
    position (0 the first, -1 the last). ``.npy`` files are read with
    ``allow_pickle=False``: an array of Python objects is refused, never unpickled.

    Raises
    ------
    CliError
        The file is missing, of another format, unreadable, empty or not 2-D;
        ``header`` given for a file that is not CSV; a first row of numbers.

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
    if header is not None and suffix != ".csv":
        raise CliError(f"--header and --no-header are for CSV files; {path.name!r} is not one")
    if suffix == ".csv":
        data = read_csv(path, header, expected or Expected())
    else:
        data = _read_npy(path) if suffix == ".npy" else _read_parquet(path)
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


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise CliError(
            "reading Parquet needs pyarrow, which is not installed: pip install pyarrow "
            "(or save the data as .csv or .npy)"
        ) from None
    except Exception as error:
        raise CliError(f"cannot read {path.name!r} as Parquet: {first_line(error)}") from None


def _drop_target(data: Any, target: str, path: Path) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise CliError("--target names a column, but a .npy file has no column names: leave --target out")
    if is_positional(data):  # a CSV file without a header: the column's position
        try:
            position = int(target)
        except ValueError:
            raise CliError(
                f"--target {target!r}: without a header the columns have no names; give the label "
                "column's position (0 the first, -1 the last)"
            ) from None
        if not -data.shape[1] <= position < data.shape[1]:
            raise CliError(f"--target {position}: {path.name!r} has {data.shape[1]} columns")
        kept = data.drop(columns=data.columns[position])
        return kept.set_axis(pd.RangeIndex(kept.shape[1]), axis=1)
    if target not in data.columns:
        raise CliError(
            f"--target {target!r} is not a column of {path.name!r}: {list(map(str, data.columns))}"
        )
    return data.drop(columns=target)


def align_to_model(model: Any, data: np.ndarray | pd.DataFrame) -> np.ndarray | pd.DataFrame:
    """Arrange ``data`` the way the scikit-learn ``model`` was fitted: columns, width, dtype.

    A model fitted on a DataFrame gets the DataFrame's columns in its order
    (a ``.npy`` array or a CSV file read without a header, of the right width,
    gets the column names by position); a model fitted on an array gets a
    float64 array.

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
    if is_positional(data) and names:
        if data.shape[1] != len(names):
            raise CliError(f"the model expects {len(names)} features (columns), the data has {data.shape[1]}")
        return data.set_axis(names, axis=1)
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


#: Copies of a batch alive at once while it is timed: the batch, its ONNX input, and the
#: float64 copies scikit-learn makes (e.g. in check_array and the per-tree arrays of a forest).
BATCH_COPIES = 4


def check_batches_fit(X: Any, batch_sizes: tuple[int, ...], available: int | None = None) -> None:
    """Refuse a batch size whose batch would not fit in half the available memory.

    A batch of ``n`` rows needs about ``n * BATCH_COPIES`` rows of at least 8
    bytes per column (float64), plus an 8-byte row index; the other half of
    the memory is left to the models, Python and the rest of the machine.
    ``available`` defaults to :func:`available_memory`.

    Examples
    --------
    >>> check_batches_fit(np.zeros((10, 30)), (1, 10**9), available=16 * 2**30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpers.cli.common.CliError: --batch-sizes: a batch of 1,000,000,000 rows would not fit in memory: ...
    """
    available = available_memory() if available is None else available
    if available is None:
        return
    if isinstance(X, pd.DataFrame):
        row_bytes = X.memory_usage(index=False, deep=True).sum() / max(len(X), 1)
    else:
        row_bytes = X.itemsize * X.shape[1]
    per_row = BATCH_COPIES * max(row_bytes, 8 * X.shape[1]) + 8
    largest = max(batch_sizes)
    if largest * per_row > available / 2:
        raise CliError(
            f"--batch-sizes: a batch of {largest:,} rows would not fit in memory: it needs about "
            f"{_bytes(largest * per_row)} ({BATCH_COPIES} copies of {X.shape[1]} columns per row), "
            f"and {_bytes(available)} are available; choose batches of at most "
            f"{int(available / 2 // per_row):,} rows"
        )


def _bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} TB"


def available_memory() -> int | None:
    """Bytes this process may still allocate, or None where it cannot be read.

    The system's available memory (``MemAvailable``, else free pages), capped by
    what a cgroup memory limit leaves. The command-line tool uses it to refuse a
    batch that would not fit, rather than allocate until the process is killed.

    Examples
    --------
    >>> memory = available_memory()
    >>> memory is None or memory > 0
    True
    """
    known = [value for value in (_system_available(), _cgroup_memory_left()) if value is not None]
    return min(known) if known else None


def _system_available() -> int | None:
    meminfo = read_system_file("/proc/meminfo").splitlines()
    found = next((line.split(":", 1)[1] for line in meminfo if line.startswith("MemAvailable:")), "")
    kilobytes = found.removesuffix("kB").strip()
    if kilobytes.isdigit():
        return int(kilobytes) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _cgroup_memory_left() -> int | None:
    for limit_file, usage_file in (
        ("memory.max", "memory.current"),  # cgroup v2
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),  # v1
    ):
        limit, usage = read_system_file(CGROUP + limit_file).strip(), read_system_file(CGROUP + usage_file)
        if limit == "max" or (limit.isdigit() and int(limit) >= 2**60):  # v1: a huge number for "no limit"
            return None
        if limit.isdigit() and usage.strip().isdigit():
            return max(0, int(limit) - int(usage))
    return None
