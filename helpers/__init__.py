"""Reusable code for the train-convert-predict lessons.

Each name was first written out in a lesson with the raw skl2onnx and onnxruntime calls,
then moved here:

* :func:`convert`: scikit-learn model to ONNX (``skl2onnx.to_onnx``);
* :class:`OnnxPredictor`: ``predict`` / ``predict_proba`` over one ``InferenceSession``, with input checks;
* :func:`compare` and :func:`assert_agrees`: agreement with scikit-learn;
* :func:`benchmark`: interleaved paired timings, speed-ups with intervals and verdicts;
* :func:`machine_summary` and :func:`usable_cpus`: where the timings were measured;
* :func:`session_options`, :data:`PRESETS` and :func:`tune`: onnxruntime's session settings;
* the errors: :class:`InputError`, :class:`ModelFileError`, :class:`UnsupportedModelError`.

Everything else stays importable from its module (``docs/architecture.rst``);
:mod:`helpers.lessons` holds what only a lesson or two use, and :mod:`helpers.cli`,
:mod:`helpers.serving` and :mod:`helpers.batch` the production parts.
"""

from helpers.benchmark import benchmark
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
