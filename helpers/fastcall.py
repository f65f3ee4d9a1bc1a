"""Call a session with less Python around it: the only module that touches
onnxruntime's private attributes, each use guarded, with the public API as fallback.

Introduced in :ref:`tuning` (its section on the cost of the call itself).

``InferenceSession.run`` re-checks, in Python, things that cannot go wrong
for a CPU session fed one checked numpy array (WebGPU graph capture, missing
inputs, OrtValue ownership, GPU fallback) before it calls the compiled session
it wraps (``session._sess``). :class:`SessionCall` calls that compiled session
directly when it is there and the session is CPU-only, and the public
``session.run`` otherwise. :class:`ReusedBuffers` wraps it and runs through
an ``IOBinding`` per thread and batch size (``reuse_buffers=True`` of
:class:`helpers.OnnxPredictor`). Both are runners, ``run(names, feed)``:
the predictor composes them around its one path.

``benchmarks/one_row.py`` measures what the private path saves against the
public ``session.run`` on the machine that runs it.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import onnxruntime as ort

__all__ = ["MAX_BINDINGS", "ReusedBuffers", "SessionCall"]

#: Bindings kept per thread by :class:`ReusedBuffers` (one per output and batch size).
MAX_BINDINGS = 8


class SessionCall:
    """``run(names, feed)`` on a session, through its compiled core when that is safe.

    Attributes
    ----------
    private : bool
        True when the compiled session (``session._sess``) is called directly.

    Examples
    --------
    >>> class Stand_in:  # a session without the private attribute: the public API is used
    ...     def get_providers(self): return ["CPUExecutionProvider"]
    ...     def run(self, names, feed, run_options=None): return ["public"]
    >>> call = SessionCall(Stand_in())
    >>> call.private, call.run(["y"], {})
    (False, ['public'])
    """

    def __init__(self, session: Any) -> None:
        self.session = session
        self.run_options = ort.RunOptions()  # made once: read-only during runs, so threads share it
        compiled = getattr(session, "_sess", None)
        cpu_only = session.get_providers() == ["CPUExecutionProvider"]
        self.private = bool(cpu_only and hasattr(compiled, "run") and hasattr(compiled, "run_with_iobinding"))
        self._run = compiled.run if self.private else session.run
        self._compiled = compiled if self.private else None

    def run(self, names: list[str], feed: dict[str, np.ndarray]) -> list[Any]:
        """The outputs ``names`` for ``feed``; onnxruntime's exceptions pass through."""
        return self._run(names, feed, self.run_options)

    def run_binding(self, binding: Any) -> None:
        """Run an ``IOBinding``: its compiled binding when reachable, else the public call."""
        inner = getattr(binding, "_iobinding", None)
        if self._compiled is not None and inner is not None:
            self._compiled.run_with_iobinding(inner, self.run_options)
        else:
            self.session.run_with_iobinding(binding, self.run_options)


class ReusedBuffers:
    """Per thread and batch size, one input and one output buffer bound once.

    A runner like :meth:`SessionCall.run`, which it wraps: a call for one
    output of a one-input model copies the batch into the input buffer and
    returns the output buffer itself, overwritten by the next call with the
    same output and number of rows on the same thread (threads never share
    buffers); any other call goes to :meth:`SessionCall.run` unchanged.
    """

    def __init__(self, call: SessionCall) -> None:
        self.call = call
        self._local = threading.local()

    def run(self, names: list[str], feed: dict[str, np.ndarray]) -> list[Any]:
        """The outputs ``names`` for ``feed``; onnxruntime's exceptions pass through."""
        if len(names) != 1 or len(feed) != 1:
            return self.call.run(names, feed)
        bindings = getattr(self._local, "bindings", None)
        if bindings is None:
            bindings = self._local.bindings = {}
        (input_name, X), name = next(iter(feed.items())), names[0]
        entry = bindings.get((name, X.shape[0]))
        if entry is None:
            output = self.call.run(names, feed)[0]
            if not isinstance(output, np.ndarray) or output.dtype.kind not in "fiub":
                return [output]  # a ZipMap or string output cannot be pre-bound: a fresh result
            if len(bindings) >= MAX_BINDINGS:
                bindings.clear()  # batch sizes keep changing: do not hold buffers for all of them
            entry = bindings[(name, X.shape[0])] = self._bind(input_name, name, X, output)
            return [entry[2]]
        binding, input_value, output = entry
        input_value.update_inplace(np.ascontiguousarray(X))
        self.call.run_binding(binding)
        return [output]

    def _bind(
        self, input_name: str, name: str, X: np.ndarray, output: np.ndarray
    ) -> tuple[Any, ort.OrtValue, np.ndarray]:
        binding = self.call.session.io_binding()
        input_value = ort.OrtValue.ortvalue_from_numpy(np.array(X, order="C"))
        binding.bind_ortvalue_input(input_name, input_value)
        binding.bind_ortvalue_output(name, ort.OrtValue.ortvalue_from_numpy(output))  # shares its memory
        return binding, input_value, output
