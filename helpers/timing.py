"""The timing core: interleaved paired rounds, and a ratio with its confidence interval.

Used by :func:`helpers.benchmark` and :func:`helpers.tune`; the walkthrough
(:ref:`sphx_glr_auto_examples_01_walkthrough_plot_01_train_convert_predict.py`)
does the same by hand with :mod:`timeit`.

How a comparison is decided:

1. Each candidate's calls per timing are calibrated so that one timing lasts
   at least ``min_time`` (short calls are looped, the loop's mean is kept).
2. A *round* times every candidate once, in a new shuffled (seeded) order,
   with the garbage collector off. A slow moment of the machine then hits
   the candidates of one round alike, and the ratio of their times in that
   round, the *paired ratio*, cancels most of it.
3. The speed-up of a candidate is the median of its paired ratios against
   the baseline (baseline time / candidate time), and its 95% interval is the
   distribution-free order-statistic interval of that median (from the
   binomial distribution; it needs at least 6 rounds).
4. The verdict comes from the interval and a margin: ``"faster"`` only when
   the whole interval is above ``1 + margin``, ``"slower"`` only when it is
   below ``1 / (1 + margin)``, otherwise ``"no clear difference"``.
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
    "calibrate",
    "median_interval",
    "paired_rounds",
    "ratio_interval",
    "time_calls",
    "verdict",
]

#: Rounds needed for a 95% order-statistic interval of a median (1 - 2 / 2**6 > 0.95).
MIN_ROUNDS = 6

Clock = Callable[[], float]


def time_calls(
    function: Callable[[Any], Any], X: Any, number: int, clock: Clock = time.perf_counter
) -> float:
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


def calibrate(
    function: Callable[[Any], Any], X: Any, min_time: float, clock: Clock = time.perf_counter
) -> int:
    """Calls per timing so that one timing lasts at least ``min_time`` seconds.

    The first call (a warm-up: first calls allocate and fill caches) is not counted.
    """
    function(X)
    once = time_calls(function, X, 1, clock)
    return max(1, math.ceil(min_time / max(once, 1e-9)))


def paired_rounds(
    calls: Sequence[Callable[[Any], Any]],
    X: Any,
    numbers: Sequence[int],
    *,
    min_rounds: int = MIN_ROUNDS,
    max_rounds: int = 100,
    seconds: float = math.inf,
    done: Callable[[np.ndarray], bool] | None = None,
    seed: int = 0,
    clock: Clock = time.perf_counter,
) -> np.ndarray:
    """Seconds per call, shape ``(rounds, candidates)``: each round times every candidate once.

    Rounds stop after ``max_rounds``, or once ``min_rounds`` are done and either
    ``seconds`` have passed or ``done(times_so_far)`` says the answer is precise enough.
    """
    rng = np.random.default_rng(seed)
    start = clock()
    rows: list[list[float]] = []
    for _ in range(max_rounds):
        row = [0.0] * len(calls)
        for index in rng.permutation(len(calls)):
            row[index] = time_calls(calls[index], X, numbers[index], clock)
        rows.append(row)
        if len(rows) >= min_rounds and (
            clock() - start > seconds or (done is not None and done(np.asarray(rows)))
        ):
            break
    return np.asarray(rows)


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """The median of ``values`` and its distribution-free confidence interval.

    The interval is ``[x_(k), x_(n-k+1)]`` of the sorted values, with ``k``
    the largest rank whose binomial tail ``P(B <= k - 1) <= (1 - confidence) / 2``,
    ``B ~ Binomial(n, 1/2)``. With fewer than :data:`MIN_ROUNDS` values no
    such ``k`` exists at 95%: the interval is then the whole range, which
    covers the median with less than the stated confidence.

    Examples
    --------
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
) -> tuple[float, float, float]:
    """Speed-up of ``candidate`` over ``baseline`` from paired timings: median, low, high.

    Each round gives one ratio ``baseline / candidate`` (above 1: the candidate
    was faster); see :func:`median_interval`.
    """
    ratios = np.asarray(baseline, dtype=float) / np.asarray(candidate, dtype=float)
    return median_interval(ratios, confidence)


def verdict(low: float, high: float, margin: float = 0.05) -> str:
    """``"faster"``, ``"slower"`` or ``"no clear difference"``, from a speed-up's interval.

    Examples
    --------
    >>> verdict(1.2, 1.5), verdict(0.5, 0.9), verdict(0.97, 1.2)
    ('faster', 'slower', 'no clear difference')
    """
    if low > 1 + margin:
        return "faster"
    if high < 1 / (1 + margin):
        return "slower"
    return "no clear difference"
