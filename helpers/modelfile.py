"""Read an ONNX model from a ``ModelProto``, bytes or a path: every entry point goes through
:func:`model_bytes`, so a missing file, a pickle or a wrong type gets the same clear error
everywhere, and nothing is ever unpickled. Introduced in :ref:`running_common_errors`.
"""

from __future__ import annotations

import os
from pathlib import Path

import onnx

from helpers.errors import ModelFileError

__all__ = ["ModelSource", "check_source", "model_bytes"]

#: What the helpers accept as a model.
ModelSource = onnx.ModelProto | bytes | bytearray | memoryview | str | os.PathLike


def model_bytes(model: ModelSource) -> tuple[bytes, str]:
    """The serialized model and where it came from, for errors: ``FileNotFoundError`` for a
    path that is not a file, ``TypeError`` for another type, :class:`ModelFileError` for a pickle.

    >>> model_bytes(b"\\x08\\x07")
    (b'\\x08\\x07', 'the given bytes')
    """
    check_source(model)
    if isinstance(model, onnx.ModelProto):
        content, source = model.SerializeToString(), "the given ModelProto"
    elif isinstance(model, (bytes, bytearray, memoryview)):
        content, source = bytes(model), "the given bytes"
    else:
        content, source = Path(model).read_bytes(), repr(os.fspath(model))
    check_not_pickle(content, source)
    return content, source


def check_source(model: ModelSource) -> None:
    """Fail early, without reading a file, on a wrong type or a path that is not a file."""
    if isinstance(model, (str, os.PathLike)):
        if not Path(model).is_file():
            raise FileNotFoundError(f"no ONNX model at {os.fspath(model)!r}: the file does not exist")
    elif not isinstance(model, (onnx.ModelProto, bytes, bytearray, memoryview)):
        raise TypeError(
            f"expected an onnx.ModelProto, bytes or a path to a .onnx file, got {type(model).__name__}"
        )


def check_not_pickle(content: bytes, source: str) -> None:
    """Refuse a pickle (joblib or pickle protocol 2+ starts with ``0x80``) by its first byte."""
    if content[:1] == b"\x80":
        raise ModelFileError(
            f"{source} looks like a pickle (joblib/pickle file), not an ONNX model. "
            "helpers never unpickles: load a trusted pickle yourself, then call helpers.convert."
        )
