from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import helpers
from helpers.lessons.settings import PRESET_SETTINGS, Setting
from helpers.lessons.tuning import TuningResult, _thread_counts

SETTING_COLUMNS = ["threads", "mode", "optimization", "spinning"]


@pytest.fixture(scope="module")
def logistic_onnx(logistic, iris):
    X, _ = iris
    return helpers.convert(logistic[0], X[:1])


def test_setting_options_reach_the_session():
    setting = Setting(threads=2, mode="parallel", optimization="basic", spinning=True)
    options = helpers.session_options(None, **setting.options())
    assert options.intra_op_num_threads == 2
    assert options.execution_mode == ort.ExecutionMode.ORT_PARALLEL
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    assert setting.label == "2 threads, parallel, opt basic, spinning"
    assert PRESET_SETTINGS["latency"].options()["intra_op_num_threads"] == 1


def test_thread_counts_double_up_to_the_cores():
    assert _thread_counts(1) == [1]
    assert _thread_counts(2) == [1, 2]
    assert _thread_counts(6) == [1, 2, 4, 6]
    assert _thread_counts(8) == [1, 2, 4, 8]


def test_tune_returns_a_setting_it_tried_with_every_measurement(logistic_onnx, iris):
    X, _ = iris
    result = helpers.tune(logistic_onnx, X, batch_size=10, budget=1.0)
    assert result.best in result.tried and result.start == "latency"
    assert result.batch_size == 10
    assert set(result.measurements.knob) >= {"threads or rows", "mode", "optimization"}
    assert (result.measurements.rounds >= 6).all()
    assert result.final.setting.iloc[0] == "preset latency"
    assert sorted(result.final.setting) == ["preset default", "preset latency", "preset throughput", "tuned"]
    frame = result.to_frame()
    assert len(frame) == len(result.measurements) + 4
    assert (frame.median_us > 0).all()
    assert set(frame.verdict) <= {"baseline", "faster", "slower", "no clear difference"}
    assert result.speedup("latency") > 0 and result.speedup("throughput") > 0
    assert "best for 10 row(s)" in repr(result)
    assert "<table" in result._repr_html_()
    options = helpers.session_options(None, **result.options)
    assert options.intra_op_num_threads == result.best.threads


def test_a_challenger_wins_only_beyond_its_interval(logistic_onnx, iris):
    """Replay the rounds: the best changes exactly where a challenger's interval clears the margin."""
    X, _ = iris
    result = helpers.tune(logistic_onnx, X, budget=0.5)
    best = PRESET_SETTINGS["latency"]
    for _, rows in result.measurements.groupby("round", sort=True):
        assert Setting(*rows[SETTING_COLUMNS].iloc[0]) == best  # the incumbent comes first
        winners = rows[rows.speedup_low > 1.05]
        assert set(winners.verdict) <= {"faster"} and "faster" not in set(
            rows[rows.speedup_low <= 1.05].verdict
        )
        if len(winners):
            best = Setting(*winners.loc[winners.speedup_low.idxmax(), SETTING_COLUMNS])
    final = result.final.set_index("setting")
    if best == PRESET_SETTINGS["latency"] and (final.verdict == "faster").any():
        # the search kept the start; the final round found the other preset faster beyond the margin
        assert result.best == result.presets["throughput"]
        assert final.verdict["preset throughput"] == "faster"
    else:
        assert result.best == best
    assert result.decided == (result.best != PRESET_SETTINGS["latency"])


def test_the_final_round_can_pick_the_other_preset(logistic_onnx, iris, monkeypatch):
    """When the search keeps the start, a clearly faster other preset in the final round is chosen."""
    X, _ = iris
    real = helpers.lessons.tuning._Timer.compare

    def compare(self, labels, settings, seconds):
        frame = real(self, labels, settings, seconds)
        if labels[0].startswith("preset"):  # the final round: make the other preset clearly faster
            other = frame.setting.isin(["preset default", "preset throughput"])
            columns = ["speedup", "speedup_low", "speedup_high", "verdict"]
            frame.loc[other, columns] = [3.0, 2.0, 4.0, "faster"]
        else:  # the search rounds: no challenger wins
            frame.loc[frame.index[1:], "verdict"] = "no clear difference"
        return frame

    monkeypatch.setattr(helpers.lessons.tuning._Timer, "compare", compare)
    result = helpers.tune(logistic_onnx, X, budget=0.3)
    assert result.best == result.presets["throughput"] and result.decided


