from __future__ import annotations

import json

import numpy as np
import pytest

import helpers
from helpers.lessons.profiling import op_type_summary, profile_frame


def test_profile_of_a_real_session(forest, iris, tmp_path):
    model, _ = forest
    X, _ = iris
    predictor = helpers.OnnxPredictor(
        helpers.convert(model, X[:1]), enable_profiling=True, profile_file_prefix=str(tmp_path / "profile")
    )
    for _ in range(3):
        predictor.predict_proba(X.astype(np.float32))
    path = predictor.session.end_profiling()
    assert path.startswith(str(tmp_path))
    frame = profile_frame(path)
    assert sorted(set(frame.run) - {-1}) == [0, 1, 2]
    kernels = frame[frame.name.str.endswith("_kernel_time")]
    assert set(kernels.op_type) == {"TreeEnsembleClassifier"}
    assert (kernels.duration_us >= 0).all()
    summary = op_type_summary(frame)
    assert summary.loc["TreeEnsembleClassifier", "calls"] == 2  # the first run is left out
    assert summary.share.sum() == pytest.approx(1.0)


def test_runs_are_assigned_by_time(tmp_path):
    events = [
        {"cat": "Session", "name": "session_initialization", "ts": 0, "dur": 5},
        {"cat": "Session", "name": "model_run", "ts": 10, "dur": 10},
        {"cat": "Node", "name": "a_kernel_time", "ts": 11, "dur": 4, "args": {"op_name": "Add"}},
        {"cat": "Node", "name": "b_kernel_time", "ts": 16, "dur": 3, "args": {"op_name": "Mul"}},
        {"cat": "Session", "name": "model_run", "ts": 30, "dur": 10},
        {"cat": "Node", "name": "a_kernel_time", "ts": 31, "dur": 2, "args": {"op_name": "Add"}},
        {"cat": "Node", "name": "b_fence_before", "ts": 34, "dur": 0, "args": {"op_name": "Mul"}},
        {"cat": "Node", "name": "b_kernel_time", "ts": 35, "dur": 6, "args": {"op_name": "Mul"}},
    ]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(events))
    frame = profile_frame(path)
    assert frame.run.tolist() == [-1, -1, 0, 0, -1, 1, 1, 1]
    assert frame.node.tolist()[2:4] == ["a", "b"]
    all_runs = op_type_summary(frame, skip_runs=0)
    assert all_runs.loc["Add", "total_us"] == 6
    assert all_runs.loc["Mul", "calls"] == 2  # fences are not operator time
    assert all_runs.loc["Mul", "median_us"] == 4.5
    assert all_runs.loc["Mul", "mean_us"] == 4.5
    assert all_runs.index.tolist() == ["Mul", "Add"]
    with pytest.raises(ValueError, match="no operator events after the first 2 run"):
        op_type_summary(frame, skip_runs=2)


def test_bad_files_are_reported(tmp_path):
    not_json = tmp_path / "a.json"
    not_json.write_text("{nope")
    with pytest.raises(ValueError, match="is not a JSON profile"):
        profile_frame(not_json)
    not_trace = tmp_path / "b.json"
    not_trace.write_text(json.dumps({"traceEvents": []}))
    with pytest.raises(ValueError, match="expected a JSON list of trace events"):
        profile_frame(not_trace)
