from __future__ import annotations

import time

import matplotlib
import numpy as np
import pandas as pd
import pytest

import helpers
import helpers.timing

matplotlib.use("Agg")


def _sleeper(seconds):
    def function(X):
        time.sleep(seconds)

    return function


class _FakeClock:
    """Stands in for time.perf_counter: each candidate call advances it by a fixed cost."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def candidate(self, seconds_per_row):
        def function(X):
            self.now += seconds_per_row * len(X)

        return function


def test_speedup_is_the_ratio_of_medians(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(helpers.timing.time, "perf_counter", clock)
    result = helpers.benchmark(
        {"slow": clock.candidate(4e-3), "fast": clock.candidate(1e-3)},
        np.ones((5, 2)),
        batch_sizes=(1, 2),
        repeat=3,
        min_time=0.0,
        budget=None,
    )
    assert result.baseline == "slow"
    assert result.speedup("slow", 1) == 1.0
    assert result.speedup("fast", 1) == pytest.approx(4.0)
    assert result.median("slow", 2) == pytest.approx(8e-3)
    frame = result.to_frame()
    assert list(frame.candidate) == ["slow", "fast", "slow", "fast"]
    assert set(frame.columns) >= {"median_us", "min_us", "max_us", "per_row_us", "speedup", "repeats"}
    row = frame[(frame.candidate == "fast") & (frame.batch_size == 2)].iloc[0]
    assert row.median_us == pytest.approx(2000.0)
    assert row.per_row_us == pytest.approx(1000.0)
    assert row.min_us <= row.median_us <= row.max_us
    assert row.repeats == 3


def test_calls_are_looped_to_fill_min_time(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(helpers.timing.time, "perf_counter", clock)
    calls = []

    def function(X):
        calls.append(1)
        clock.now += 1e-3

    helpers.benchmark(
        {"f": function}, np.ones((1, 1)), batch_sizes=(1,), repeat=3, min_time=0.01, budget=None
    )
    assert len(calls) == 2 + 3 * 10  # warm-up and calibration, then 3 timings of 10 calls


def test_candidates_are_interleaved_and_batches_prepared_once():
    calls = []
    seen_batches = set()

    def make(name):
        def function(X):
            calls.append(name)
            seen_batches.add(id(X))

        return function

    helpers.benchmark(
        {"a": make("a"), "b": make("b")}, np.ones((3, 2)), batch_sizes=(4,), repeat=3, min_time=0.0
    )
    timed = calls[4:]  # after two warm-up calls and two calibration calls
    assert timed == ["a", "b", "b", "a", "a", "b"]  # turns rotate who goes first
    assert len(seen_batches) == 1


def test_budget_stops_repeats_but_keeps_the_minimum():
    result = helpers.benchmark(
        {"sleep": _sleeper(0.01)},
        np.ones((2, 2)),
        batch_sizes=(1,),
        repeat=50,
        min_repeat=3,
        budget=0.05,
        min_time=0.0,
    )
    assert 3 <= len(result.timings["sleep", 1]) < 50


def test_batches_repeat_rows_and_accept_dataframes():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    taken = helpers.take_rows(frame, 5)
    assert list(taken.a) == [1.0, 2.0, 1.0, 2.0, 1.0]
    sizes = []
    helpers.benchmark(
        {"len": lambda X: sizes.append(len(X))}, frame, batch_sizes=(3,), repeat=1, min_repeat=1
    )
    assert set(sizes) == {3}


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one candidate"):
        helpers.benchmark({}, np.ones((2, 2)))
    with pytest.raises(ValueError, match="min_repeat"):
        helpers.benchmark({"a": len}, np.ones((2, 2)), repeat=2, min_repeat=3)
    with pytest.raises(ValueError, match="no rows"):
        helpers.take_rows(np.ones((0, 2)), 3)


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
    assert "<table" in result._repr_html_()
    with pytest.raises(ValueError, match="kind must be"):
        result.plot("pie")
