"""The session settings :func:`helpers.tune` tries, one value of each knob per :class:`Setting`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import onnxruntime as ort

from helpers.session import PRESETS

__all__ = ["LEVELS", "MODES", "PRESET_SETTINGS", "Setting"]

MODES = {"sequential": ort.ExecutionMode.ORT_SEQUENTIAL, "parallel": ort.ExecutionMode.ORT_PARALLEL}
LEVELS = {
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


@dataclass(frozen=True)
class Setting:
    """One combination of the session settings :func:`tune` tries.

    Attributes
    ----------
    threads : int
        ``intra_op_num_threads``; 0 is onnxruntime's default (one per physical core).
    mode : {"sequential", "parallel"}
        ``execution_mode``: parallel runs independent branches of the graph at once.
    optimization : {"basic", "extended", "all"}
        ``graph_optimization_level``.
    spinning : bool
        ``session.intra_op.allow_spinning``: idle pool threads busy-wait instead of sleeping.

    Examples
    --------
    >>> Setting(threads=2).options()["intra_op_num_threads"]
    2
    >>> Setting(threads=2, spinning=True).label
    '2 threads, sequential, opt all, spinning'
    """

    threads: int = 1
    mode: str = "sequential"
    optimization: str = "all"
    spinning: bool = False

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``session_options(None, ...)`` and ``OnnxPredictor(..., preset=None)``."""
        return {
            "intra_op_num_threads": self.threads,
            "inter_op_num_threads": 1 if self.mode == "sequential" else 0,
            "execution_mode": MODES[self.mode],
            "graph_optimization_level": LEVELS[self.optimization],
            "allow_spinning": self.spinning,
        }

    @property
    def label(self) -> str:
        """A short description, e.g. ``'1 thread, sequential, opt all, no spinning'``."""
        threads = f"{self.threads} thread" + "s" * (self.threads > 1) if self.threads else "default threads"
        spinning = "spinning" if self.spinning else "no spinning"
        return f"{threads}, {self.mode}, opt {self.optimization}, {spinning}"


#: The presets of :data:`helpers.PRESETS`, as settings (read from them, so the two cannot drift apart).
PRESET_SETTINGS = {
    name: Setting(threads=preset["intra_op_num_threads"], spinning=preset["allow_spinning"])
    for name, preset in PRESETS.items()
}
