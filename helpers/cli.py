"""The command-line tool: ``python -m helpers``, also installed as ``train-convert-predict``.

Introduced in :ref:`command_line`. It chains the other helpers for a reader
who wants an answer rather than a lesson: load or train a model,
:func:`helpers.convert` it, check it with :func:`helpers.compare`, time it
with :func:`helpers.benchmark` through an :class:`helpers.OnnxPredictor`, then
print a table and, with ``--out``, write an HTML and a JSON report.

Every bad input ends in one line on stderr and exit code 2; a model whose ONNX
predictions disagree with scikit-learn's ends in exit code 1, after the report.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "EXIT_ERROR",
    "EXIT_MISMATCH",
    "EXIT_OK",
    "CliError",
    "ModelRun",
    "align_to_model",
    "build_parser",
    "demo_models",
    "format_table",
    "load_data",
    "load_sklearn_model",
    "main",
    "report_dict",
    "report_html",
    "run_onnx_model",
    "run_sklearn_model",
    "summary_table",
    "write_reports",
]

PROG = "train-convert-predict"
EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".npy")
#: Seconds for the whole run (loading, training, converting, checking, timing)
#: when ``--budget`` is not given; timing gets what the other steps leave.
DEFAULT_BUDGET = 30.0
#: How the times were taken, printed above the table and in the HTML report.
TIMING_NOTE = (
    "times: medians of interleaved repeats, in µs per call; speed-up = scikit-learn time / onnxruntime time\n"
    "inputs: scikit-learn gets the rows as read; onnxruntime gets them converted to its input type "
    "once, before the timing"
)
#: Seconds of timing per model, at least, even when the budget is spent.
MIN_TIMING_BUDGET = 0.2
#: With ``--preset auto``, batches of this many rows or more use the throughput preset:
#: the grid lesson (05_benchmarks) measured one thread best for small batches and one
#: thread per core better for large batches of tree ensembles.
AUTO_BATCH = 1_000

_EPILOG = f"""\
examples:
  python -m helpers
      train three models on scikit-learn's breast cancer data, convert, check
      and time them; print the table (about {DEFAULT_BUDGET:.0f} s in all: see --budget)
  python -m helpers --out report/
      the same, and write report/report.html (figures embedded) and report/report.json
  python -m helpers --model model.onnx --data rows.npy
      check that an ONNX model runs on your rows (shape, columns), then time it
  python -m helpers --model model.joblib --trust-pickle --data rows.csv --out report/
      convert a scikit-learn model, compare it with the original on your rows,
      time both, write report/model.onnx next to the report

data files: .csv and .parquet (a header row of column names; Parquet needs pyarrow)
or .npy (a 2-D numeric array, loaded with allow_pickle=False). A column named by
--target is dropped before predicting.

pickles: .joblib, .pkl and .pickle files are loaded only with --trust-pickle,
because unpickling runs whatever code the file contains. Pass it only for a
file you made or trust; ONNX files and data files are never unpickled.

