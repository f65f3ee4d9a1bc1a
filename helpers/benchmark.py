"""Time prediction functions fairly, and say what the timings support (the statistics are in
:mod:`helpers.timing`). Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from helpers.display import format_ratio, html_table
from helpers.timing import MIN_ROUNDS, PAUSE, Interval, calibrate, paired_rounds, ratio_interval, verdict

__all__ = ["BenchmarkResult", "benchmark", "take_rows"]

_FORMATS: dict[str, Callable[[float], str]] = {"median_us": "{:,.1f}".format, "per_row_us": "{:,.3f}".format}
_FORMATS.update(dict.fromkeys(["speedup", "speedup_low", "speedup_high"], format_ratio))


def take_rows(X: Any, n_rows: int) -> Any:
    """The first ``n_rows`` rows of ``X``, repeated when it is shorter, copied here outside any timing.

    >>> take_rows(np.array([[1], [2], [3]]), 5).tolist()
    [[1], [2], [3], [1], [2]]
    """
    if len(X) == 0:
        raise ValueError("X has no rows to take")
    index = np.arange(n_rows) % len(X)
    if isinstance(X, pd.DataFrame):
        return X.iloc[index].reset_index(drop=True)
    return np.ascontiguousarray(np.asarray(X)[index])


@dataclass
class BenchmarkResult:
    """Seconds per call, ``timings[candidate, batch_size]``, one per round (the i-th values of two
    candidates come from the same round); the first candidate is the baseline."""

    timings: dict[tuple[str, int], list[float]]
    candidates: list[str]
    batch_sizes: list[int]
    margin: float = 0.05
    confidence: float = 0.95

    @property
    def baseline(self) -> str:
        """The candidate the speed-ups are measured against (the first one)."""
        return self.candidates[0]

    def median(self, candidate: str, batch_size: int) -> float:
        """Median seconds per call."""
        return float(np.median(self.timings[candidate, batch_size]))

    def interval(self, candidate: str, batch_size: int, baseline: str | None = None) -> Interval:
        """Speed-up of ``candidate`` over the baseline: median of the paired ratios, low, high."""
        base = self.timings[baseline or self.baseline, batch_size]
        return ratio_interval(base, self.timings[candidate, batch_size], self.confidence)

    def speedup(self, candidate: str, batch_size: int, baseline: str | None = None) -> float:
        """How many times faster ``candidate`` is than the baseline (median paired ratio)."""
        return self.interval(candidate, batch_size, baseline)[0]

    def verdict(self, candidate: str, batch_size: int, baseline: str | None = None) -> str:
        """``"faster"``, ``"slower"`` or ``"no clear difference"`` against the baseline."""
        if candidate == (baseline or self.baseline):
            return "baseline"
        _, low, high = self.interval(candidate, batch_size, baseline)
        return verdict(low, high, self.margin)

    def to_frame(self) -> pd.DataFrame:
        """One row per batch size and candidate: times, ``speedup`` (baseline time / candidate
        time), ``speedup_low``, ``speedup_high`` and ``verdict``."""
        keys = [(name, size) for size in self.batch_sizes for name in self.candidates]
        rows = [[*key, len(self.timings[key]), self.median(*key), *self.interval(*key)] for key in keys]
        columns = ["candidate", "batch_size", "rounds", "median_s", "speedup", "speedup_low", "speedup_high"]
        frame = pd.DataFrame(rows, columns=columns)
        frame.insert(4, "median_us", frame.median_s * 1e6)
        frame.insert(5, "per_row_us", frame.median_us / frame.batch_size)
        frame["verdict"] = [self.verdict(*key) for key in keys]
        return frame

    def _caption(self) -> str:
        return (
            f"speed-up against {self.baseline!r} ({self.confidence:.0%} interval; "
            f"verdicts beyond a {self.margin:.0%} margin)"
        )

    def __repr__(self) -> str:
        table = self.to_frame().drop(columns="median_s").to_string(index=False, formatters=_FORMATS)
        return f"BenchmarkResult: {self._caption()}\n{table}"

    def _repr_html_(self) -> str:
        return html_table(self.to_frame().drop(columns="median_s"), _FORMATS, self._caption())

    def plot(self, kind: str = "latency", ax: Any = None, title: str | None = None) -> Any:
        """Plot ``"latency"`` (time per call, quartiles shaded), ``"per_row"`` or ``"speedup"`` (its
        interval shaded) against batch size on ``ax`` (default: a new figure); return the ``Axes``."""
        import matplotlib.pyplot as plt

        labels = {"latency": "time per call (µs)", "per_row": "time per row (µs)"}
        labels["speedup"] = f"speed-up against {self.baseline} (x)"
        if kind not in labels:
            raise ValueError(f"kind must be 'latency', 'per_row' or 'speedup', got {kind!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        sizes = np.asarray(self.batch_sizes)
        scale = 1e6 / (sizes if kind == "per_row" else np.ones(len(sizes)))
        for index, candidate in enumerate(self.candidates):
            if kind != "speedup":  # columns: median, first and third quartiles
                times = [self.timings[candidate, b] for b in self.batch_sizes]
                bands = np.array([np.percentile(t, [50, 25, 75]) for t in times]) * scale[:, None]
            elif candidate != self.baseline:  # columns: speed-up, low, high
                bands = np.array([self.interval(candidate, b) for b in self.batch_sizes])
            else:
                continue
            color = f"C{index}"  # the same colour for a candidate in every kind of plot
            ax.plot(sizes, bands[:, 0], marker="o", label=candidate, color=color)
            ax.fill_between(sizes, bands[:, 1], bands[:, 2], color=color, alpha=0.2)
        if kind == "speedup":
            ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
        ax.set(xscale="log", yscale="log", xlabel="batch size (rows per call)", ylabel=labels[kind])
        ax.set_title(title or ("Speed-up" if kind == "speedup" else "Latency") + " by batch size")
        ax.grid(True, which="major", alpha=0.3)
        for text in [ax.title, ax.yaxis.label, *ax.legend().get_texts()]:  # names may hold "$": no mathtext
            text.set(usetex=False, parse_math=False)
        return ax


def benchmark(
    candidates: Mapping[str, Callable[[Any], Any]],
    X: Any,
    *,
    batch_sizes: Sequence[int] = (1, 100, 10_000),
    repeat: int = 100,
    min_repeat: int = 10,
    budget: float | None = 10.0,
    min_time: float = 0.005,
    margin: float = 0.05,
    confidence: float = 0.95,
    precision: float = 0.02,
    control: bool = False,
    pause: float = PAUSE,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> BenchmarkResult:
    """Time each candidate on batches of ``X`` in interleaved paired rounds (:mod:`helpers.timing`).

    Each batch is prepared outside the timing, each candidate warmed up and calibrated; rounds go on
    until every interval is narrow enough, the ``budget`` is spent, or ``repeat`` rounds are done.

    Parameters
    ----------
    candidates : mapping of name to callable
        Each takes a batch and predicts; the first is the baseline.
    repeat, min_repeat : int
        Rounds per batch size, at most and at least (at least 6, which a 95% interval needs).
    budget, min_time : float
        Seconds for the whole benchmark (None: no limit), and that one timing lasts at least.
    margin, confidence : float
        A verdict needs the whole ``confidence`` interval beyond ``1 + margin`` (or below its inverse).
    precision : float
        Stop once every interval's half-width, relative to its speed-up, is below this.
    control : bool
        Also time the baseline as ``"<baseline> (control)"``, whose verdict shows missed noise.
    pause : float
        Idle seconds before each timing, so that one candidate's spinning threads do not slow
        the next (:data:`helpers.timing.PAUSE`).
    clock : callable
        Read for the timings and the budget (a fake one in tests).

    Examples
    --------
    >>> candidates = {"sum": np.sum, "mean": np.mean}
    >>> result = benchmark(candidates, np.ones((10, 3)), batch_sizes=(1, 10), budget=1)
    >>> list(result.to_frame().columns[-4:])
    ['speedup', 'speedup_low', 'speedup_high', 'verdict']
    """
    if not candidates:
        raise ValueError("give at least one candidate")
    if min_repeat < MIN_ROUNDS or repeat < min_repeat:
        raise ValueError(
            f"need {MIN_ROUNDS} <= min_repeat <= repeat (a 95% interval needs {MIN_ROUNDS} rounds), "
            f"got min_repeat={min_repeat}, repeat={repeat}"
        )
    if control:
        baseline = next(iter(candidates))
        candidates = {**candidates, f"{baseline} (control)": candidates[baseline]}
    names, calls, sizes = list(candidates), list(candidates.values()), [int(b) for b in batch_sizes]
    share = math.inf if budget is None else budget / len(sizes)

    def precise(times: np.ndarray) -> bool:
        intervals = (ratio_interval(times[:, 0], column, confidence) for column in times[:, 1:].T)
        return not any((high - low) / 2 > precision * speedup for speedup, low, high in intervals)

    done = precise if len(calls) > 1 else None
    rounds = dict(min_rounds=min_repeat, max_rounds=repeat, done=done, seed=seed, clock=clock, pause=pause)
    timings: dict[tuple[str, int], list[float]] = {}
    for size in sizes:
        batch = take_rows(X, size)
        start = clock()
        numbers = [calibrate(call, batch, min_time, clock) for call in (calls[:-1] if control else calls)]
        if control:  # the control repeats the baseline exactly, its calls per timing too
            numbers.append(numbers[0])
        times = paired_rounds(calls, batch, numbers, seconds=share - (clock() - start), **rounds)
        timings.update({(name, size): times[:, column].tolist() for column, name in enumerate(names)})
    return BenchmarkResult(timings, names, sizes, margin=margin, confidence=confidence)
