"""One-row latency: bare ``session.run`` against ``helpers.OnnxPredictor``.

A script that prints figures, not a test: run it on a quiet machine, and more
than once, before believing a ratio.

    .venv/bin/python benchmarks/one_row.py            # one run, about 20 s
    .venv/bin/python benchmarks/one_row.py --runs 3   # three runs, each printed

For a logistic regression and a 100-tree random forest (synthetic data, 20
features), it times one float32 row through:

* ``session.run(None, feed)``, the call most tutorials teach, on a session
  with the latency preset's settings (the baseline of every ratio);
* the same on a session with onnxruntime's default settings;
* ``session.run([name], feed)``, fetching only the probabilities;
* ``OnnxPredictor.predict_proba`` with each preset, with the setting
  :func:`helpers.tune` chose, and with ``reuse_buffers=True``;
* ``OnnxPredictor.predict_proba`` (latency preset) given the row as users
  often have it: a float64 array, and a one-row pandas DataFrame (each made
  before the timing; the predictor casts it on every call).

Every candidate is timed by :func:`helpers.benchmark` in the same run:
interleaved repeats, medians, ratios against the baseline (above 1: faster).
The row is converted to float32 before timing. The goal it checks: the
overhead of ``OnnxPredictor`` (latency preset) over the bare
``session.run(None, feed)`` on the same settings is at most 10% for both
models: the upper end of the overhead's 95% interval, ``1 / speedup - 1``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import helpers

BASELINE = "session.run(None, feed)"


def candidates(onnx_model, X: np.ndarray, tune_budget: float) -> dict:
    """The callables to time, each taking a float32 row (the float64 and DataFrame
    candidates ignore it and use their own copy of the same row, made here)."""
    row64 = np.ascontiguousarray(X[:1], dtype=np.float64)
    frame = pd.DataFrame(row64, columns=[f"x{i}" for i in range(X.shape[1])])
    latency = helpers.OnnxPredictor(onnx_model, preset="latency")
    content = onnx_model.SerializeToString()
    latency_session = ort.InferenceSession(
        content, helpers.session_options("latency"), providers=["CPUExecutionProvider"]
    )
    default_session = ort.InferenceSession(content, providers=["CPUExecutionProvider"])
    input_name = latency_session.get_inputs()[0].name
    tuned = helpers.OnnxPredictor.tuned(onnx_model, X, batch_size=1, budget=tune_budget)
    reusing = helpers.OnnxPredictor(onnx_model, preset="latency", reuse_buffers=True)
    return {
        BASELINE: lambda row: latency_session.run(None, {input_name: row}),
        "session.run(None, feed), default session": lambda row: default_session.run(None, {input_name: row}),
        'session.run(["probabilities"], feed)': lambda row: latency_session.run(
            ["probabilities"], {input_name: row}
        ),
        "OnnxPredictor latency": latency.predict_proba,
        "OnnxPredictor latency, float64 row": lambda row: latency.predict_proba(row64),
        "OnnxPredictor latency, DataFrame row": lambda row: latency.predict_proba(frame),
        "OnnxPredictor throughput": helpers.OnnxPredictor(onnx_model, preset="throughput").predict_proba,
        f"OnnxPredictor tuned ({tuned.tuning.best.label})": tuned.predict_proba,
        "OnnxPredictor latency, reuse_buffers": reusing.predict_proba,
    }


def measure(models: dict, X: np.ndarray, budget: float) -> pd.DataFrame:
    X32 = np.ascontiguousarray(X[:1], dtype=np.float32)  # converted once, before any timing
    frames = []
    for model_name, model in models.items():
        onnx_model = helpers.convert(model, X[:1])
        timed = candidates(onnx_model, X, tune_budget=budget / 4)
        expected = model.predict_proba(X[:1])
        for name, function in timed.items():  # every candidate predicts what scikit-learn predicts
            output = function(X32)
            proba = output[1] if isinstance(output, list) and len(output) == 2 else output
            proba = proba[0] if isinstance(proba, list) else proba
            np.testing.assert_allclose(proba, expected, atol=1e-5, err_msg=name)
        # many short interleaved timings: a burst of other work on the machine then
        # spoils a few of them, which the median ignores
        result = helpers.benchmark(
            timed, X32, batch_sizes=(1,), repeat=201, min_repeat=10, budget=budget, min_time=0.001
        )
        columns = ["candidate", "rounds", "median_us", "speedup", "speedup_low", "speedup_high", "verdict"]
        frame = result.to_frame()[columns]
        frames.append(frame.assign(model=model_name))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="independent runs, each printed (default 1)")
    parser.add_argument("--budget", type=float, default=8.0, help="seconds of timing per model (default 8)")
    arguments = parser.parse_args()

    X, y = make_classification(n_samples=5_000, n_features=20, n_informative=10, random_state=0)
    models = {
        "logistic regression": LogisticRegression(max_iter=1_000).fit(X, y),
        "random forest, 100 trees": RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y),
    }
    print(
        f"onnxruntime {ort.__version__}, {os.cpu_count()} logical cores, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    summary = []
    for run in range(1, arguments.runs + 1):
        frame = measure(models, X, arguments.budget)
        print(f"\n== run {run} of {arguments.runs}: one row, speed-up against {BASELINE} (above 1: faster)")
        for model_name, rows in frame.groupby("model", sort=False):
            print(f"\n{model_name}")
            print(rows.drop(columns="model").round(2).to_string(index=False))
            latency = rows.set_index("candidate").loc["OnnxPredictor latency"]
            summary.append(
                {
                    "run": run,
                    "model": model_name,
                    "overhead %": 100 * (1 / latency["speedup"] - 1),
                    "low %": 100 * (1 / latency["speedup_high"] - 1),
                    "high %": 100 * (1 / latency["speedup_low"] - 1),
                }
            )
    summary = pd.DataFrame(summary)
    summary["at most 10%"] = summary["high %"] <= 10.0
    print(f"\n== goal: OnnxPredictor (latency) at one row at most 10% slower than {BASELINE}")
    print(summary.round(2).to_string(index=False))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