exit codes: 0 success; 1 the ONNX model disagrees with scikit-learn (the
report says where); 2 bad input (a one-line error on stderr).
"""


class CliError(Exception):
    """A bad input or option: ``main`` prints the message as one line and returns 2."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, raised as :class:`CliError`."""

    def error(self, message: str) -> Any:  # argparse's own prints the usage, then exits
        raise CliError(f"{message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m helpers``; ``--help`` lists every option with examples.

    Examples
    --------
    >>> build_parser().parse_args(["--model", "m.onnx", "--data", "x.npy"]).model
    PosixPath('m.onnx')
    """
    parser = _Parser(
        prog=PROG,
        description=(
            "Train (or load), convert to ONNX, check against scikit-learn, and time "
            "scikit-learn against ONNX Runtime at several batch sizes. Also runs as "
            "`python -m helpers`. Without --model, runs a demonstration on data "
            "bundled with scikit-learn."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="an ONNX model (.onnx), or a fitted scikit-learn model (.joblib, .pkl, .pickle: "
        "needs --trust-pickle); needs --data",
    )
    parser.add_argument(
        "--data", type=Path, help="rows to check and time the model on (.csv, .parquet, .npy)"
    )
    parser.add_argument("--target", help="a column of the data file to drop (labels), if it has one")
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow loading a .joblib/.pkl model; unpickling runs code from the file: only for trusted files",
    )
    parser.add_argument(
        "--out", type=Path, help="directory to write report.html, report.json (and model .onnx)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"seconds for the whole run; timing gets what other steps leave (default {DEFAULT_BUDGET:g})",
    )
    parser.add_argument(
        "--batch-sizes",
        type=_batch_sizes,
        default=(1, 100, 10_000),
        help="comma-separated rows per call to time (default 1,100,10000)",
    )
    parser.add_argument(
        "--preset",
        choices=["auto", "latency", "throughput"],
        default="auto",
        help=(
            "ONNX Runtime session: latency = one thread, throughput = one per core, auto = latency "
            f"below {AUTO_BATCH:,} rows per call and throughput from there on (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=10_000,
        help="compare ONNX and scikit-learn on at most this many rows of --data (default 10000)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    return parser


def _batch_sizes(text: str) -> tuple[int, ...]:
    """Parse ``"1,100,10000"`` into positive integers (an argparse ``type``)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"batch sizes must be positive, got {text!r}")
    return sizes


# -- data ---------------------------------------------------------------------
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
        raise CliError(f"cannot read {path.name!r} as a .npy array: {_first_line(error)}") from None
    except Exception as error:
        raise CliError(f"cannot read {path.name!r} as a .npy array: {_first_line(error)}") from None
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
        raise CliError(f"cannot read {path.name!r} as {kind}: {_first_line(error)}") from None


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


# -- models -------------------------------------------------------------------
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
    import joblib
    from sklearn.base import BaseEstimator

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = joblib.load(path)
    except Exception as error:
        raise CliError(f"cannot unpickle {path.name!r}: {_first_line(error)}") from None
    for warning in caught:  # e.g. a model pickled with another scikit-learn version
        print(f"{PROG}: warning: {_first_line(warning.message)}", file=sys.stderr)
    if not isinstance(model, BaseEstimator):
        raise CliError(f"{path.name!r} holds a {type(model).__name__}, not a scikit-learn estimator")
    return model


def _prediction_method(model: Any, predictor: Any) -> str:
    """``"predict_proba"`` for a classifier with probabilities, else ``"predict"``."""
    if predictor.is_classifier and (model is None or hasattr(model, "predict_proba")):
        return "predict_proba"
    return "predict"


def _onnx_dtype(predictor: Any) -> Any:
    """The numpy type of the model's single float input, or None."""
    inputs = predictor.session.get_inputs()
    types = {"tensor(float)": np.float32, "tensor(double)": np.float64}
    return types.get(inputs[0].type) if len(inputs) == 1 else None


def _onnx_input(data: Any, predictor: Any) -> Any:
    """Rows as the ONNX model's single float input takes them: a C-contiguous array of
    its type, columns in its order. Other data (per-column inputs, text) is left as is."""
    dtype = _onnx_dtype(predictor)
    if dtype is None:
        return data
    if isinstance(data, pd.DataFrame):
        if not all(pd.api.types.is_numeric_dtype(t) for t in data.dtypes):
            return data
        data = data[predictor.feature_names] if predictor.feature_names else data
    return np.ascontiguousarray(np.asarray(data), dtype=dtype)