def test_a_control_that_disagrees_with_itself_is_reported_as_drift(logistic_onnx, iris, monkeypatch):
    """The final round times the start twice; a verdict other than "no clear difference" is drift."""
    X, _ = iris
    real = helpers.lessons.tuning._Timer.compare
    seen = []

    def compare(self, labels, settings, seconds):
        frame = real(self, labels, settings, seconds)
        if labels[-1].endswith("(control)"):
            seen.append(labels)
            frame.loc[frame.index[-1], ["speedup", "speedup_low", "speedup_high", "verdict"]] = [
                0.5,
                0.4,
                0.6,
                "slower",
            ]
        return frame

    monkeypatch.setattr(helpers.lessons.tuning._Timer, "compare", compare)
    result = helpers.tune(logistic_onnx, X, budget=0.3)
    assert seen and seen[0][-1] == "preset latency (control)"
    assert "(control)" not in " ".join(result.final.setting)
    (note,) = [note for note in result.notes if "against itself" in note]
    assert "same rounds" in note and "0.50x [0.40, 0.60]" in note
    assert "WARNING: the latency preset against itself" in repr(result)


def _start_times(frame, times):
    """Set the first row's (the start's) median time per call and its interval, in µs."""
    frame.loc[frame.index[0], ["median_us", "median_low_us", "median_high_us"]] = times
    return frame


@pytest.mark.parametrize(
    ("final", "drifted"),
    [((10.0, 9.0, 11.0), True), ((19.0, 17.0, 20.5), False)],
)
def test_a_start_whose_time_moved_between_round_1_and_the_final_is_reported(
    logistic_onnx, iris, monkeypatch, final, drifted
):
    """The control is paired with the start, so it cannot see drift; the start's median times in
    round 1 and in the final round, each with its interval, can: disjoint intervals are drift."""
    X, _ = iris
    real = helpers.lessons.tuning._Timer.compare

    def compare(self, labels, settings, seconds):
        frame = real(self, labels, settings, seconds)
        return _start_times(frame, final if labels[-1].endswith("(control)") else (20.0, 18.0, 22.0))

    monkeypatch.setattr(helpers.lessons.tuning._Timer, "compare", compare)
    result = helpers.tune(logistic_onnx, X, budget=0.3)
    notes = [note for note in result.notes if "round 1" in note]
    if drifted:
        assert notes == [
            "the latency preset took 20.0 µs [18.0, 22.0] in round 1, 10.0 µs [9.0, 11.0] "
            "in the final: the machine drifted"
        ]
    else:
        assert notes == []


def test_every_measurement_has_its_median_interval(logistic_onnx, iris):
    X, _ = iris
    result = helpers.tune(logistic_onnx, X, budget=0.3)
    for frame in (result.measurements, result.final):
        assert (frame.median_low_us <= frame.median_us).all()
        assert (frame.median_us <= frame.median_high_us).all()
        assert (frame.median_low_us > 0).all()


def test_medium_batches_start_from_onnxruntime_defaults(logistic_onnx, iris):
    X, _ = iris
    result = helpers.tune(logistic_onnx, X, batch_size=100, budget=0.3, margin=1e6)
    assert result.start == "default" and result.best == PRESET_SETTINGS["default"]
    assert result.best.options()["intra_op_num_threads"] == 0 and result.best.spinning


def test_an_impossible_margin_keeps_the_preset_and_says_so(logistic_onnx, iris):
    X, _ = iris
    result = helpers.tune(logistic_onnx, X, budget=0.5, margin=1e6)  # no setting can clear it
    assert result.best == PRESET_SETTINGS["latency"] and not result.decided
    assert "no clear winner: the latency preset stays" in repr(result)
    tuned, latency = result.final.set_index("setting").loc[["tuned", "preset latency"], "median_us"]
    assert tuned == latency  # the chosen setting is the latency preset's: timed once, not twice


def test_large_batches_start_from_the_throughput_preset(logistic_onnx, iris):
    X, _ = iris
    result = helpers.tune(logistic_onnx, X, batch_size=2_000, budget=0.5, margin=1e6)
    assert result.start == "throughput" and result.best == PRESET_SETTINGS["throughput"]
    assert list(result.final.setting)[:2] == ["preset throughput", "preset latency"]


