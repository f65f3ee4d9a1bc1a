"""Exceptions raised by :mod:`helpers`, each a subclass of the built-in one a caller would
already catch, and the one-line form of any error. Introduced in :ref:`running_common_errors`.
"""

from __future__ import annotations

__all__ = ["ChunkError", "InputError", "ModelFileError", "UnsupportedModelError", "first_line"]


class InputError(ValueError):
    """The data given to a predictor does not match what the ONNX model expects."""


class ModelFileError(ValueError):
    """A file or byte string is not a loadable ONNX model; the message names the file."""


class UnsupportedModelError(TypeError):
    """skl2onnx has no converter for an estimator in the model; the message says the ways out."""


class ChunkError(RuntimeError):
    """A chunk of a batch split by rows (:mod:`helpers.parallel`) failed: ``start`` and ``stop``
    (excluded) are its rows, ``error`` the original exception, chained as ``__cause__``."""

    def __init__(self, start: int, stop: int, error: BaseException, doing: str = "") -> None:
        where = f"rows {start:,} to {stop - 1:,} of the batch"
        super().__init__(f"{doing + ' ' if doing else ''}{where}: {first_line(error)}")
        self.start, self.stop, self.error = start, stop, error


def first_line(error: object) -> str:
    """The first line of an error's message (the context follows it), or its type's name if empty.

    >>> first_line(ValueError("bad shape\\n  at line 12 of graph.cc")), first_line(KeyError())
    ('bad shape', 'KeyError')
    """
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