def _with_prepared_input(
    function: Callable[[Any], Any], prepare: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """``function(prepare(batch))``, with ``prepare`` run once per batch, not in the timing.

    :func:`helpers.benchmark` builds each batch once and passes that same
    object to every call, the first of which (a warm-up) is not timed. So the
    conversion of the rows to the ONNX input type happens there, as a program
    would do it once before predicting, while scikit-learn gets the rows as
    they came. A timed call adds a dictionary look-up, about 0.1 µs.
    """
    cache: dict[int, tuple[Any, Any]] = {}

    def call(batch: Any) -> Any:
        if id(batch) not in cache:
            cache.clear()  # one batch at a time; the batch is kept so that its id stays its own
            cache[id(batch)] = (batch, prepare(batch))
        return function(cache[id(batch)][1])

    return call


@dataclass
class ModelRun:
    """What the tool found for one model: its checks and timings.

    Attributes
    ----------
    name : str
        Model name in the table (the file's stem, or the demo model's name).
    estimator : str
        Class of the scikit-learn model (or what the ONNX metadata says).
    method : str
        The method timed: ``"predict_proba"`` or ``"predict"``.
    comparison : helpers.ComparisonReport or None
        Agreement with scikit-learn; None for an ONNX file alone.
    result : helpers.BenchmarkResult
    checked_rows : int
        Rows the model was run on to check it.
    onnx_file : str or None
        Where the converted model was written, if it was.
    notes : list of str
    """

    name: str
    estimator: str
    method: str
    comparison: Any
    result: Any
    checked_rows: int
    onnx_file: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False only when a comparison with scikit-learn found a mismatch."""
        return self.comparison is None or bool(self.comparison.ok)


def _seconds(budget: float | Callable[[], float]) -> float:
    """A timing budget, computed now if it is a callable (the time left at this step)."""
    return max(budget() if callable(budget) else budget, MIN_TIMING_BUDGET)


def _convert(model: Any, X: Any) -> Any:
    """:func:`helpers.convert` with one array input when the data allows it.

    A DataFrame sample gives the ONNX model one input per column, which a
    pipeline that selects columns by name needs, but a lone estimator fitted
    on a DataFrame (a forest, say) accepts only one input. So an all-numeric
    DataFrame is tried as an array first (the column names are still
    recorded, and checked by :class:`helpers.OnnxPredictor`), and as a
    DataFrame when that conversion fails.
    """
    import helpers

    numeric = isinstance(X, pd.DataFrame) and all(pd.api.types.is_numeric_dtype(t) for t in X.dtypes)
    if numeric:
        try:
            return helpers.convert(model, X[:1].to_numpy(dtype=np.float64))
        except (helpers.UnsupportedModelError, helpers.InputError):
            raise
        except Exception:  # e.g. a ColumnTransformer that looks columns up by name
            pass
    return helpers.convert(model, X[:1])


def _timed_call(model: Any, preset: str, method: str) -> Callable[[Any], Any]:
    """The ONNX prediction method to time; with ``preset="auto"``, the preset follows the batch size."""
    import helpers

    if preset != "auto":
        return getattr(helpers.OnnxPredictor(model, preset=preset), method)
    small = getattr(helpers.OnnxPredictor(model, preset="latency"), method)
    large = getattr(helpers.OnnxPredictor(model, preset="throughput"), method)
    return lambda X: (large if len(X) >= AUTO_BATCH else small)(X)


def run_sklearn_model(
    name: str,
    model: Any,
    X: Any,
    *,
    batch_sizes: tuple[int, ...],
    budget: float | Callable[[], float],
    preset: str,
) -> tuple[ModelRun, Any]:
    """Convert a fitted model, compare it with the original on ``X``, time both.

    ``budget`` is the seconds of timing, or a function that gives them when
    the timing starts (the time the conversion and the check left).
    Returns the :class:`ModelRun` and the ONNX model.
    """
    import helpers

    onnx_model = _convert(model, X)
    predictor = helpers.OnnxPredictor(onnx_model, preset="latency" if preset == "auto" else preset)
    comparison = helpers.compare(model, predictor, X)
    method = _prediction_method(model, predictor)
    onnx_call = _with_prepared_input(
        _timed_call(onnx_model, preset, method), lambda batch: _onnx_input(batch, predictor)
    )
    result = helpers.benchmark(
        {"scikit-learn": getattr(model, method), "onnxruntime": onnx_call},
        X,
        batch_sizes=batch_sizes,
        budget=_seconds(budget),
    )
    run = ModelRun(name, type(model).__name__, method, comparison, result, len(X))
    return run, onnx_model


def run_onnx_model(
    path: Path, X: Any, *, batch_sizes: tuple[int, ...], budget: float | Callable[[], float], preset: str
) -> ModelRun:
    """Load an ONNX model, check it runs on ``X`` (columns, shape, output rows), time it.

    Without the scikit-learn model there is nothing to compare with, so the
    check is that the model accepts the data and returns one prediction per row.
    """
    import helpers

    if not path.is_file():
        raise CliError(f"no model file at {str(path)!r}")
    predictor = helpers.OnnxPredictor(path, preset="latency" if preset == "auto" else preset)
    method = _prediction_method(None, predictor)
    predictions = getattr(predictor, method)(X)
    if len(predictions) != len(X):
        raise CliError(f"{path.name!r} returned {len(predictions)} predictions for {len(X)} rows")
    if np.asarray(predictions).dtype.kind == "f" and not np.all(np.isfinite(predictions)):
        raise CliError(f"{path.name!r} returned NaN or infinite predictions on the data")
    result = helpers.benchmark(
        {"onnxruntime": _timed_call(path, preset, method)},
        _onnx_input(X, predictor),
        batch_sizes=batch_sizes,
        budget=_seconds(budget),
    )
    estimator = predictor.session.get_modelmeta().custom_metadata_map.get("helpers.estimator", "ONNX model")
    note = "no scikit-learn model given: checked that the model runs on the data, not what it predicts"
    return ModelRun(path.stem, estimator, method, None, result, len(X), notes=[note])


def demo_models() -> dict[str, Any]:
    """The unfitted models of the demonstration: a linear model and two tree ensembles.

    Examples
    --------
    >>> sorted(demo_models())
    ['gradient boosting', 'logistic regression', 'random forest']
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "random forest": RandomForestClassifier(n_estimators=100, random_state=0),
        "gradient boosting": HistGradientBoostingClassifier(max_iter=100, random_state=0),
    }


