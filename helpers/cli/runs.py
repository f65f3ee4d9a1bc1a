"""Convert, check and time one model for the tool: the work behind each row of its table.

The docstrings say what makes each timing fair: rows converted outside the
timing, and scikit-learn timed with both of its ``n_jobs`` settings where ``n_jobs`` acts on
prediction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from helpers.benchmark import benchmark
from helpers.cli.common import CliError
from helpers.cli.diagnose import diagnose
from helpers.cli.n_jobs import other_jobs
from helpers.conversion import convert
from helpers.predictor import OnnxPredictor
from helpers.session import PRESETS, preset_for
from helpers.validate import compare

__all__ = [
    "MIN_TIMING_BUDGET",
    "ModelRun",
    "demo_models",
    "run_onnx_model",
    "run_sklearn_model",
]

#: Seconds of timing per model, at least, even when the budget is spent.
MIN_TIMING_BUDGET = 0.2


def _prediction_method(model: Any, predictor: Any) -> str:
    """``"predict_proba"`` for a classifier with probabilities, else ``"predict"``."""
    if predictor.is_classifier and (model is None or hasattr(model, "predict_proba")):
        return "predict_proba"
    return "predict"


def _onnx_input(data: Any, predictor: OnnxPredictor) -> Any:
    """Rows as the ONNX model's single float input takes them: a C-contiguous array of
    its type, columns in its order. Other data (per-column inputs) is left as it is."""
    slot = predictor.inputs.single_float
    if slot is None:
        return data
    return predictor.inputs.feed(data)[slot.name]


def _with_prepared_input(
    function: Callable[[Any], Any], prepare: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """``function(prepare(batch))``, with ``prepare`` run once per batch, not in the timing.

    :func:`helpers.benchmark` builds each batch once and passes that same
    object to every call, the first of which (a warm-up) is not timed. So the
    conversion of the rows to the ONNX input type happens there, as a program
    would do it once before predicting, while scikit-learn gets the rows as
    they came. A timed call adds one dictionary look-up.
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
    diagnosis : helpers.cli.diagnose.Diagnosis or None
        On a mismatch, its cause, the fix and the lessons.
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
    diagnosis: Any = None

    @property
    def ok(self) -> bool:
        """False only when a comparison with scikit-learn found a mismatch."""
        return self.comparison is None or bool(self.comparison.ok)


def _seconds(budget: float | Callable[[], float]) -> float:
    """A timing budget, computed now if it is a callable (the time left at this step)."""
    return max(budget() if callable(budget) else budget, MIN_TIMING_BUDGET)


def _convert(model: Any, X: Any, dtype: Any = np.float32) -> Any:
    """:func:`helpers.convert` on the data's first row (a numeric DataFrame becomes one input, a
    mixed one an input per column), without its check on the sample: the tool compares the
    whole data itself and diagnoses a disagreement (:mod:`helpers.cli.diagnose`)."""
    return convert(model, X[:1], dtype=dtype, verify=False)


def _timed_call(model: Any, preset: str, method: str) -> Callable[[Any], Any]:
    """The ONNX prediction method to time; with ``preset="auto"``, the preset follows the batch size."""
    if preset != "auto":
        return getattr(OnnxPredictor(model, preset=preset), method)
    by_preset = {name: getattr(OnnxPredictor(model, preset=name), method) for name in PRESETS}
    return lambda X: by_preset[preset_for(len(X))](X)


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

    scikit-learn is timed as it is and, when an ``n_jobs`` of the model acts on prediction,
    also with its other setting (:func:`helpers.cli.n_jobs.other_jobs`), in the same rounds. On a
    mismatch, :func:`helpers.cli.diagnose.diagnose` looks for the cause.
    ``budget`` is the seconds of timing, or a function that gives them when
    the timing starts (the time the conversion and the check left).
    Returns the :class:`ModelRun` and the ONNX model.
    """
    onnx_model = _convert(model, X)
    predictor = OnnxPredictor(onnx_model, preset="latency" if preset == "auto" else preset)
    comparison = compare(model, predictor, X)
    diagnosis = None if comparison.ok else diagnose(model, X, comparison, onnx_model, _convert)
    method = _prediction_method(model, predictor)
    onnx_call = _with_prepared_input(
        _timed_call(onnx_model, preset, method), lambda batch: _onnx_input(batch, predictor)
    )
    candidates = {"scikit-learn": getattr(model, method)}
    other = other_jobs(model)
    if other is not None:
        candidates[other[0]] = getattr(other[1], method)
    result = benchmark(
        {**candidates, "onnxruntime": onnx_call},
        X,
        batch_sizes=batch_sizes,
        budget=_seconds(budget),
    )
    run = ModelRun(name, type(model).__name__, method, comparison, result, len(X), diagnosis=diagnosis)
    return run, onnx_model


def run_onnx_model(
    path: Path,
    X: Any,
    *,
    batch_sizes: tuple[int, ...],
    budget: float | Callable[[], float],
    preset: str,
    predictor: OnnxPredictor | None = None,
) -> ModelRun:
    """Load an ONNX model, check it runs on ``X`` (columns, shape, output rows), time it.

    Without the scikit-learn model there is nothing to compare with, so the
    check is that the model accepts the data and returns one prediction per row.
    ``predictor``: the model already loaded from ``path``, with the preset's settings.
    """
    if not path.is_file():
        raise CliError(f"no model file at {str(path)!r}")
    if predictor is None:
        predictor = OnnxPredictor(path, preset="latency" if preset == "auto" else preset)
    method = _prediction_method(None, predictor)
    predictions = getattr(predictor, method)(X)
    if len(predictions) != len(X):
        raise CliError(f"{path.name!r} returned {len(predictions)} predictions for {len(X)} rows")
    if np.asarray(predictions).dtype.kind == "f" and not np.all(np.isfinite(predictions)):
        raise CliError(f"{path.name!r} returned NaN or infinite predictions on the data")
    result = benchmark(
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

    return {
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "random forest": RandomForestClassifier(n_estimators=100, random_state=0),
        "gradient boosting": HistGradientBoostingClassifier(max_iter=100, random_state=0),
    }
