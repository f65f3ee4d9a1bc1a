"""Time prediction functions fairly: interleaved, repeated, medians, ratios.

Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`;
the walkthrough before it times by hand with :mod:`timeit` the same way.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["BenchmarkResult", "benchmark", "take_rows"]


def take_rows(X: Any, n_rows: int) -> Any:
    """The first ``n_rows`` rows of ``X``, repeating ``X`` when it is shorter.

    Returns a C-contiguous copy (or a fresh DataFrame), made here so that
    the copy is not part of any timing.

    Examples
    --------
    >>> import numpy as np
    >>> take_rows(np.arange(6).reshape(3, 2), 4)
    array([[0, 1],
           [2, 3],
           [4, 5],
           [0, 1]])
    """
    if len(X) == 0:
        raise ValueError("X has no rows to take")
    index = np.arange(n_rows) % len(X)
    if isinstance(X, pd.DataFrame):
        return X.iloc[index].reset_index(drop=True)
    return np.ascontiguousarray(np.asarray(X)[index])


@dataclass
class BenchmarkResult:
    """Seconds per call of each candidate at each batch size.

    Attributes
    ----------
    timings : dict
        ``{(candidate, batch_size): [seconds per call, one value per repeat]}``.
    candidates : list of str
        In the order given; the first is the baseline of :meth:`speedup`.
    batch_sizes : list of int
    """

    timings: dict[tuple[str, int], list[float]]
    candidates: list[str]
    batch_sizes: list[int]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> str:
        """The candidate the speed-ups are measured against (the first one)."""
        return self.candidates[0]

    def median(self, candidate: str, batch_size: int) -> float:
        """Median seconds per call."""
        return float(np.median(self.timings[candidate, batch_size]))

    def speedup(self, candidate: str, batch_size: int, baseline: str | None = None) -> float:
        """How many times faster ``candidate`` is than the baseline (ratio of medians).

        Above 1: faster than the baseline; below 1: slower.
        """
        return self.median(baseline or self.baseline, batch_size) / self.median(candidate, batch_size)

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate and batch size: times in microseconds and the speed-up."""
        rows = []
        for batch_size in self.batch_sizes:
            for candidate in self.candidates:
                times = np.asarray(self.timings[candidate, batch_size]) * 1e6
                rows.append(
                    {
                        "candidate": candidate,
                        "batch_size": batch_size,
                        "repeats": len(times),
                        "median_us": np.median(times),
                        "min_us": times.min(),
                        "max_us": times.max(),
                        "per_row_us": np.median(times) / batch_size,
                        "speedup": self.speedup(candidate, batch_size),
                    }
                )
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        frame = self.to_frame().round(
            {"median_us": 1, "min_us": 1, "max_us": 1, "per_row_us": 3, "speedup": 2}
        )
        return (
            f"BenchmarkResult (speed-up against {self.baseline!r}, {self.seconds:.1f} s)\n"
            + frame.to_string(index=False)
        )

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        styled = frame.style.format(
            {
                "median_us": "{:.1f}",
                "min_us": "{:.1f}",
                "max_us": "{:.1f}",
                "per_row_us": "{:.3f}",
                "speedup": "{:.2f}x",
            }
        ).hide(axis="index")
        return styled.set_caption(f"speed-up against {self.baseline!r}").to_html()

    def plot(self, kind: str = "latency", ax: Any = None, title: str | None = None) -> Any:
        """Plot the result and return the matplotlib ``Axes``.

        Parameters
        ----------
        kind : {"latency", "per_row", "speedup"}
            ``"latency"``: median time per call against batch size, with the
            min-max range shaded; ``"per_row"``: the same divided by the batch
            size; ``"speedup"``: each candidate's speed-up against the baseline.
        ax : matplotlib Axes, optional
        title : str, optional
        """
        import matplotlib.pyplot as plt

        if kind not in ("latency", "per_row", "speedup"):
            raise ValueError(f"kind must be 'latency', 'per_row' or 'speedup', got {kind!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        sizes = np.asarray(self.batch_sizes)
        for index, candidate in enumerate(self.candidates):
            color = f"C{index}"  # the same colour for a candidate in every kind of plot
            if kind == "speedup":
                if candidate == self.baseline:
                    continue
                values = [self.speedup(candidate, b) for b in self.batch_sizes]
                ax.plot(sizes, values, marker="o", label=candidate, color=color)
                continue
            scale = 1e6 / (sizes if kind == "per_row" else 1)
            times = [np.asarray(self.timings[candidate, b]) for b in self.batch_sizes]
            medians = np.array([np.median(t) for t in times]) * scale
            low = np.array([t.min() for t in times]) * scale
            high = np.array([t.max() for t in times]) * scale
            ax.plot(sizes, medians, marker="o", label=candidate, color=color)
            ax.fill_between(sizes, low, high, color=color, alpha=0.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch size (rows per call)")
        if kind == "speedup":
            ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
            ax.set_ylabel(f"speed-up against {self.baseline} (x)")
        else:
            ax.set_ylabel("time per row (µs)" if kind == "per_row" else "time per call (µs)")
        ax.set_title(title or ("Speed-up" if kind == "speedup" else "Latency") + " by batch size")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend()
        return ax


def _time_calls(function: Callable[[Any], Any], X: Any, number: int) -> float:
    """Seconds per call of ``function(X)``, over ``number`` calls, garbage collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            function(X)
        return (time.perf_counter() - start) / number
    finally:
        if enabled:
            gc.enable()


def benchmark(
    candidates: Mapping[str, Callable[[Any], Any]],
    X: Any,
    *,
    batch_sizes: Sequence[int] = (1, 100, 10_000),
    repeat: int = 7,
    min_repeat: int = 3,
    budget: float | None = 10.0,
    min_time: float = 0.005,
) -> BenchmarkResult:
    """Time each candidate on batches of ``X``, interleaved and repeated.

    For each batch size, the batch is prepared once, outside the timing
    (see :func:`take_rows`), then each candidate is warmed up and timed in
    turn; the turns are repeated, rotating which candidate goes first, so that
    a slow moment of the machine hits every candidate alike. One timing is
    the mean of as many calls as fill ``min_time`` seconds; the result keeps
    every timing, so medians and spreads come from repeats.

    Parameters
    ----------
    candidates : mapping of name to callable
        Each callable takes a batch and predicts, e.g.
        ``{"scikit-learn": model.predict_proba, "onnxruntime": predictor.predict_proba}``.
        The first is the baseline for speed-ups.
    X : array or DataFrame
        Rows to predict; repeated when a batch size is larger.
    batch_sizes : sequence of int
    repeat : int, default 7
        Timings per candidate and batch size, at most.
    min_repeat : int, default 3
        Timings per candidate and batch size, at least, whatever the budget.
    budget : float or None, default 10
        Seconds for the whole benchmark, shared equally by the batch sizes;
        repeats stop early (after ``min_repeat``) when a share is spent.
        None: no limit.
    min_time : float, default 0.005
        Seconds one timing lasts at least (calls are looped to fill it).

    Returns
    -------
    BenchmarkResult

    Examples
    --------
    >>> import numpy as np
    >>> X = np.ones((10, 3))
    >>> result = benchmark({"sum": np.sum, "mean": np.mean}, X, batch_sizes=(1, 10), budget=1)
    >>> sorted(result.to_frame().columns)[:3]
    ['batch_size', 'candidate', 'max_us']
    """
    if not candidates:
        raise ValueError("give at least one candidate")
    if min_repeat < 1 or repeat < min_repeat:
        raise ValueError(f"need 1 <= min_repeat <= repeat, got min_repeat={min_repeat}, repeat={repeat}")
    names = list(candidates)
    start = time.perf_counter()
    share = math.inf if budget is None else budget / len(batch_sizes)
    timings: dict[tuple[str, int], list[float]] = {}
    for batch_size in batch_sizes:
        batch = take_rows(X, int(batch_size))
        batch_start = time.perf_counter()
        number = {}
        for name in names:
            candidates[name](batch)  # warm-up: first calls allocate and fill caches
            once = _time_calls(candidates[name], batch, 1)
            number[name] = max(1, math.ceil(min_time / max(once, 1e-9)))
            timings[name, int(batch_size)] = []
        for turn in range(repeat):
            order = names[turn % len(names) :] + names[: turn % len(names)]
            for name in order:
                timings[name, int(batch_size)].append(_time_calls(candidates[name], batch, number[name]))
            if turn + 1 >= min_repeat and time.perf_counter() - batch_start > share:
                break
    return BenchmarkResult(
        timings=timings,
        candidates=names,
        batch_sizes=[int(b) for b in batch_sizes],
        seconds=time.perf_counter() - start,
    )
