"""The settings :func:`helpers.tune` tries, one value of each knob per :class:`Setting`.

Introduced in :ref:`tuning`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import onnxruntime as ort

from helpers.session import PRESETS

__all__ = ["LEVELS", "MODES", "PRESET_SETTINGS", "Setting", "preset_setting"]

MODES = {"sequential": ort.ExecutionMode.ORT_SEQUENTIAL, "parallel": ort.ExecutionMode.ORT_PARALLEL}
LEVELS = {
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


@dataclass(frozen=True)
class Setting:
    """One combination of the settings :func:`tune` tries.

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
    row_workers : int
        Chunks of rows run at once on the session (:mod:`helpers.parallel`);
        1: no split. More than 1 needs ``threads=1``: never both kinds of threads.
    chunk_rows : int
        Rows per chunk; 0: an even split, one chunk per worker.

    Examples
    --------
    >>> Setting(threads=2).options()["intra_op_num_threads"]
    2
    >>> Setting(threads=2, spinning=True).label
    '2 threads, sequential, opt all, spinning'
    >>> Setting(row_workers=4).label
    'rows split over 4 workers, sequential, opt all, no spinning'
    """

    threads: int = 1
    mode: str = "sequential"
    optimization: str = "all"
    spinning: bool = False
    row_workers: int = 1
    chunk_rows: int = 0

    def __post_init__(self) -> None:
        if self.row_workers > 1 and self.threads != 1:
            raise ValueError(
                f"row_workers={self.row_workers} runs chunks on one-thread sessions, "
                f"got threads={self.threads}: never both kinds of threads at once"
            )

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``session_options(None, ...)``: the session's own settings."""
        return {
            "intra_op_num_threads": self.threads,
            "inter_op_num_threads": 1 if self.mode == "sequential" else 0,
            "execution_mode": MODES[self.mode],
            "graph_optimization_level": LEVELS[self.optimization],
            "allow_spinning": self.spinning,
        }

    def predictor_options(self) -> dict[str, Any]:
        """Keyword arguments for ``OnnxPredictor(..., preset=None)``: the session's and the rows'."""
        return {**self.options(), "row_workers": self.row_workers, "chunk_rows": self.chunk_rows or None}

    @property
    def label(self) -> str:
        """A short description, e.g. ``'1 thread, sequential, opt all, no spinning'``."""
        if self.row_workers > 1:
            chunks = f" in chunks of {self.chunk_rows:,} rows" if self.chunk_rows else ""
            threads = f"rows split over {self.row_workers} workers{chunks}"
        elif self.threads:
            threads = f"{self.threads} thread" + "s" * (self.threads > 1)
        else:
            threads = "default threads"
        spinning = "spinning" if self.spinning else "no spinning"
        return f"{threads}, {self.mode}, opt {self.optimization}, {spinning}"


#: The presets of :data:`helpers.session.PRESETS`, as settings (read from them, so the two cannot drift
#: apart), for a graph without a tree ensemble; :func:`preset_setting` gives a model's own.
PRESET_SETTINGS = {
    name: Setting(threads=preset.get("intra_op_num_threads", 0), spinning=preset.get("allow_spinning", True))
    for name, preset in PRESETS.items()
}


def preset_setting(preset: str, *, row_split: bool, cpus: int) -> Setting:
    """A preset as a :class:`Setting` for one model: the throughput preset of a tree
    ensemble splits rows over ``cpus`` workers (see :data:`helpers.session.PRESETS`).

    Examples
    --------
    >>> preset_setting("throughput", row_split=True, cpus=8).label
    'rows split over 8 workers, sequential, opt all, no spinning'
    >>> preset_setting("throughput", row_split=False, cpus=8) == PRESET_SETTINGS["throughput"]
    True
    """
    if preset not in PRESET_SETTINGS:
        raise ValueError(f"preset must be one of {sorted(PRESET_SETTINGS)}, got {preset!r}")
    if preset == "throughput" and row_split and cpus > 1:
        return replace(PRESET_SETTINGS[preset], threads=1, row_workers=cpus, spinning=False)  # no pool
    return PRESET_SETTINGS[preset]
