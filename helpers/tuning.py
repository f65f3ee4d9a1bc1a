"""Find the fastest session settings for one model and one batch size, by measuring.

Introduced in :ref:`sphx_glr_auto_examples_05_benchmarks_plot_02_tuning.py`,
which shows why fixed rules for threads fail and what :func:`tune` finds
instead. The settings it tries are the ``SessionOptions`` that
:func:`helpers.session_options` sets by hand.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

from helpers.predictor import OnnxPredictor, _load_bytes
from helpers.timing import _time_calls, take_rows

__all__ = ["Setting", "TuningResult", "tune"]

_MODES = {"sequential": ort.ExecutionMode.ORT_SEQUENTIAL, "parallel": ort.ExecutionMode.ORT_PARALLEL}
_LEVELS = {
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
            "execution_mode": _MODES[self.mode],
            "graph_optimization_level": _LEVELS[self.optimization],
            "allow_spinning": self.spinning,
        }

    @property
    def label(self) -> str:
        """A short description, e.g. ``'1 thread, sequential, opt all, no spinning'``."""
        threads = f"{self.threads} thread" + "s" * (self.threads > 1) if self.threads else "default threads"
        spinning = "spinning" if self.spinning else "no spinning"
        return f"{threads}, {self.mode}, opt {self.optimization}, {spinning}"


#: The presets of :data:`helpers.predictor.PRESETS`, as settings, for comparison.
PRESET_SETTINGS = {"latency": Setting(threads=1), "throughput": Setting(threads=0)}


@dataclass
class TuningResult:
    """What :func:`tune` measured and the setting it chose.

    Attributes
    ----------
    best : Setting
        The fastest setting found (ties go to the simpler one, see ``margin`` in :func:`tune`).
    batch_size : int
    measurements : pandas.DataFrame
        One row per setting tried in each round: ``round``, ``knob`` (what the
        round varied), ``setting``, ``median_us``, ``min_us``, ``max_us``,
        ``repeats`` and ``speedup`` against the round's first setting (the best so far).
    final : pandas.DataFrame
        The last round: the chosen setting (``"tuned"``) and both presets,
        interleaved in one run; ``speedup`` is against the latency preset. When
        the chosen setting is a preset's, its row is that preset's, copied.
    seconds : float
        Time the tuning took, session creation included.
    """

    best: Setting
    batch_size: int
    measurements: pd.DataFrame
    final: pd.DataFrame
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def options(self) -> dict[str, Any]:
        """The chosen setting as ``SessionOptions`` keyword arguments (see :meth:`Setting.options`)."""
        return self.best.options()

    def speedup(self, baseline: str = "latency") -> float:
        """How many times faster the chosen setting was than a preset, in the final round."""
        if baseline not in PRESET_SETTINGS:
            raise ValueError(f"baseline must be one of {sorted(PRESET_SETTINGS)}, got {baseline!r}")
        times = self.final.set_index("setting")["median_us"]
        return float(times[f"preset {baseline}"] / times["tuned"])

    def to_frame(self) -> pd.DataFrame:
        """Every measurement: the rounds, then the final comparison with the presets."""
        final = self.final.assign(round="final", knob="presets")
        return pd.concat([self.measurements, final], ignore_index=True)

    def _summary(self) -> str:
        return (
            f"best for {self.batch_size:,} row(s): {self.best.label}; "
            f"{self.speedup('latency'):.2f}x the latency preset, "
            f"{self.speedup('throughput'):.2f}x the throughput preset "
            f"({len(self.measurements)} settings timed in {self.seconds:.1f} s)"
        )

    def __repr__(self) -> str:
        frame = self.to_frame().round({"median_us": 1, "min_us": 1, "max_us": 1, "speedup": 2})
        return f"TuningResult: {self._summary()}\n" + frame.to_string(index=False)

    def _repr_html_(self) -> str:
        formats = {"median_us": "{:.1f}", "min_us": "{:.1f}", "max_us": "{:.1f}", "speedup": "{:.2f}x"}
        styled = self.to_frame().style.format(formats).hide(axis="index")
        return styled.set_caption(escape(self._summary())).to_html()


def _core_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _thread_counts(cores: int) -> list[int]:
    """1, 2, 4, ... up to ``cores``, and ``cores`` itself."""
    counts = [1]
    while counts[-1] * 2 < cores:
        counts.append(counts[-1] * 2)
    return sorted({*counts, cores})


def tune(
    model: onnx.ModelProto | bytes | str | os.PathLike,
    X: Any,
    *,
    batch_size: int = 1,
    budget: float = 3.0,
    threads: Sequence[int] | None = None,
    margin: float = 0.05,
) -> TuningResult:
    """Measure session settings for ``model`` at ``batch_size`` rows and return the fastest.

    One knob at a time, keeping the best so far: intra-op threads (1, 2, 4,
    ... up to the cores this process may use), then spinning (only when the
    best uses more than one thread: a single thread has no pool to spin), then
    sequential against parallel execution, then the graph optimisation level.
    In each round the candidates are timed the way :func:`helpers.benchmark`
    times: interleaved turns (in a new, seeded order each turn), medians of
    repeats. A candidate replaces the best so far only when its median is
    faster by more than ``margin``, so that noise does not buy an extra thread
    or spinning. A final round times the winner against both presets of
    :data:`helpers.predictor.PRESETS` in one run, and has the last word: a
    preset faster than the winner by more than ``margin`` is chosen instead.

    Only ``session.run`` is timed: the batch is converted to the model's input
    type before timing.

    Parameters
    ----------
    model : onnx.ModelProto, bytes, str or path
    X : array or DataFrame
        Rows like the ones to predict; repeated to fill ``batch_size``.
    batch_size : int, default 1
        Rows per call to tune for: the best setting for one row is often not
        the best for ten thousand.
    budget : float, default 3.0
        Seconds for the whole tuning, session creation included, shared by the
        rounds in proportion to their candidates; repeats go on until a round's
        share is spent (up to 50). Each candidate is timed at least three
        times, so a slow model can overrun a tiny budget.
    threads : sequence of int, optional
        Thread counts to try instead of 1, 2, 4, ... cores.
    margin : float, default 0.05
        Relative gain a setting needs to replace the best so far.

    Returns
    -------
    TuningResult

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True)
    >>> onnx_model = convert(LogisticRegression(max_iter=500).fit(X, y), X[:1])
    >>> result = tune(onnx_model, X, batch_size=1, budget=0.5)
    >>> tried = result.measurements[["threads", "mode", "optimization", "spinning"]]
    >>> result.best in {Setting(*row) for row in tried.itertuples(index=False)}
    True
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if budget <= 0:
        raise ValueError(f"budget must be positive (seconds), got {budget}")
    start = time.perf_counter()
    content, _ = _load_bytes(model)
    thread_counts = list(threads) if threads is not None else _thread_counts(_core_count())
    if not thread_counts or min(thread_counts) < 1:
        raise ValueError(f"threads must be positive counts, got {thread_counts}")

    predictors: dict[Setting, OnnxPredictor] = {}

    def run_for(setting: Setting) -> Any:
        if setting not in predictors:
            predictors[setting] = OnnxPredictor(content, preset=None, **setting.options())
            predictors[setting].session.run(names, feed)  # warm-up: the first run allocates
        return predictors[setting].session.run

    best = Setting(threads=thread_counts[0])
    first = OnnxPredictor(content, preset=None, **best.options())
    feed = first._feed(take_rows(X, batch_size))  # the checked, converted batch: not timed
    names = [first.output_names[0]]

    rounds = [
        ("threads", lambda b: [replace(b, threads=t) for t in thread_counts]),
        ("spinning", lambda b: [replace(b, spinning=True)] if b.threads > 1 else []),
        ("mode", lambda b: [replace(b, mode="parallel")]),
        ("optimization", lambda b: [replace(b, optimization=o) for o in _LEVELS if o != "all"]),
    ]
    planned = len(thread_counts) + 2 + 2 + 3 + 3  # timings per round, the final one included
    frames = []
    for number, (knob, challengers_of) in enumerate(rounds, start=1):
        candidates = list(dict.fromkeys([best, *challengers_of(best)]))  # the best so far first
        if len(candidates) == 1:
            planned -= 2
            continue
        share = (budget - (time.perf_counter() - start)) * len(candidates) / planned
        planned -= len(candidates)
        frame = _time_settings([s.label for s in candidates], candidates, run_for, names, feed, share)
        frames.append(frame.assign(round=number, knob=knob))
        medians = dict(zip(candidates, frame.median_us, strict=True))
        fastest = min(candidates, key=medians.__getitem__)
        if medians[fastest] < medians[best] * (1 - margin):
            best = fastest
    columns = ["round", "knob", "setting", *_COLUMNS]
    measurements = pd.concat(frames, ignore_index=True)[columns]

    # the winner against both presets in one run; a winner equal to a preset is not timed twice
    final_settings = {
        "preset latency": PRESET_SETTINGS["latency"],
        "preset throughput": PRESET_SETTINGS["throughput"],
    }
    if best not in final_settings.values():
        final_settings["tuned"] = best
    final = _time_settings(
        list(final_settings),
        list(final_settings.values()),
        run_for,
        names,
        feed,
        budget - (time.perf_counter() - start),
    )
    if "tuned" not in final_settings:
        same = next(label for label, setting in final_settings.items() if setting == best)
        final = pd.concat([final, final[final.setting == same].assign(setting="tuned")], ignore_index=True)
    else:  # the final round has the last word: a preset faster by more than the margin wins
        medians = dict(zip(final.setting, final.median_us, strict=True))
        fastest = min(medians, key=medians.__getitem__)
        if medians[fastest] < medians["tuned"] * (1 - margin):
            best = final_settings[fastest]
            final = pd.concat(
                [final[final.setting != "tuned"], final[final.setting == fastest].assign(setting="tuned")],
                ignore_index=True,
            )
    return TuningResult(
        best=best,
        batch_size=int(batch_size),
        measurements=measurements,
        final=final,
        seconds=time.perf_counter() - start,
    )