def test_spinning_is_tried_only_with_a_thread_pool(logistic_onnx, iris):
    X, _ = iris
    one = helpers.tune(logistic_onnx, X, budget=0.3, threads=[1])
    assert set(one.measurements.knob) == {"mode", "optimization"}  # one thread count: no threads round
    two = helpers.tune(logistic_onnx, X, budget=0.3, threads=[2])
    spinning = two.measurements[two.measurements.knob == "spinning"]
    assert len(spinning) == 0 or spinning.setting.iloc[0].startswith("2 threads")


def test_budget_is_roughly_honoured(logistic_onnx, iris):
    X, _ = iris
    short = helpers.tune(logistic_onnx, X, budget=0.3)
    long = helpers.tune(logistic_onnx, X, budget=3.0)
    assert short.seconds < 0.3 + 2.0  # minimum rounds and session creation can overrun a tiny budget
    assert long.seconds < 3.0 + 2.0
    assert long.measurements.rounds.sum() > short.measurements.rounds.sum()


def test_bad_arguments(logistic_onnx, iris):
    X, _ = iris
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        helpers.tune(logistic_onnx, X, batch_size=0)
    with pytest.raises(ValueError, match="budget must be positive"):
        helpers.tune(logistic_onnx, X, budget=0)
    with pytest.raises(ValueError, match="threads must be positive"):
        helpers.tune(logistic_onnx, X, threads=[0])
    with pytest.raises(helpers.InputError, match="expected 4 features"):
        helpers.tune(logistic_onnx, X[:, :3])


def test_tune_takes_a_dataframe_for_a_per_column_model(pipeline, mixed_frame):
    model, _ = pipeline
    frame, _ = mixed_frame
    result = helpers.tune(helpers.convert(model, frame[:1]), frame, batch_size=50, budget=0.3)
    assert result.best in result.tried
    with pytest.raises(ValueError, match="baseline must be one of"):
        result.speedup("fastest")


def test_tuned_predictor_predicts_like_the_others(logistic, logistic_onnx, iris):
    model, _ = logistic
    X, _ = iris
    predictor = helpers.OnnxPredictor.tuned(logistic_onnx, X, batch_size=1, budget=0.5)
    assert predictor.preset == "tuned" and predictor.tuning.best in predictor.tuning.tried
    assert isinstance(predictor.tuning, TuningResult)
    assert predictor.session.get_session_options().intra_op_num_threads == predictor.tuning.best.threads
    assert "preset='tuned'" in repr(predictor)
    np.testing.assert_array_equal(predictor.predict(X), model.predict(X))
    np.testing.assert_allclose(predictor.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_tune_tries_splitting_the_rows_and_the_predictor_follows(forest, iris):
    model, _ = forest
    X, _ = iris
    onnx_model = helpers.convert(model, X[:1])
    result = helpers.tune(onnx_model, X, batch_size=1_000, budget=1.0, threads=[1, 2])
    first = result.measurements[result.measurements["round"] == 1]
    assert {
        "1 thread, sequential, opt all, no spinning",
        "2 threads, sequential, opt all, no spinning",
    } <= set(first.setting)
    assert "rows split over 2 workers, sequential, opt all, no spinning" in set(first.setting)
    split = {s for s in result.tried if s.row_workers > 1}
    assert split and all(s.threads == 1 for s in split)  # never rows split and intra-op threads at once
    if result.best.row_workers > 1:
        assert "chunks" in set(result.measurements.knob)
    cpus = helpers.usable_cpus()
    assert result.presets["throughput"].row_workers == (cpus if cpus > 1 else 1)
    predictor = helpers.OnnxPredictor(onnx_model, preset=None, **result.predictor_options)
    assert predictor.row_workers == result.best.row_workers
    np.testing.assert_allclose(
        predictor.predict_proba(np.tile(X, (4, 1))), model.predict_proba(np.tile(X, (4, 1))), atol=1e-5
    )


def test_small_batches_never_split_rows(forest, iris):
    model, _ = forest
    X, _ = iris
    result = helpers.tune(helpers.convert(model, X[:1]), X, batch_size=10, budget=0.3, threads=[1, 2])
    assert all(s.row_workers == 1 for s in result.tried)


def test_a_setting_refuses_rows_split_with_intra_op_threads():
    with pytest.raises(ValueError, match="never both"):
        Setting(threads=2, row_workers=2)
