"""Exceptions raised by :mod:`helpers`, and the one-line form of any error.

Introduced in :ref:`running_common_errors`, which shows each refusal and what to do.

Each exception subclasses the built-in exception a caller would already catch
(``ValueError``, ``TypeError`` or ``RuntimeError``), so ``except ValueError`` keeps working, and
each message says what was expected and what came instead.
"""

from __future__ import annotations

__all__ = ["ChunkError", "InputError", "ModelFileError", "UnsupportedModelError", "first_line"]


class InputError(ValueError):
    """The data given to a predictor does not match what the ONNX model expects.

    Raised for a wrong number of features, a 1-D array, missing or unexpected
    DataFrame columns, values that cannot be cast to the model's input type, or
    NaN where the original scikit-learn model rejects NaN.
    """


class ModelFileError(ValueError):
    """A file or byte string is not a loadable ONNX model (corrupt, truncated or
    of another format). The message names the file."""


class UnsupportedModelError(TypeError):
    """skl2onnx has no converter for an estimator in the model.

    The message names the estimator class and the two ways out: replace the
    step with a convertible one, or register a custom converter.
    """


class ChunkError(RuntimeError):
    """A chunk of a batch split by rows (:mod:`helpers.parallel`) failed.

    ``start`` and ``stop`` are its rows (``stop`` excluded), ``error`` the original exception.

    The message names the rows and gives the first line of the original
    error, which :meth:`helpers.parallel.RowSplitter.run` chains as ``__cause__``.

    >>> str(ChunkError(500, 1_000, ValueError("bad value"), "scoring failed on"))
    'scoring failed on rows 500 to 999 of the batch: bad value'
    """

    def __init__(self, start: int, stop: int, error: BaseException, doing: str = "") -> None:
        where = f"rows {start:,} to {stop - 1:,} of the batch"
        super().__init__(f"{doing + ' ' if doing else ''}{where}: {first_line(error)}")
        self.start, self.stop, self.error = start, stop, error


def first_line(error: object) -> str:
    """The first line of an error's message, or its type's name when it has none.

    onnxruntime and skl2onnx put a stack of C++ or converter context under the
    first line; what a reader needs is that line.

    >>> first_line(ValueError("bad shape\\n  at line 12 of graph.cc"))
    'bad shape'
    >>> first_line(KeyError())
    'KeyError'
    """
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