# -- the run ------------------------------------------------------------------
def _progress(total: int, enabled: bool) -> Any:
    """A tqdm bar on stderr when it is a terminal, silent when piped or disabled."""
    from tqdm import tqdm

    disable = not (enabled and sys.stderr.isatty())
    return tqdm(total=total, file=sys.stderr, disable=disable, leave=False, unit="step")


def _run_demo(
    args: argparse.Namespace, deadline: float
) -> tuple[list[ModelRun], dict[str, Any], dict[str, Any]]:
    """Train, convert, check and time the demonstration models, sharing the time left."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    models = demo_models()
    runs = []
    with _progress(2 * len(models), not args.no_progress) as bar:
        for index, (name, model) in enumerate(models.items()):
            left = len(models) - index
            bar.set_description(f"{name}: train")
            model.fit(X_train, y_train)
            bar.update()
            bar.set_description(f"{name}: convert, check, time")
            run, _ = run_sklearn_model(
                name,
                model,
                X_test,
                batch_sizes=args.batch_sizes,
                budget=lambda left=left: (deadline - time.perf_counter()) / left,
                preset=args.preset,
            )
            runs.append(run)
            bar.update()
    data = {
        "source": "sklearn.datasets.load_breast_cancer (bundled), 70/30 split, random_state=0",
        "rows": len(X_test),
        "columns": X.shape[1],
    }
    return runs, data, {}


def _run_model_file(
    args: argparse.Namespace, deadline: float
) -> tuple[list[ModelRun], dict[str, Any], dict[str, Any]]:
    """Check and time the model file given with ``--model`` on ``--data``."""
    if args.data is None:
        raise CliError("--model needs --data: the rows to check and time the model on")
    suffix = args.model.suffix.lower()
    if suffix != ".onnx" and suffix not in PICKLE_SUFFIXES:
        raise CliError(
            f"unsupported model file {args.model.name!r}: expected .onnx, or a scikit-learn model "
            f"saved as {', '.join(PICKLE_SUFFIXES)}"
        )
    if not args.model.is_file():
        raise CliError(f"no model file at {str(args.model)!r}")
    onnx_models = {}
    with _progress(2, not args.no_progress) as bar:
        bar.set_description(f"{args.model.name}: load")
        model = load_sklearn_model(args.model, args.trust_pickle) if suffix in PICKLE_SUFFIXES else None
        data = load_data(args.data, args.target)
        rows = data[: args.rows]
        description = {"source": str(args.data), "rows": len(rows), "columns": data.shape[1]}
        bar.update()
        bar.set_description(
            f"{args.model.name}: " + ("check, time" if model is None else "convert, check, time")
        )
        if model is None:
            run = run_onnx_model(args.model, rows, **_timing_args(args, deadline))
        else:
            X = align_to_model(model, rows)
            run, onnx_models[f"{args.model.stem}.onnx"] = run_sklearn_model(
                args.model.stem, model, X, **_timing_args(args, deadline)
            )
        bar.update()
    return [run], description, onnx_models


def _timing_args(args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    def budget() -> float:
        return deadline - time.perf_counter()

    return {"batch_sizes": args.batch_sizes, "budget": budget, "preset": args.preset}


# -- the table and the reports --------------------------------------------------
def summary_table(runs: list[ModelRun]) -> pd.DataFrame:
    """One row per model and batch size: median µs per call of each candidate, speed-up, agreement.

    Examples
    --------
    >>> from helpers import BenchmarkResult
    >>> result = BenchmarkResult({("scikit-learn", 1): [4e-5], ("onnxruntime", 1): [1e-5]},
    ...                          ["scikit-learn", "onnxruntime"], [1])
    >>> float(summary_table([ModelRun("m", "Ridge", "predict", None, result, 1)]).loc[0, "speed-up"])
    4.0
    """
    rows = []
    for run in runs:
        for batch_size in run.result.batch_sizes:
            row: dict[str, Any] = {"model": run.name, "rows per call": batch_size}
            for candidate in run.result.candidates:
                row[f"{candidate} (µs)"] = run.result.median(candidate, batch_size) * 1e6
            if len(run.result.candidates) > 1:
                row["speed-up"] = run.result.speedup("onnxruntime", batch_size)
            row["agrees"] = _agreement(run)
            rows.append(row)
    return pd.DataFrame(rows)


def _agreement(run: ModelRun) -> str:
    if run.comparison is None:
        return "runs (no sklearn model)"
    if run.comparison.ok:
        return f"yes (max diff {run.comparison.max_abs_diff:.1g})"
    return f"NO: {len(run.comparison.worst_rows)} rows outside tolerance"


def format_table(table: pd.DataFrame) -> str:
    """The summary table as aligned text, times with one decimal, speed-ups as ``12.3x``."""
    formatters = {column: "{:,.1f}".format for column in table.columns if column.endswith("(µs)")}
    if "speed-up" in table:
        formatters["speed-up"] = _ratio
    return table.to_string(index=False, formatters=formatters)


def _environment() -> dict[str, Any]:
    versions = {}
    for package in ("numpy", "scikit-learn", "skl2onnx", "onnx", "onnxruntime"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "versions": versions,
    }


def report_dict(runs: list[ModelRun], data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The machine-readable report: settings, environment, and per model its check and timings."""
    return {
        "tool": PROG,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "ok": all(run.ok for run in runs),
        "settings": {
            "preset": args.preset,
            "budget_s": args.budget,
            "batch_sizes": list(args.batch_sizes),
        },
        "environment": _environment(),
        "data": data,
        "models": [_run_dict(run) for run in runs],
    }


