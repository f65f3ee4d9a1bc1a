"""Exceptions raised by :mod:`helpers`, and the one-line form of any error.

Introduced in :ref:`running_common_errors`, which shows each refusal and what to do. Each
exception subclasses the built-in one a caller would already catch (``except ValueError``
keeps working), and each message says what was expected and what came instead.
"""

from __future__ import annotations

__all__ = ["ChunkError", "InputError", "ModelFileError", "UnsupportedModelError", "first_line"]


class InputError(ValueError):
    """The data given to a predictor does not match what the ONNX model expects: a wrong
    number of features, missing or unexpected columns, values that cannot be cast, or NaN
    or infinity where the scikit-learn model refuses them."""


class ModelFileError(ValueError):
    """A file or byte string is not a loadable ONNX model (corrupt, truncated or
    of another format). The message names the file."""


class UnsupportedModelError(TypeError):
    """skl2onnx has no converter for an estimator in the model; the message names the
    estimator and the ways out (a convertible step, or a custom converter)."""


class ChunkError(RuntimeError):
    """A chunk of a batch split by rows (:mod:`helpers.parallel`) failed: ``start`` and
    ``stop`` are its rows (``stop`` excluded), ``error`` the original exception, chained as
    ``__cause__``; the message names the rows and the error's first line.
    """

    def __init__(self, start: int, stop: int, error: BaseException, doing: str = "") -> None:
        where = f"rows {start:,} to {stop - 1:,} of the batch"
        super().__init__(f"{doing + ' ' if doing else ''}{where}: {first_line(error)}")
        self.start, self.stop, self.error = start, stop, error


def first_line(error: object) -> str:
    """The first line of an error's message (onnxruntime and skl2onnx put their context
    under it), or its type's name when it has none.

    >>> first_line(ValueError("bad shape\\n  at line 12 of graph.cc")), first_line(KeyError())
    ('bad shape', 'KeyError')
    """
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
