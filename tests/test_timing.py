"""The timing core and helpers.benchmark: paired rounds, intervals, verdicts, and their error rates."""

from __future__ import annotations

import time

import matplotlib
import numpy as np
import pandas as pd
import pytest

import helpers
from helpers.benchmark import take_rows
from helpers.timing import calibrate, median_interval, verdict

matplotlib.use("Agg")


class FakeMachine:
    """A clock and candidates whose call times follow a seeded noise model.

    Each call costs ``base * factor`` seconds, times a per-call jitter
    (log-normal, ``jitter``), times the machine's current slowness: every so
    often a burst of other work (``burst_rate`` per call) makes a stretch of
    calls ``burst`` times slower. Nothing sleeps: the clock only advances.
    """

    def __init__(self, seed, jitter=0.15, burst_rate=0.02, burst=2.5, burst_calls=6):
        self.now = 0.0
        self.rng = np.random.default_rng(seed)
        self.jitter, self.burst_rate, self.burst, self.burst_calls = jitter, burst_rate, burst, burst_calls
        self.slow_for = 0

    def __call__(self):
        return self.now

    def candidate(self, factor, base=1e-3):
        def call(X):
            if self.slow_for == 0 and self.rng.random() < self.burst_rate:
                self.slow_for = self.burst_calls
            slowness = self.burst if self.slow_for else 1.0
            self.slow_for = max(0, self.slow_for - 1)
            self.now += base * factor * slowness * self.rng.lognormal(0.0, self.jitter)

        return call


def _verdicts(factor, trials, **options):
    verdicts = []
    for seed in range(trials):
        machine = FakeMachine(seed)
        result = helpers.benchmark(
            {"baseline": machine.candidate(1.0), "candidate": machine.candidate(factor)},
            np.ones((1, 1)),
            batch_sizes=(1,),
            min_time=0.0,
            budget=None,
            seed=seed,
            clock=machine,
            **options,
        )
        verdicts.append(result.verdict("candidate", 1))
    return verdicts


def test_identical_candidates_rarely_get_a_verdict():
    """Two identical candidates: 'faster' or 'slower' in at most 5% of trials (the target)."""
    verdicts = _verdicts(1.0, trials=200)
    false_rate = sum(v != "no clear difference" for v in verdicts) / len(verdicts)
    assert false_rate <= 0.05, false_rate


def test_a_true_one_and_a_half_difference_is_detected():
    """The same kernel run 3 times against 2 times: 'faster' in at least 95% of trials."""
    verdicts = _verdicts(2 / 3, trials=200)
    detected = sum(v == "faster" for v in verdicts) / len(verdicts)
    assert detected >= 0.95, detected
    assert "slower" not in verdicts
    slower = _verdicts(3 / 2, trials=50)
    assert sum(v == "slower" for v in slower) / len(slower) >= 0.95


def test_a_median_alone_would_give_false_verdicts():
    """Why the interval matters: on the same noise, the median ratio alone often leaves the margin."""
    false = 0
    for seed in range(200):
        machine = FakeMachine(seed)
        result = helpers.benchmark(
            {"a": machine.candidate(1.0), "b": machine.candidate(1.0)},
            np.ones((1, 1)),
            batch_sizes=(1,),
            min_time=0.0,
            budget=None,
            repeat=12,
            min_repeat=12,
            seed=seed,
            clock=machine,
        )
        speedup = result.speedup("b", 1)
        false += not (1 / 1.05 <= speedup <= 1.05)
    assert false / 200 > 0.05


def test_median_interval_is_the_order_statistic_interval():
    median, low, high = median_interval(np.arange(1.0, 101.0))
    assert median == 50.5 and (low, high) == (40.0, 61.0)
    assert median_interval([3.0, 1.0, 2.0]) == (2.0, 1.0, 3.0)  # too few values: the whole range
    with pytest.raises(ValueError, match="no values"):
        median_interval([])