def _run_dict(run: ModelRun) -> dict[str, Any]:
    comparison = None
    if run.comparison is not None:
        report = run.comparison
        comparison = {
            "ok": bool(report.ok),
            "rows": int(report.n_rows),
            "values": report.values,
            "label_agreement": float(report.label_agreement) if report.has_labels else None,
            "max_abs_diff": float(report.max_abs_diff),
            "max_rel_diff": float(report.max_rel_diff),
            "rtol": report.rtol,
            "atol": report.atol,
            "rows_outside_tolerance": [int(i) for i in report.worst_rows],
            "rows_with_another_label": [int(i) for i in report.label_mismatches],
        }
    timings = run.result.to_frame().to_dict(orient="records")
    return {
        "name": run.name,
        "estimator": run.estimator,
        "method": run.method,
        "checked_rows": run.checked_rows,
        "comparison": comparison,
        "timings": [{key: _plain(value) for key, value in row.items()} for row in timings],
        "onnx_file": run.onnx_file,
        "notes": run.notes,
    }


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number JSON can write."""
    return value.item() if isinstance(value, np.generic) else value


def _figure_png(run: ModelRun) -> str:
    """The run's latency (and speed-up) figure as a base64 PNG; no pyplot state is touched."""
    from matplotlib.figure import Figure

    with_speedup = len(run.result.candidates) > 1
    figure = Figure(figsize=(10 if with_speedup else 6, 4), layout="constrained")
    axes = figure.subplots(1, 2 if with_speedup else 1, squeeze=False)[0]
    run.result.plot("latency", ax=axes[0])
    if with_speedup:
        run.result.plot("speedup", ax=axes[1])
    figure.suptitle(_figure_title(run))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure_title(run: ModelRun) -> str:
    """The finding, formatted from the measurement."""
    smallest, largest = run.result.batch_sizes[0], run.result.batch_sizes[-1]
    if len(run.result.candidates) > 1:
        return (
            f"{run.name}: ONNX Runtime {_ratio(run.result.speedup('onnxruntime', smallest))} as fast as "
            f"scikit-learn at {_rows(smallest)}, {_ratio(run.result.speedup('onnxruntime', largest))} "
            f"at {_rows(largest)}"
        )
    per_row = run.result.median("onnxruntime", largest) / largest * 1e6
    return (
        f"{run.name}: {run.result.median('onnxruntime', smallest) * 1e6:,.1f} µs per call at "
        f"{_rows(smallest)}, {per_row:,.3f} µs per row at {_rows(largest)}"
    )


