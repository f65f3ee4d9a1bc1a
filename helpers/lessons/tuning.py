"""Find the fastest session settings for one model and one batch size, by measuring.

Introduced in :ref:`sphx_glr_auto_examples_05_benchmarks_plot_02_tuning.py`,
which shows why fixed rules for threads fail and what :func:`tune` finds
instead. The settings it tries are the ``SessionOptions`` that
:func:`helpers.session_options` sets by hand, and the row-parallel path of
:mod:`helpers.parallel` (rows split over workers, each chunk on a one-thread
session), measured in :ref:`cores_and_batch_size`; the timings and decisions come
from :mod:`helpers.timing`: a setting wins only when its whole confidence
interval clears the margin, never on a lucky round.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from helpers.benchmark import take_rows
from helpers.display import format_ratio, html_table
from helpers.inputs import InputSpec
from helpers.lessons.settings import LEVELS, PRESET_SETTINGS, Setting, preset_setting
from helpers.machine import usable_cpus
from helpers.modelfile import ModelSource, model_bytes
from helpers.outputs import OutputSpec
from helpers.parallel import MIN_CHUNK_ROWS, RowSplitter, prefers_row_split
from helpers.session import create_session, preset_for, session_options
from helpers.timing import MIN_ROUNDS, calibrate, median_interval, paired_rounds, ratio_interval, verdict

__all__ = ["TuningResult", "tune"]

_COLUMNS = ["setting", "rounds", "median_us", "speedup", "speedup_low", "speedup_high", "verdict"]
_FORMATS = {"median_us": "{:,.1f}", **dict.fromkeys(["speedup", "speedup_low", "speedup_high"], format_ratio)}


@dataclass
class TuningResult:
    """What :func:`tune` measured and the setting it chose.

    ``best`` is the starting preset's setting (``start``, from :func:`helpers.session.preset_for`)
    unless another was faster beyond the margin; ``presets`` are the presets as they apply to
    this model. ``measurements``: one row per setting and round (median time per call and its 95%
    interval, speed-up against the round's first setting, the setting's fields); ``final``: the
    choice and every preset in one run, against the start; ``notes``: warnings; ``seconds``: all.
    """

    best: Setting
    start: str
    batch_size: int
    measurements: pd.DataFrame
    final: pd.DataFrame
    seconds: float
    presets: dict[str, Setting] = field(default_factory=lambda: dict(PRESET_SETTINGS))
    notes: list[str] = field(default_factory=list)

    @property
    def options(self) -> dict[str, Any]:
        """The chosen setting as ``SessionOptions`` keyword arguments (see :meth:`Setting.options`)."""
        return self.best.options()

    @property
    def predictor_options(self) -> dict[str, Any]:
        """The chosen setting as ``OnnxPredictor(..., preset=None)`` keyword arguments, rows included."""
        return self.best.predictor_options()

    @property
    def tried(self) -> set[Setting]:
        """Every setting that was timed."""
        rows = self.measurements[list(Setting.__dataclass_fields__)].itertuples(index=False)
        return {Setting(*row) for row in rows} | {self.presets[self.start]}

    @property
    def decided(self) -> bool:
        """True when a setting beat the starting preset beyond noise; False: "no clear winner"."""
        return self.best != self.presets[self.start]

    def speedup(self, baseline: str = "latency") -> float:
        """How many times faster the chosen setting was than a preset, in the final round."""
        if baseline not in self.presets:
            raise ValueError(f"baseline must be one of {sorted(self.presets)}, got {baseline!r}")
        times = self.final.set_index("setting")["median_us"]
        return float(times[f"preset {baseline}"] / times["tuned"])

    def to_frame(self) -> pd.DataFrame:
        """Every measurement: the rounds, then the final comparison with the presets."""
        final = self.final.assign(round="final", knob="presets")
        return pd.concat([self.measurements, final], ignore_index=True)

    def _summary(self) -> str:
        choice = self.best.label if self.decided else f"no clear winner: the {self.start} preset stays"
        return (
            f"best for {self.batch_size:,} row(s): {choice} "
            f"({len(self.measurements)} settings timed in {self.seconds:.1f} s)"
        ) + "".join(f"; WARNING: {note}" for note in self.notes)

    def __repr__(self) -> str:
        formatters = {k: (f if callable(f) else f.format) for k, f in _FORMATS.items()}
        frame = self.to_frame()[["round", "knob", *_COLUMNS]]
        return f"TuningResult: {self._summary()}\n" + frame.to_string(index=False, formatters=formatters)

    def _repr_html_(self) -> str:
        return html_table(self.to_frame()[["round", "knob", *_COLUMNS]], _FORMATS, self._summary())


def _thread_counts(cores: int) -> list[int]:
    """1, 2, 4, ... up to ``cores``, and ``cores`` itself."""
    counts = [1]
    while counts[-1] * 2 < cores:
        counts.append(counts[-1] * 2)
    return sorted({*counts, cores})


class _Timer:
    """Times ``session.run`` (the public call), split by rows or not, one session per session setting."""

    def __init__(self, content: bytes, X: Any, batch_size: int, margin: float) -> None:
        self.content, self.margin = content, margin
        first, _ = create_session(content, session_options("latency"))
        self.feed = InputSpec.from_session(first).feed(take_rows(X, batch_size))  # checked, not timed
        self.names = [OutputSpec.from_session(first).value_name]
        self.sessions: dict[Setting, Any] = {}
        self.splitters: list[RowSplitter] = []
        self.calls: dict[Setting, Any] = {}
        self.numbers: dict[Setting, int] = {}

    def call(self, setting: Setting) -> Any:
        if setting not in self.calls:
            own = replace(setting, row_workers=1, chunk_rows=0)  # the session's settings alone
            if own not in self.sessions:
                self.sessions[own], _ = create_session(self.content, session_options(None, **own.options()))
            run = self.sessions[own].run
            if setting.row_workers > 1:
                splitter = RowSplitter(setting.row_workers, chunk_rows=setting.chunk_rows or None)
                self.splitters.append(splitter)
                self.calls[setting] = lambda _: splitter.run(lambda chunk: run(self.names, chunk), self.feed)
            else:
                self.calls[setting] = lambda _: run(self.names, self.feed)
            self.numbers[setting] = calibrate(self.calls[setting], None, 0.002)
        return self.calls[setting]

    def close(self) -> None:
        for splitter in self.splitters:
            splitter.close()

    def compare(self, labels: list[str], settings: list[Setting], seconds: float) -> pd.DataFrame:
        """Interleaved paired rounds; speed-ups and verdicts against the first setting."""
        calls = [self.call(s) for s in settings]
        times = paired_rounds(
            calls, None, [self.numbers[s] for s in settings], min_rounds=MIN_ROUNDS + 4, seconds=seconds
        )
        rows = []
        for index, label in enumerate(labels):
            speedup, low, high = ratio_interval(times[:, 0], times[:, index])
            median, median_low, median_high = median_interval(times[:, index] * 1e6)
            judged = "baseline" if index == 0 else verdict(low, high, self.margin)
            rows.append(
                {"setting": label, "rounds": len(times), "median_us": median, "median_low_us": median_low}
                | {"median_high_us": median_high, "speedup": speedup, "speedup_low": low}
                | {"speedup_high": high, "verdict": judged}
            )
        return pd.concat([pd.DataFrame(rows), pd.DataFrame([vars(s) for s in settings])], axis=1)


def tune(
    model: ModelSource,
    X: Any,
    *,
    batch_size: int = 1,
    budget: float = 3.0,
    threads: Sequence[int] | None = None,
    margin: float = 0.05,
) -> TuningResult:
    """Measure settings for ``model`` at ``batch_size`` rows and return the fastest.

    The search starts from the preset for the batch size (:func:`helpers.session.preset_for`, as
    it applies to this model: :func:`helpers.lessons.settings.preset_setting`) and changes one
    knob at a time: intra-op threads (1, 2, 4, ... up to the usable CPUs) or, from
    ``2 * MIN_CHUNK_ROWS`` rows on, rows split over as many workers on a one-thread session
    (:mod:`helpers.parallel`); then, for a split, smaller chunks (four per worker); then spinning
    on or off (only with a pool); then parallel execution; then the optimisation level. Each
    round times the best so far and its challengers in interleaved paired rounds
    (:mod:`helpers.timing`); a challenger wins only when its whole 95% interval is above
    ``1 + margin``. A final round times the choice, every preset, and the starting preset a
    second time as a control; a preset faster beyond the margin than a kept start is chosen.
    ``notes`` warns when the control (the same session twice a round: a drift hits both) is not
    "no clear difference", or when the start's median times in the first and the final round have
    disjoint 95% intervals (the machine drifted: paired speed-ups hold, times do not compare).
    When nothing cleared the margin the result says "no clear winner".

    Only the public ``session.run`` is timed (split over threads for a row
    split), on a batch converted to the model's input type before timing.
    ``X`` is repeated to fill ``batch_size`` rows; ``budget`` seconds are shared by
    the rounds (each comparison runs at least 10 rounds, so a slow model can overrun
    a tiny budget); ``threads`` replaces the counts 1, 2, 4, ... CPUs; ``margin`` is
    the gain a setting needs, beyond its interval, to replace the best so far.

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True)
    >>> onnx_model = convert(LogisticRegression(max_iter=500).fit(X, y), X[:1])
    >>> result = tune(onnx_model, X, batch_size=1, budget=0.5)
    >>> result.best in result.tried
    True
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if not budget > 0:
        raise ValueError(f"budget must be positive (seconds), got {budget}")
    start = time.perf_counter()
    content, _ = model_bytes(model)
    thread_counts = list(threads) if threads is not None else _thread_counts(usable_cpus())
    if not thread_counts or min(thread_counts) < 1:
        raise ValueError(f"threads must be positive counts, got {thread_counts}")
    timer = _Timer(content, X, int(batch_size), margin)
    first = preset_for(batch_size)
    split, cpus = prefers_row_split(content), usable_cpus()
    presets = {name: preset_setting(name, row_split=split, cpus=cpus) for name in PRESET_SETTINGS}
    best = presets[first]
    workers = [w for w in thread_counts if w > 1] if batch_size >= 2 * MIN_CHUNK_ROWS else []

    def cores(b: Setting) -> list[Setting]:
        pool = [replace(b, threads=t, row_workers=1, spinning=b.spinning and t != 1) for t in thread_counts]
        return [replace(s, chunk_rows=0) for s in pool] + [
            replace(b, threads=1, row_workers=w, chunk_rows=0, spinning=False) for w in workers
        ]

    def chunks(b: Setting) -> list[Setting]:
        return (
            [replace(b, chunk_rows=math.ceil(batch_size / (4 * b.row_workers)))] if b.row_workers > 1 else []
        )

    rounds = [
        ("threads or rows", cores),
        ("chunks", chunks),
        ("spinning", lambda b: [replace(b, spinning=not b.spinning)] if b.threads != 1 else []),
        ("mode", lambda b: [replace(b, mode="parallel")]),
        ("optimization", lambda b: [replace(b, optimization=o) for o in LEVELS if o != "all"]),
    ]
    planned = len(thread_counts) + len(workers) + 1 + 2 + 2 + 2 + 3 + 4  # timings, the final's too
    frames = []
    for number, (knob, challengers_of) in enumerate(rounds, start=1):
        candidates = list(dict.fromkeys([best, *challengers_of(best)]))  # the best so far first
        if len(candidates) == 1:
            continue
        share = (budget - (time.perf_counter() - start)) * len(candidates) / max(planned, 1)
        planned -= len(candidates)
        frame = timer.compare([s.label for s in candidates], candidates, share)
        frames.append(frame.assign(round=number, knob=knob))
        winners = frame[frame.verdict == "faster"]
        if len(winners):
            best = candidates[int(winners.speedup_low.idxmax())]
    measurements = pd.concat(frames, ignore_index=True)
    # the choice and every preset in one interleaved run, against the starting preset
    finalists = {f"preset {first}": presets[first]}
    for name, setting in presets.items():
        if setting not in finalists.values():
            finalists.setdefault(f"preset {name}", setting)
    if best not in finalists.values():
        finalists["tuned"] = best
    control = f"preset {first} (control)"  # the start again: anything but "no clear difference" is drift
    left = budget - (time.perf_counter() - start)
    final = timer.compare([*finalists, control], [*finalists.values(), presets[first]], left)
    timer.close()
    notes = []
    drift = final.set_index("setting").loc[control]
    if drift.verdict != "no clear difference":
        interval = f"{drift.speedup:.2f}x [{drift.speedup_low:.2f}, {drift.speedup_high:.2f}]"
        notes.append(f"the {first} preset against itself in the same rounds: {interval}: unsteady, rerun it")
    ends = measurements.iloc[0], final.iloc[0]  # the start, in the first and the final round
    if max(e.median_low_us for e in ends) > min(e.median_high_us for e in ends):  # disjoint intervals
        a, b = (f"{e.median_us:,.1f} µs [{e.median_low_us:,.1f}, {e.median_high_us:,.1f}]" for e in ends)
        notes.append(f"the {first} preset took {a} in round 1, {b} in the final: the machine drifted")
    final = final[final.setting != control]
    if best == presets[first]:  # the search kept the start: the other preset may still be faster
        faster = final[final.verdict == "faster"]
        if len(faster):
            best = finalists[faster.loc[faster.speedup_low.idxmax(), "setting"]]
    for name, setting in presets.items():  # a preset equal to another (one CPU): its row, not a second timing
        if f"preset {name}" not in finalists:
            same = next(label for label, other in finalists.items() if other == setting)
            final = pd.concat([final, final[final.setting == same].assign(setting=f"preset {name}")])
    if "tuned" not in finalists:  # the choice is a preset: its row, not a second timing
        same = next(label for label, setting in finalists.items() if setting == best)
        final = pd.concat([final, final[final.setting == same].assign(setting="tuned")], ignore_index=True)
    return TuningResult(
        best=best,
        start=first,
        batch_size=int(batch_size),
        measurements=measurements,
        final=final.reset_index(drop=True),
        seconds=time.perf_counter() - start,
        presets=presets,
        notes=notes,
    )