def test_verdict_needs_the_whole_interval_beyond_the_margin():
    assert verdict(1.06, 3.0) == "faster"
    assert verdict(1.04, 3.0) == "no clear difference"
    assert verdict(0.5, 0.95) == "slower"
    assert verdict(0.5, 0.96) == "no clear difference"
    assert verdict(1.2, 1.3, margin=0.25) == "no clear difference"


def test_frame_has_the_contract_columns():
    machine = FakeMachine(0, jitter=0.0, burst_rate=0.0)
    result = helpers.benchmark(
        {"slow": machine.candidate(4.0), "fast": machine.candidate(1.0)},
        np.ones((5, 2)),
        batch_sizes=(1, 2),
        min_time=0.0,
        budget=None,
        clock=machine,
    )
    frame = result.to_frame()
    expected = {"candidate", "batch_size", "median_s", "speedup", "speedup_low", "speedup_high", "verdict"}
    assert expected <= set(frame.columns)
    fast = frame[frame.candidate == "fast"].iloc[0]
    assert fast.speedup == pytest.approx(4.0) and fast.speedup_low == pytest.approx(4.0)
    assert fast.verdict == "faster" and frame.iloc[0].verdict == "baseline"
    assert fast.median_s == pytest.approx(1e-3) and fast.rounds == 10  # precise at once: the minimum
    assert result.baseline == "slow" and result.speedup("slow", 1) == 1.0


def test_a_control_times_the_baseline_twice():
    machine = FakeMachine(0)
    baseline = machine.candidate(1.0)
    result = helpers.benchmark(
        {"base": baseline, "fast": machine.candidate(0.5)},
        np.ones((1, 1)),
        batch_sizes=(1,),
        min_time=0.0,
        budget=None,
        control=True,
        clock=machine,
    )
    assert result.candidates == ["base", "fast", "base (control)"]
    assert result.verdict("base (control)", 1) == "no clear difference"
    assert result.verdict("fast", 1) == "faster"


def test_one_slow_calibration_call_does_not_leave_a_short_call_timed_alone():
    """A call of 1 ms, once slowed to 20 ms while calibrating (the machine busy for a moment), still
    gets 5 calls per 5 ms timing; from that one call alone it would get 1 and no warm-up in the rounds."""
    clock = FakeMachine(0, jitter=0.0, burst_rate=0.0)
    durations = iter([1e-3, 20e-3])  # the warm-up, then the first calibration call

    def function(X):
        clock.now += next(durations, 1e-3)

    assert calibrate(function, None, 0.005, clock) == 5


def test_the_control_repeats_the_baselines_calls_per_timing():
    """The 3rd and 4th calls take 20 ms (the machine busy for a moment): a control calibrated on its
    own could catch them, and be timed one call at a time while the baseline is timed ten."""
    machine = FakeMachine(0, jitter=0.0, burst_rate=0.0)
    calls = []

    def baseline(X):
        calls.append(1)
        machine.now += 20e-3 if len(calls) in (3, 4) else 1e-3

    result = helpers.benchmark(
        {"base": baseline},
        np.ones((1, 1)),
        batch_sizes=(1,),
        repeat=6,
        min_repeat=6,
        budget=None,
        min_time=0.01,
        control=True,
        clock=machine,
    )
    assert result.candidates == ["base", "base (control)"]
    assert len(calls) == 2 + 6 * (10 + 10)  # calibrated once, then 10 calls per timing for both


def test_calls_are_looped_to_fill_min_time():
    machine = FakeMachine(0, jitter=0.0, burst_rate=0.0)
    calls = []
    timed = machine.candidate(1.0)

    def function(X):
        calls.append(1)
        timed(X)

    helpers.benchmark(
        {"f": function}, np.ones((1, 1)), batch_sizes=(1,), repeat=10, min_time=0.01, clock=machine
    )
    assert len(calls) == 2 + 10 * 10  # warm-up and a calibration call, then 10 rounds of 10 calls