def _ratio(value: float) -> str:
    """A speed-up as ``0.73x``, ``4.2x`` or ``1,988x``: the digits that matter."""
    return f"{value:.2f}x" if value < 1 else f"{value:.1f}x" if value < 10 else f"{value:,.0f}x"


def _rows(count: int) -> str:
    return f"{count:,} row" + ("s" if count != 1 else "")


def report_html(runs: list[ModelRun], report: dict[str, Any], table: pd.DataFrame) -> str:
    """A self-contained HTML page: the summary table, then per model its check and figure."""
    environment = report["environment"]
    versions = ", ".join(f"{name} {version}" for name, version in environment["versions"].items())
    sections = []
    for run in runs:
        check = run.comparison._repr_html_() if run.comparison is not None else ""
        notes = "".join(f"<p>{escape(note)}</p>" for note in run.notes)
        image = f'<img alt="{escape(_figure_title(run))}" src="data:image/png;base64,{_figure_png(run)}">'
        sections.append(
            f"<h2>{escape(run.name)} ({escape(run.estimator)}, {escape(run.method)})</h2>"
            f"{check}{notes}{image}"
        )
    summary = table.to_html(index=False, float_format="{:,.2f}".format, border=0)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{PROG} report</title><style>{_CSS}</style></head><body>"
        f"<h1>{PROG} report</h1>"
        f"<p>{escape(report['created'])}; {escape(report['data']['source'])}, "
        f"{report['data']['rows']:,} rows checked; preset {escape(report['settings']['preset'])}; "
        f"Python {escape(environment['python'])} on {escape(environment['platform'])}, "
        f"{environment['cpu_count']} CPUs; {escape(versions)}.</p>"
        f"<p>{'<br>'.join(escape(line) for line in TIMING_NOTE.splitlines())}<br>"
        "A speed-up above 1 means ONNX Runtime was faster.</p>"
        f"{summary}{''.join(sections)}</body></html>"
    )


