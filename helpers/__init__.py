"""Reusable code for the train-convert-predict lessons.

Each function was first written out in a lesson with the raw skl2onnx and
onnxruntime calls, then moved here:

* :func:`convert`: scikit-learn model to ONNX (``skl2onnx.to_onnx``);
* :class:`OnnxPredictor`: ``predict`` / ``predict_proba`` over one
  ``onnxruntime.InferenceSession``, with input checks;
* :func:`compare` and :func:`assert_agrees`: agreement with scikit-learn;
* :func:`benchmark`: fair, interleaved timings and their plots;
* :func:`tune`: the fastest session settings for one model and batch size;
* :func:`register_boosting_converters`: LightGBM and XGBoost models for
  skl2onnx (onnxmltools' converters).
"""

from helpers.boosting import register_boosting_converters
from helpers.convert import convert, initial_types
from helpers.errors import InputError, ModelFileError, UnsupportedModelError
from helpers.predictor import PRESETS, OnnxPredictor, session_options
from helpers.timing import BenchmarkResult, benchmark, take_rows
from helpers.tuning import Setting, TuningResult, tune
from helpers.validate import ComparisonReport, assert_agrees, compare

__all__ = [
    "PRESETS",
    "BenchmarkResult",
    "ComparisonReport",
    "InputError",
    "ModelFileError",
    "OnnxPredictor",
    "Setting",
    "TuningResult",
    "UnsupportedModelError",
    "assert_agrees",
    "benchmark",
    "compare",
    "convert",
    "initial_types",
    "register_boosting_converters",
    "session_options",
    "take_rows",
    "tune",
]
