"""Call a session with less Python around it: the only module that touches onnxruntime's
private attributes, each use guarded, with the public API as fallback. Introduced in
:ref:`tuning`; ``benchmarks/one_row.py`` measures what it saves.
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
    """``run(names, feed)`` on a CPU-only session's compiled core (``session._sess``, ``private``:
    True), skipping the Python checks of ``session.run``, which is the fallback."""

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
    """Around a :class:`SessionCall`, one input and one output buffer per thread and batch size,
    bound once: the output buffer is returned, and overwritten by the thread's next such call."""

    def __init__(self, call: SessionCall) -> None:
        self.call = call
        self._local = threading.local()

    def run(self, names: list[str], feed: dict[str, np.ndarray]) -> list[Any]:
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
            binding = self.call.session.io_binding()
            input_value = ort.OrtValue.ortvalue_from_numpy(np.array(X, order="C"))
            binding.bind_ortvalue_input(input_name, input_value)
            binding.bind_ortvalue_output(name, ort.OrtValue.ortvalue_from_numpy(output))  # shares its memory
            bindings[(name, X.shape[0])] = binding, input_value, output
            return [output]
        binding, input_value, output = entry
        input_value.update_inplace(np.ascontiguousarray(X))
        self.call.run_binding(binding)
        return [output]
