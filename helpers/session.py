"""Session settings (the presets) and session creation with clear errors.

Introduced in :ref:`sphx_glr_auto_examples_03_running_plot_02_session_options.py`,
which sets the same ``SessionOptions`` by hand and measures each preset on
the reader's machine.
"""

from __future__ import annotations

from typing import Any

import onnxruntime as ort

from helpers.errors import ModelFileError, first_line
from helpers.modelfile import ModelSource, model_bytes

__all__ = ["AUTO_BATCH", "PRESETS", "SMALL_BATCH", "create_session", "preset_for", "session_options"]

#: Session settings per preset, measured against ``InferenceSession(model)`` by
#: ``benchmarks/throughput.py`` and :ref:`running_session_options` on the machine that runs them.
#:
#: * ``"latency"``, one row at a time: one intra-op thread (no pool, so nothing spins);
#:   a row's trees or products could be shared, but too little to repay waking other threads,
#:   and the other cores stay free for other requests.
#: * ``"default"``: onnxruntime's own defaults, nothing changed (a pool of one thread per
#:   physical core whose idle threads spin, that is busy-wait, for the next call).
#: * ``"throughput"``, large batches: the defaults, except that a tree ensemble takes the
#:   row split of :class:`helpers.OnnxPredictor` instead, one chunk per usable CPU on a
#:   one-thread session (onnxruntime's tree kernel shares a call *by trees*, its threads
#:   meeting at a barrier every 128 rows: ``tree_ensemble_common.h``).
#:
#: Spinning stays on where onnxruntime has it on: a pool that sleeps pays to wake for every
#: call. Turn it off (``allow_spinning=False``) when other work shares the cores between
#: calls; :ref:`running_session_options` measures both costs.
PRESETS: dict[str, dict[str, Any]] = {
    "latency": {
        "intra_op_num_threads": 1,
        "inter_op_num_threads": 1,
        "execution_mode": ort.ExecutionMode.ORT_SEQUENTIAL,
        "allow_spinning": False,
    },
    "default": {},
    "throughput": {"intra_op_num_threads": 0, "execution_mode": ort.ExecutionMode.ORT_SEQUENTIAL},
}

#: Rows per call from which :func:`helpers.session.preset_for` leaves ``"latency"`` (onnxruntime's pool starts
#: to pay), and from which it takes ``"throughput"`` (the row split has two chunks or more).
SMALL_BATCH, AUTO_BATCH = 16, 1_000


def preset_for(batch_size: int) -> str:
    """The preset to start from for batches of ``batch_size`` rows (the CLI's ``--preset auto``).

    >>> preset_for(1), preset_for(100), preset_for(10_000)
    ('latency', 'default', 'throughput')
    """
    return "latency" if batch_size < SMALL_BATCH else "default" if batch_size < AUTO_BATCH else "throughput"


def session_options(preset: str | None = "latency", **overrides: Any) -> ort.SessionOptions:
    """Build ``onnxruntime.SessionOptions`` from a preset plus overrides.

    Parameters
    ----------
    preset : {"latency", "default", "throughput"} or None
        Starting point (see :data:`PRESETS`); None, like "default", changes nothing.
    **overrides
        Any ``SessionOptions`` attribute (``intra_op_num_threads``,
        ``graph_optimization_level``, ``optimized_model_filepath``,
        ``enable_profiling``, ...), plus ``allow_spinning`` (bool), which sets
        the ``session.intra_op.allow_spinning`` and ``session.inter_op.allow_spinning``
        config entries (the second matters only with ``execution_mode=ORT_PARALLEL``).

    Examples
    --------
    >>> options = session_options("latency", intra_op_num_threads=2)
    >>> options.intra_op_num_threads
    2
    """
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)} or None, got {preset!r}")
    settings = {**(PRESETS[preset] if preset else {}), **overrides}
    options = ort.SessionOptions()
    spinning = settings.pop("allow_spinning", None)
    if spinning is not None:
        for pool in ("intra_op", "inter_op"):  # inter_op: the pool of execution_mode=ORT_PARALLEL
            options.add_session_config_entry(f"session.{pool}.allow_spinning", "1" if spinning else "0")
    for name, value in settings.items():
        if name.startswith("_") or not hasattr(options, name):
            known = sorted(
                n for n in dir(options) if not n.startswith("_") and not callable(getattr(options, n))
            )
            raise TypeError(f"unknown session option {name!r}; expected one of {known} or allow_spinning")
        setattr(options, name, value)
    return options


def create_session(
    model: ModelSource,
    options: ort.SessionOptions | None = None,
    providers: list[str] | None = None,
    *,
    source: str | None = None,
) -> tuple[ort.InferenceSession, str]:
    """An ``InferenceSession`` for ``model`` (a ``ModelProto``, bytes or a path; pickles are
    refused, never loaded) with ``options`` (default: the latency preset) and ``providers``
    (default: the CPU), and how errors name it (``source``, default from
    :func:`helpers.modelfile.model_bytes`). A model onnxruntime cannot load is a
    :class:`~helpers.ModelFileError` naming the source.

    >>> create_session(b"not a model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    helpers.errors.ModelFileError: the given bytes is not a loadable ONNX model: ...
    """
    content, read_from = model_bytes(model)
    source = source or read_from
    try:
        session = ort.InferenceSession(
            content,
            options if options is not None else session_options("latency"),
            providers=providers or ["CPUExecutionProvider"],
        )
    except Exception as error:  # onnxruntime's errors derive from Exception only
        raise ModelFileError(f"{source} is not a loadable ONNX model: {first_line(error)}") from None
    return session, source
