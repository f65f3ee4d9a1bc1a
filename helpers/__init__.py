"""Reusable code for the train-convert-predict lessons.

Each function was first written out in a lesson with the raw skl2onnx and
onnxruntime calls, then moved here:

* :func:`convert`: scikit-learn model to ONNX (``skl2onnx.to_onnx``);
* :class:`OnnxPredictor`: ``predict`` / ``predict_proba`` over one
  ``onnxruntime.InferenceSession``, with input checks;
* :func:`compare` and :func:`assert_agrees`: agreement with scikit-learn;
* :func:`benchmark`: interleaved paired timings, speed-ups with confidence
  intervals and verdicts, and their plots;
* :func:`machine_summary`: where the timings were measured;
* :func:`tune`: the fastest session settings for one model and batch size;
* :func:`register_boosting_converters`: LightGBM and XGBoost models for
  skl2onnx (onnxmltools' converters);
* :func:`version_table` and :func:`runtime_max_opset`: the opsets the
  installed onnx, skl2onnx and onnxruntime support;
* :func:`describe` and :func:`plot_graph`: what an ONNX model holds;
* :func:`profile_frame` and :func:`op_type_summary`: onnxruntime profiles as tables.

``docs/architecture.rst`` shows how the modules are layered.
"""

from helpers.benchmark import BenchmarkResult, benchmark, take_rows
from helpers.boosting import register_boosting_converters
from helpers.conversion import convert, initial_types
from helpers.errors import ChunkError, InputError, ModelFileError, UnsupportedModelError
from helpers.inspection import ModelDescription, describe, plot_graph
from helpers.machine import machine_summary, usable_cpus
from helpers.predictor import OnnxPredictor
from helpers.profiling import op_type_summary, profile_frame
from helpers.session import PRESETS, session_options
from helpers.settings import Setting
from helpers.tuning import TuningResult, tune
from helpers.validate import ComparisonReport, assert_agrees, compare
from helpers.versions import onnx_model_opsets, runtime_max_ir_version, runtime_max_opset, version_table

__all__ = [
    "PRESETS",
    "BenchmarkResult",
    "ChunkError",
    "ComparisonReport",
    "InputError",
    "ModelDescription",
    "ModelFileError",
    "OnnxPredictor",
    "Setting",
    "TuningResult",
    "UnsupportedModelError",
    "assert_agrees",
    "benchmark",
    "compare",
    "convert",
    "describe",
    "initial_types",
    "machine_summary",
    "onnx_model_opsets",
    "op_type_summary",
    "plot_graph",
    "profile_frame",
    "register_boosting_converters",
    "runtime_max_ir_version",
    "runtime_max_opset",
    "session_options",
    "take_rows",
    "tune",
    "usable_cpus",
    "version_table",
]
