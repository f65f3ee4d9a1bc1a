"""Reusable code for the train-convert-predict lessons: each name below was first written out
in a lesson with the raw skl2onnx and onnxruntime calls, then moved here.

* :func:`convert`: scikit-learn model to ONNX (``skl2onnx.to_onnx``);
* :class:`OnnxPredictor`: ``predict`` / ``predict_proba`` over one ``InferenceSession``, with input checks;
* :func:`compare` and :func:`assert_agrees`: agreement with scikit-learn;
* :func:`benchmark`, :func:`machine_summary`, :func:`usable_cpus`: timings and where they were measured;
* :func:`session_options`, :data:`PRESETS` and :func:`tune`: onnxruntime's session settings;
* the errors: :class:`InputError`, :class:`ModelFileError`, :class:`UnsupportedModelError`.

Everything else stays importable from its module (``docs/architecture.rst``); :mod:`helpers.lessons`
(lesson utilities), :mod:`helpers.cli`, :mod:`helpers.serving` and :mod:`helpers.batch` are beside the core.
"""

import os

# onnxruntime 1.29+ sends usage telemetry on import (Linux, macOS): off, unless the environment says
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from helpers.benchmark import benchmark  # after the line above: onnxruntime reads it on import
from helpers.conversion import convert
from helpers.errors import InputError, ModelFileError, UnsupportedModelError
from helpers.lessons.tuning import tune
from helpers.machine import machine_summary, usable_cpus
from helpers.predictor import OnnxPredictor
from helpers.session import PRESETS, session_options
from helpers.validate import assert_agrees, compare

__all__ = [
    "PRESETS",
    "InputError",
    "ModelFileError",
    "OnnxPredictor",
    "UnsupportedModelError",
    "assert_agrees",
    "benchmark",
    "compare",
    "convert",
    "machine_summary",
    "session_options",
    "tune",
    "usable_cpus",
]
