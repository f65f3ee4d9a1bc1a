"""What the type of the rows costs ``OnnxPredictor``: float32 and float64 arrays, DataFrames.

A script that prints figures, not a test: run it on a quiet machine.

    .venv/bin/python benchmarks/input_types.py             # about 30 s
    .venv/bin/python benchmarks/input_types.py --budget 8  # seconds of timing per table

Users call the predictor with what they have: a float64 array, or a pandas
DataFrame with the columns the model was fitted on. The predictor casts them
once to the model's float32 input (:meth:`helpers.inputs.InputSpec.feed`); a
C-contiguous float32 array is fed as it is. For a logistic regression and a
100-tree random forest fitted on a 20-column DataFrame, it times
``predict_proba`` at 1 and 10,000 rows on each kind of rows, every kind made
before the timing, interleaved in paired rounds by :func:`helpers.benchmark`.

The goals it checks, against a float64 array of the same rows: a DataFrame at
most 2x as slow at one row, and at most 10% slower at 10,000 rows (the upper
end of its 95% interval).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import helpers

BASELINE = "float64 array"
GOALS = {1: 2.0, 10_000: 1.10}  # rows: the most a DataFrame may cost, as a multiple of the baseline


def measure(model, frame: pd.DataFrame, budget: float) -> pd.DataFrame:
    """One table per model: each kind of rows at 1 and 10,000 rows, against a float64 array."""
    predictor = helpers.OnnxPredictor(helpers.convert(model, frame[:1]))
    rows = {size: frame.sample(size, replace=True, random_state=0) for size in GOALS}
    kinds = {
        BASELINE: {size: np.ascontiguousarray(part.to_numpy(np.float64)) for size, part in rows.items()},
        "float32 array": {
            size: np.ascontiguousarray(part.to_numpy(np.float32)) for size, part in rows.items()
        },
        "DataFrame": rows,
    }
    for kind, batches in kinds.items():  # the same probabilities from every kind of rows
        for size, batch in batches.items():
            expected = model.predict_proba(rows[size])
            np.testing.assert_allclose(predictor.predict_proba(batch), expected, atol=1e-5, err_msg=kind)

    def call(kind: str):  # benchmark hands over a batch of indices: its length picks the rows
        return lambda batch: predictor.predict_proba(kinds[kind][len(batch)])

    indices = np.arange(max(GOALS)).reshape(-1, 1)
    result = helpers.benchmark(
        {kind: call(kind) for kind in kinds}, indices, batch_sizes=tuple(GOALS), budget=budget, control=True
    )
    columns = ["candidate", "batch_size", "median_us", "speedup", "speedup_low", "speedup_high", "verdict"]
    return result.to_frame()[columns]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=6.0, help="seconds of timing per model (default 6)")
    arguments = parser.parse_args()
    X, y = make_classification(n_samples=5_000, n_features=20, n_informative=10, random_state=0)
    frame = pd.DataFrame(X, columns=[f"feature_{i}" for i in range(X.shape[1])])
    models = {
        "logistic regression": LogisticRegression(max_iter=1_000).fit(frame, y),
        "random forest, 100 trees": RandomForestClassifier(n_estimators=100, random_state=0).fit(frame, y),
    }
    print(helpers.machine_summary())
    goals = []
    for name, model in models.items():
        table = measure(model, frame, arguments.budget)
        print(f"\n{name}: predict_proba, speed-up against a {BASELINE} of the same rows (above 1: faster)")
        print(table.round(3).to_string(index=False))
        for size, most in GOALS.items():
            row = table[(table.candidate == "DataFrame") & (table.batch_size == size)].iloc[0]
            cost = 1 / row["speedup"]
            high = 1 / row["speedup_low"]
            goals.append(
                {"model": name, "rows": size, "DataFrame cost": cost, "high": high, "at most": most}
                | {"met": high <= most}
            )
    print("\n== goals: a DataFrame costs at most 2x a float64 array at 1 row, 1.10x at 10,000 rows")
    print(pd.DataFrame(goals).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
