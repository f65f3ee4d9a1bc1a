"""Which ONNX opsets the installed onnx, skl2onnx and onnxruntime support.

Introduced in :ref:`sphx_glr_auto_examples_02_converting_plot_05_opsets_versions.py`,
which shows the calls these functions make: ``onnx.defs.onnx_opset_version()``,
``skl2onnx.__max_supported_opset__``, and, because onnxruntime has no function
that returns the newest opset it runs, loading tiny models stamped with a
given opset until onnxruntime refuses one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import TensorProto, helper

__all__ = ["onnx_model_opsets", "probe_model", "runtime_max_ir_version", "runtime_max_opset", "version_table"]

ML_DOMAIN = "ai.onnx.ml"
_BASE_OPSET = 13  # an opset every onnxruntime of the last years loads, used while probing another domain


def probe_model(opset: int, *, domain: str = "", ir_version: int | None = None) -> onnx.ModelProto:
    """A one-node model (``Identity``) that declares ``opset`` for ``domain``.

    Parameters
    ----------
    opset : int
        Version of ``domain`` written in the model's ``opset_import``.
    domain : str, default ""
        ``""`` (the standard ``ai.onnx`` domain) or ``"ai.onnx.ml"``; for
        ``"ai.onnx.ml"`` the model also imports ``ai.onnx`` at opset 13.
    ir_version : int, optional
        The model's IR version; default: what the installed onnx writes.

    Examples
    --------
    >>> [(o.domain, o.version) for o in probe_model(5, domain="ai.onnx.ml").opset_import]
    [('', 13), ('ai.onnx.ml', 5)]
    """
    if domain not in ("", ML_DOMAIN):
        raise ValueError(f"domain must be '' (ai.onnx) or {ML_DOMAIN!r}, got {domain!r}")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])],
    )
    imports = [helper.make_opsetid("", opset if domain == "" else _BASE_OPSET)]
    if domain == ML_DOMAIN:
        imports.append(helper.make_opsetid(ML_DOMAIN, opset))
    model = helper.make_model(graph, opset_imports=imports)
    if ir_version is not None:
        model.ir_version = ir_version
    return model


def _loads(model: onnx.ModelProto) -> bool:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: the refusals are expected, not worth a warning
    try:
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        session.run(None, {"x": np.zeros(1, dtype=np.float32)})
    except Exception:  # onnxruntime's errors derive from Exception only
        return False
    return True


def _largest(accepts: Callable[[int], bool], low: int, high: int) -> int:
    """Largest ``v`` in ``[low, high]`` with ``accepts(v)``, for ``accepts`` true up to a point."""
    if not accepts(low):
        raise RuntimeError(f"onnxruntime refused even version {low} of the probe model")
    while low < high:
        middle = (low + high + 1) // 2
        if accepts(middle):
            low = middle
        else:
            high = middle - 1
    return low


def runtime_max_opset(domain: str = "", *, upper: int = 200) -> int:
    """Newest opset of ``domain`` the installed onnxruntime loads.

    Found by loading :func:`probe_model` models (a binary search, a few
    milliseconds): onnxruntime refuses a model that declares an opset newer
    than it supports.

    Parameters
    ----------
    domain : {"", "ai.onnx.ml"}
    upper : int
        Largest opset tried.

    Examples
    --------
    >>> runtime_max_opset() >= 22  # onnxruntime 1.20 runs opset 22
    True
    """
    lowest = 1 if domain == ML_DOMAIN else 7  # onnxruntime supports ai.onnx from opset 7 on
    # the probe's file format must be one this onnxruntime reads: an older runtime than the
    # installed onnx (as pip picks on Python 3.10) refuses onnx's newest IR version at any opset
    ir_version = min(onnx.IR_VERSION, runtime_max_ir_version())
    return _largest(
        lambda opset: _loads(probe_model(opset, domain=domain, ir_version=ir_version)), lowest, upper
    )


def runtime_max_ir_version(*, upper: int = 100) -> int:
    """Newest IR version (the file format of the model) the installed onnxruntime loads.

    Examples
    --------
    >>> runtime_max_ir_version() >= 10
    True
    """
    return _largest(lambda ir: _loads(probe_model(_BASE_OPSET, ir_version=ir)), 7, upper)


def onnx_model_opsets(onnx_model: onnx.ModelProto) -> dict[str, int]:
    """The opsets a model declares, ``{"ai.onnx": 22, "ai.onnx.ml": 1}``.

    Examples
    --------
    >>> onnx_model_opsets(probe_model(21))
    {'ai.onnx': 21}
    """
    return {(item.domain or "ai.onnx"): item.version for item in onnx_model.opset_import}


def version_table() -> pd.DataFrame:
    """Installed versions of onnx, skl2onnx and onnxruntime, and the newest opsets each supports.

    Columns ``ai.onnx opset``, ``ai.onnx.ml opset`` and ``IR version``: for
    onnx, the newest it defines; for skl2onnx, the newest ``ai.onnx`` opset
    its converters are tested with (``skl2onnx.__max_supported_opset__``; it
    does not publish one for ``ai.onnx.ml``); for onnxruntime, the newest it
    loads, probed with :func:`runtime_max_opset` and
    :func:`runtime_max_ir_version`.

    Examples
    --------
    >>> table = version_table()
    >>> list(table.library)
    ['onnx', 'skl2onnx', 'onnxruntime']
    """
    import skl2onnx

    rows = [
        {
            "library": "onnx",
            "version": onnx.__version__,
            "ai.onnx opset": onnx.defs.onnx_opset_version(),
            "ai.onnx.ml opset": onnx.defs.onnx_ml_opset_version(),
            "IR version": onnx.IR_VERSION,
            "meaning": "newest it defines",
        },
        {
            "library": "skl2onnx",
            "version": skl2onnx.__version__,
            "ai.onnx opset": skl2onnx.__max_supported_opset__,
            "ai.onnx.ml opset": None,
            "IR version": None,
            "meaning": "newest its converters are tested with",
        },
        {
            "library": "onnxruntime",
            "version": ort.__version__,
            "ai.onnx opset": runtime_max_opset(""),
            "ai.onnx.ml opset": runtime_max_opset(ML_DOMAIN),
            "IR version": runtime_max_ir_version(),
            "meaning": "newest it loads (probed)",
        },
    ]
    integers = {"ai.onnx opset": "Int64", "ai.onnx.ml opset": "Int64", "IR version": "Int64"}
    return pd.DataFrame(rows).astype(integers)
