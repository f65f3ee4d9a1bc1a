"""Read an ONNX model from a ``ModelProto``, bytes or a path: every entry point goes through
:func:`model_bytes`, so a missing file, a pickle or a wrong type gets the same clear error
everywhere, and nothing is ever unpickled. Introduced in :ref:`running_common_errors`.
"""

from __future__ import annotations

import os
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from helpers.errors import ModelFileError

__all__ = ["ModelSource", "check_source", "model_bytes", "with_external_data"]

#: What the helpers accept as a model.
ModelSource = onnx.ModelProto | bytes | bytearray | memoryview | str | os.PathLike


def model_bytes(model: ModelSource) -> tuple[bytes, str]:
    """The serialized model (a file's external data read in) and where it came from, for errors:
    ``FileNotFoundError`` for a path that is not a file, ``TypeError`` for another type,
    :class:`ModelFileError` for a pickle, or for bytes or a ``ModelProto`` whose tensors are in other files.

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
    folder = Path(model).parent if isinstance(model, (str, os.PathLike)) else None
    return with_external_data(content, folder, source), source


def with_external_data(content: bytes, folder: Path | None, source: str) -> bytes:
    """The model with the tensors it keeps in files of ``folder`` read in, as ``onnx.load`` does, so that
    its bytes load from anywhere; a model without such tensors is returned as it is. Without a folder
    (bytes, a ``ModelProto``), such tensors are a :class:`ModelFileError` naming their files."""
    if b"location" not in content:  # the key of every external tensor: no need to parse without it
        return content
    try:
        proto = onnx.load_from_string(content)
    except DecodeError:  # not a model: creating the session says so, naming the source
        return content
    external = [t for t in proto.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    if not external:
        return content
    if folder is None:
        files = {entry.value for t in external for entry in t.external_data if entry.key == "location"}
        raise ModelFileError(
            f"{source} keeps tensors in external data files ({', '.join(sorted(files))}), which bytes or a "
            "ModelProto cannot locate: pass the path of the .onnx file (its folder holds them), or "
            "onnx.load(path), which reads them in"
        )
    try:
        onnx.load_external_data_for_model(proto, os.fspath(folder))  # refuses a location outside it
    except Exception as error:  # onnx's ValidationError, OSError
        raise ModelFileError(f"{source} keeps tensors in files beside it, unreadable: {error}") from None
    if proto.ByteSize() >= 2**31:
        raise ModelFileError(
            f"{source} and its external data make {proto.ByteSize() / 2**30:.1f} GB, over protobuf's 2 GB "
            "limit for the one message helpers loads: use onnxruntime.InferenceSession on the path"
        )
    return proto.SerializeToString()


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
