"""The timing core: interleaved paired rounds (a slow moment of the machine hits one round's
candidates alike, and their paired ratio cancels most of it), and a speed-up with its interval.
Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_01_train_convert_predict.py`.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.stats import binom

__all__ = [
    "MIN_ROUNDS",
    "PAUSE",
    "QUIET",
    "calibrate",
    "median_interval",
    "paired_rounds",
    "ratio_interval",
    "settle",
    "verdict",
]

#: Rounds needed for a 95% order-statistic interval of a median (1 - 2 / 2**6 > 0.95).
MIN_ROUNDS = 6

#: Idle seconds before each timing, longer while the process burns CPU time (:func:`settle`, up to
#: ``SETTLE`` s): ``InferenceSession(model)``'s pool spins tens of milliseconds after a call, taking a core
#: from what is timed next. ``QUIET`` spans scheduler ticks: Linux counts the CPU time of a thread on
#: another core only at ticks (4 ms at 250 Hz), which a shorter window can miss.
PAUSE, SETTLE, QUIET = 0.002, 0.5, 0.008


def settle(pause: float = PAUSE, limit: float = SETTLE) -> float:
    """Sleep in steps of ``pause`` seconds until this process's threads used under a quarter of the
    last ``QUIET`` seconds (a spinning pool uses all of it), at most ``limit``; returns the seconds."""
    start = time.perf_counter()
    samples = [(start, time.process_time())]
    while True:
        time.sleep(pause)
        now, cpu = time.perf_counter(), time.process_time()
        samples.append((now, cpu))
        then, cpu_then = next((s for s in reversed(samples) if now - s[0] >= QUIET), (now, cpu))
        if (now > then and cpu - cpu_then < (now - then) / 4) or now - start >= limit:
            return now - start


Clock = Callable[[], float]
Function = Callable[[Any], Any]
Interval = tuple[float, float, float]  # (median, low, high)


def _time_calls(function: Function, X: Any, number: int, clock: Clock) -> float:
    """Seconds per call of ``function(X)``, over ``number`` calls, garbage collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        for _ in range(number):
            function(X)
        return (clock() - start) / number
    finally:
        if enabled:
            gc.enable()


def calibrate(function: Function, X: Any, min_time: float, clock: Clock = time.perf_counter) -> int:
    """Calls per timing so that one lasts ``min_time`` s, after a warm-up call; one that seems to fill it
    alone (under 10x over) is timed twice more, the fastest counting: else it would get no warm-up."""
    function(X)  # first calls allocate and fill caches
    seconds = _time_calls(function, X, 1, clock)
    if 0 < min_time <= seconds < 10 * min_time:  # a long call costs little to trust, much to confirm
        seconds = min(seconds, _time_calls(function, X, 1, clock), _time_calls(function, X, 1, clock))
    return max(1, math.ceil(min_time / max(seconds, 1e-9)))


def paired_rounds(
    calls: Sequence[Function],
    X: Any,
    numbers: Sequence[int],
    *,
    min_rounds: int = MIN_ROUNDS,
    max_rounds: int = 100,
    seconds: float = math.inf,
    done: Callable[[np.ndarray], bool] | None = None,
    seed: int = 0,
    pause: float = PAUSE,
    clock: Clock = time.perf_counter,
) -> np.ndarray:
    """Seconds per call, shape ``(rounds, candidates)``, each round timing every candidate once, for
    ``max_rounds``, or ``min_rounds`` and until ``seconds`` pass or ``done(times_so_far)``; an idle
    ``pause`` (seconds, not timed, longer while the process is busy: :func:`settle`) before each timing."""
    rng = np.random.default_rng(seed)
    start = clock()
    rows: list[list[float]] = []
    for _ in range(max_rounds):
        row = [0.0] * len(calls)
        for index in rng.permutation(len(calls)):
            if pause and clock is time.perf_counter:  # a fake clock (a simulation) has no threads
                settle(pause)
                if numbers[index] > 1:  # a short call runs once untimed: the pause cooled the caches
                    calls[index](X)
            row[index] = _time_calls(calls[index], X, numbers[index], clock)
        rows.append(row)
        if len(rows) >= min_rounds and (clock() - start > seconds or (done and done(np.asarray(rows)))):
            break
    return np.asarray(rows)


def median_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """The median of ``values`` and its distribution-free confidence interval ``[x_(k), x_(n-k+1)]``,
    ``k`` the largest rank with ``P(B <= k - 1) <= (1 - confidence) / 2``, ``B ~ Binomial(n, 1/2)``.

    >>> median_interval([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    (5.0, 2.0, 8.0)
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    alpha = (1 - confidence) / 2
    k = int(binom.ppf(alpha, n, 0.5))  # smallest k with P(B <= k) >= alpha
    if k >= 1 and binom.cdf(k - 1, n, 0.5) > alpha:
        k -= 1
    k = max(k, 1)
    return float(np.median(ordered)), float(ordered[k - 1]), float(ordered[n - k])


def ratio_interval(
    baseline: Sequence[float], candidate: Sequence[float], confidence: float = 0.95
) -> Interval:
    """Speed-up from paired timings: the :func:`median_interval` of ``baseline / candidate``."""
    return median_interval(np.asarray(baseline, dtype=float) / np.asarray(candidate, dtype=float), confidence)


def verdict(low: float, high: float, margin: float = 0.05) -> str:
    """``"faster"`` when a speed-up's whole interval is above ``1 + margin``, ``"slower"`` when
    below ``1 / (1 + margin)``, else ``"no clear difference"``.

    >>> verdict(1.2, 1.5), verdict(0.5, 0.9), verdict(0.97, 1.2)
    ('faster', 'slower', 'no clear difference')
    """
    if low > 1 + margin:
        return "faster"
    if high < 1 / (1 + margin):
        return "slower"
    return "no clear difference"