def test_rounds_shuffle_the_order_and_batches_are_prepared_once():
    calls = []
    seen_batches = set()

    def make(name):
        def function(X):
            calls.append(name)
            seen_batches.add(id(X))

        return function

    helpers.benchmark(
        {"a": make("a"), "b": make("b")}, np.ones((3, 2)), batch_sizes=(4,), repeat=10, min_time=0.0
    )
    rounds = [tuple(calls[i : i + 2]) for i in range(4, len(calls), 2)]  # after warm-ups and calibrations
    assert set(rounds) == {("a", "b"), ("b", "a")}  # both orders occur
    assert len(seen_batches) == 1


def test_budget_stops_rounds_but_keeps_the_minimum():
    def sleep(X):
        time.sleep(0.005)

    result = helpers.benchmark(
        {"a": sleep, "b": sleep}, np.ones((2, 2)), batch_sizes=(1,), repeat=50, budget=0.05, min_time=0.0
    )
    assert len(result.timings["a", 1]) == 10  # the minimum, although the budget was spent earlier


def test_batches_repeat_rows_and_accept_dataframes():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    taken = take_rows(frame, 5)
    assert list(taken.a) == [1.0, 2.0, 1.0, 2.0, 1.0]
    sizes = []
    helpers.benchmark({"len": lambda X: sizes.append(len(X))}, frame, batch_sizes=(3,), budget=0.01)
    assert set(sizes) == {3}


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one candidate"):
        helpers.benchmark({}, np.ones((2, 2)))
    with pytest.raises(ValueError, match="min_repeat"):
        helpers.benchmark({"a": len}, np.ones((2, 2)), repeat=20, min_repeat=3)
    with pytest.raises(ValueError, match="no rows"):
        take_rows(np.ones((0, 2)), 3)


def test_plot_and_reprs(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    result = helpers.benchmark(
        {"sklearn": model.predict_proba, "onnx": predictor.predict_proba}, X, batch_sizes=(1, 10), budget=0.5
    )
    for kind in ("latency", "per_row", "speedup"):
        ax = result.plot(kind)
        assert ax.get_xscale() == "log"
        assert len(ax.get_lines()) >= 1
    assert "speed-up against 'sklearn'" in repr(result)
    html = result._repr_html_()
    assert "<table" in html and "verdict" in html
    with pytest.raises(ValueError, match="kind must be"):
        result.plot("pie")


def test_settle_waits_while_a_thread_of_the_process_still_burns_cpu():
    """A busy thread (as a spinning pool) keeps ``settle`` sleeping; an idle process sleeps one pause."""
    import threading

    from helpers.timing import PAUSE, settle

    assert settle() < 0.25  # an idle process: one pause, plus the scheduler's slack

    def spin(seconds: float) -> threading.Thread:
        stop = time.perf_counter() + seconds
        thread = threading.Thread(
            target=lambda: [None for _ in iter(lambda: time.perf_counter() < stop, False)]
        )
        thread.start()
        return thread

    thread = spin(0.15)
    slept = settle()
    thread.join()
    assert slept >= 0.1 and slept > 10 * PAUSE
    thread = spin(1.0)
    assert settle(limit=0.05) < 0.5  # the limit holds while the thread still spins
    thread.join()


def test_plot_draws_names_holding_dollars_as_text():
    """Candidate names go to the legend and the axis label: "$" must not start matplotlib's mathtext
    (an unpaired or odd expression fails at drawing)."""
    import io

    from helpers.benchmark import BenchmarkResult

    times = [1e-3, 2e-3, 1.5e-3]
    names = ["model $_$ a", "cost in $^"]
    result = BenchmarkResult({(n, b): times for n in names for b in (1, 10)}, names, [1, 10])
    for kind in ("latency", "speedup"):
        ax = result.plot(kind, title="$_$ title")
        ax.figure.savefig(io.BytesIO(), format="png")
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert texts == (names if kind == "latency" else names[1:])