_CSS = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .8em;text-align:right}"
    "img{max-width:100%}"
)


def write_reports(
    out: Path, runs: list[ModelRun], report: dict[str, Any], table: pd.DataFrame, onnx_models: dict[str, Any]
) -> list[Path]:
    """Write the ONNX models, ``report.json`` and ``report.html`` into ``out``; return their paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create --out {str(out)!r}: {error.strerror}") from None
    written = []
    for file_name, onnx_model in onnx_models.items():
        path = out / file_name
        path.write_bytes(onnx_model.SerializeToString())
        for run in runs:
            if f"{run.name}.onnx" == file_name:
                run.onnx_file = str(path)
        written.append(path)
    report["models"] = [_run_dict(run) for run in runs]  # with the paths of the ONNX files
    json_path, html_path = out / "report.json", out / "report.html"
    json_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    html_path.write_text(report_html(runs, report, table), encoding="utf-8")
    return [*written, json_path, html_path]


# -- main -----------------------------------------------------------------------
def _preset_text(preset: str) -> str:
    if preset == "auto":
        return f"auto (latency below {AUTO_BATCH:,} rows per call, throughput from {AUTO_BATCH:,})"
    return preset


def _first_line(error: Any) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _check_options(args: argparse.Namespace) -> None:
    if args.budget <= 0:
        raise CliError(f"--budget must be positive, got {args.budget:g}")
    if args.rows < 1:
        raise CliError(f"--rows must be at least 1, got {args.rows}")
    if args.model is None and (args.data is not None or args.target is not None):
        raise CliError("--data and --target go with --model; without --model the tool runs its demonstration")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise CliError(f"--out {str(args.out)!r} is a file, not a directory")


def _run(args: argparse.Namespace) -> int:
    _check_options(args)
    start = time.perf_counter()
    job = _run_model_file if args.model is not None else _run_demo
    runs, data, onnx_models = job(args, start + args.budget)
    table = summary_table(runs)
    print(f"data: {data['source']}, {data['rows']:,} rows x {data['columns']} columns")
    print(f"preset: {_preset_text(args.preset)} (ONNX Runtime session settings)\n{TIMING_NOTE}")
    print(format_table(table))
    for run in runs:
        for note in run.notes:
            print(f"note: {run.name}: {note}")
    report = report_dict(runs, data, args)
    if args.out is not None:
        for path in write_reports(args.out, runs, report, table, onnx_models):
            print(f"wrote {path}")
    elif onnx_models:
        print("note: pass --out DIR to save the converted model and the report")
    print(f"done in {time.perf_counter() - start:.1f} s")
    mismatched = [run.name for run in runs if not run.ok]
    if mismatched:
        print(
            f"{PROG}: the ONNX predictions of {', '.join(mismatched)} differ from scikit-learn's beyond "
            "the tolerance (see the table and the report)",
            file=sys.stderr,
        )
        return EXIT_MISMATCH
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the tool with the arguments ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Prints the table on stdout, errors as one line on stderr; never raises,
    except with ``--debug``.

    Examples
    --------
    >>> main(["--budget", "0"])
    2
    """
    from sklearn.exceptions import NotFittedError

    import helpers

    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    # ValueError: what scikit-learn raises on data it cannot take (e.g. NaN where it rejects it)
    expected = (CliError, helpers.ModelFileError, helpers.UnsupportedModelError, ValueError)
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except SystemExit as exit:  # --help
        return exit.code if isinstance(exit.code, int) else EXIT_OK
    except (*expected, NotFittedError) as error:
        print(f"{PROG}: error: {_first_line(error)}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            raise
        print(
            f"{PROG}: unexpected {type(error).__name__}: {_first_line(error)} (rerun with --debug)",
            file=sys.stderr,
        )
    return EXIT_ERROR