_MIN_REPEAT = 3
_MAX_REPEAT = 50
_MIN_TIME = 0.002  # seconds one timing lasts at least: calls are looped to fill it
_TIMES = ["median_us", "min_us", "max_us", "repeats", "speedup"]
_COLUMNS = [*_TIMES, "threads", "mode", "optimization", "spinning"]


def _time_settings(
    labels: list[str],
    settings: list[Setting],
    run_for: Any,
    names: list[str],
    feed: dict[str, np.ndarray],
    seconds: float,
) -> pd.DataFrame:
    """Time ``session.run(names, feed)`` for each setting: interleaved turns, as :func:`helpers.benchmark`.

    Unlike ``benchmark``, sessions are warmed up once, when created, and one
    calibration serves the whole round: at 10,000 rows of a forest every call counts.
    """
    start = time.perf_counter()
    runs = [run_for(setting) for setting in settings]
    calls = [lambda _, run=run: run(names, feed) for run in runs]
    number = max(1, math.ceil(_MIN_TIME / max(_time_calls(calls[0], None, 1), 1e-9)))
    timings: list[list[float]] = [[] for _ in calls]
    for turn in range(_MAX_REPEAT):
        # a new, seeded order every turn: a burst of other work that recurs with the
        # period of the turns would otherwise hit the same candidate every time
        for index in np.random.default_rng(turn).permutation(len(calls)):
            timings[index].append(_time_calls(calls[index], None, number))
        if turn + 1 >= _MIN_REPEAT and time.perf_counter() - start > seconds:
            break
    times = [np.asarray(t) * 1e6 for t in timings]
    medians = [float(np.median(t)) for t in times]
    frame = pd.DataFrame(
        {
            "setting": labels,
            "median_us": medians,
            "min_us": [t.min() for t in times],
            "max_us": [t.max() for t in times],
            "repeats": [len(t) for t in times],
            "speedup": [medians[0] / m for m in medians],
        }
    )
    return pd.concat([frame, pd.DataFrame([vars(setting) for setting in settings])], axis=1)
