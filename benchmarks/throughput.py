"""Batch throughput on this machine: scikit-learn, ONNX Runtime's default session, the presets,
``tune``'s choice and the row-parallel path, for six model families at four batch sizes.

A script that prints figures, not a test. It is the one to run on the server
that will score batches: the advice of the lessons was measured on the machine
that built them, and the best way to use 8, 16 or 64 cores is a measurement,
not a rule.

    .venv/bin/python benchmarks/throughput.py                  # under 5 minutes
    .venv/bin/python benchmarks/throughput.py --budget 60      # a quicker, rougher run
    .venv/bin/python benchmarks/throughput.py --sizes 1,10000  # fewer batch sizes
    .venv/bin/python benchmarks/throughput.py --models "random forest,logistic regression"

For a random forest, extra trees, gradient boosting, histogram gradient
boosting, a logistic regression and an MLP (synthetic data, 20 features), at
1, 100, 10,000 and 100,000 rows per call, it times in one interleaved
:func:`helpers.benchmark` per model and batch size:

* scikit-learn as it is (the baseline of every speed-up), on float64 rows;
* scikit-learn with ``n_jobs=-1``, where the model has ``n_jobs`` (the
  scikit-learn baseline of the checks is the faster of the two, per cell);
* scikit-learn again, as a control: its verdict against the baseline should
  be "no clear difference", or the machine drifted during the run;
* ONNX Runtime's default session, ``InferenceSession(model)`` with no options
  (its pool spins), and a session with one intra-op thread, each called with
  the public ``session.run``;
* at 100 rows, a session with the settings of the preset ``preset_for(100)``
  names, called like the two above, and ``OnnxPredictor`` with that preset
  (the difference is the predictor's checks); at 10,000 rows and more, the
  same for the throughput preset: its settings without the predictor (for a
  tree ensemble, its row split over one-thread sessions called with
  ``session.run``), beside ``OnnxPredictor`` with it;
* ``OnnxPredictor`` with the latency preset, the throughput preset, and the
  setting :func:`helpers.tune` chose for that batch size (for 100,000 rows,
  the choice made at 10,000 rows: tuning at 100,000 would take minutes);
* the row-parallel path (``OnnxPredictor(row_workers=0)``: one chunk per
  usable CPU, each on a one-thread session), where the throughput preset
  does not already take it.

ONNX candidates get the rows converted to float32 once, before the timing.
The presets and tune's choice are timed through ``OnnxPredictor``, so their
time includes its checks (type, shape, NaN and infinity where scikit-learn
refuses them), which the bare ``session.run`` of the default session skips.
The value check is one ``np.isfinite`` pass over the batch, before the
session runs the model as converted.
Each candidate is checked against scikit-learn before it is timed (on up to
10,000 rows). Every ratio comes with its 95% interval, and verdicts come from
the interval. The budget covers the timings; training, tuning and the
minimum of six rounds per batch size come on top, so a slow machine overruns
it somewhat.

Every timing follows an idle pause (:data:`helpers.timing.PAUSE`), so that
the default session's spinning threads do not slow the candidate after it.

The checks at the end, each in the same run: at 10,000 and 100,000 rows, is
the throughput preset (its settings alone, and through ``OnnxPredictor``) and
tune's choice at least as fast as the fastest of scikit-learn (default and
``n_jobs=-1``) and ``InferenceSession(model)``? At
100 rows, is a session with the preset ``preset_for(100)`` names at least as
fast as the faster of ``InferenceSession(model)`` and a one-thread session,
and what do the predictor's checks add? "Yes" means the speed-up's interval
against that fastest is not entirely below 1.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

import helpers
from helpers.benchmark import take_rows
from helpers.parallel import RowSplitter
from helpers.session import preset_for

SIZES = (1, 100, 10_000, 100_000)
BASELINE = "scikit-learn"
ALL_CORES = "scikit-learn n_jobs=-1"
CONTROL = "scikit-learn (control)"
ORT_DEFAULT = "InferenceSession(model)"
ONE_THREAD = "one-thread session"
THROUGHPUT = "preset throughput"
TUNED = "tune's choice"
CHECKED_SIZES = (10_000, 100_000)
SMALL_BATCH = 100
PRESET_SESSION = f"session with preset_for({SMALL_BATCH}) = {preset_for(SMALL_BATCH)!r}"
PRESET_PREDICTOR = f"OnnxPredictor, preset {preset_for(SMALL_BATCH)!r}"
THROUGHPUT_SESSION = "throughput settings, session.run"


def models() -> dict[str, Any]:
    """The six families, sized so that 100,000 rows take well under a second each on one core."""
    return {
        "random forest": RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0),
        "extra trees": ExtraTreesClassifier(n_estimators=100, max_depth=10, random_state=0),
        "gradient boosting": GradientBoostingClassifier(n_estimators=100, random_state=0),
        "hist gradient boosting": HistGradientBoostingClassifier(max_iter=100, random_state=0),
        # alone, without a scaler: make_classification's features are already on one scale, and
        # onnxruntime's Scaler operator would dominate the time of so cheap a model
        "logistic regression": LogisticRegression(max_iter=1_000),
        "MLP": MLPClassifier((100,), max_iter=60, random_state=0),
    }


def with_all_cores(model: Any) -> Any | None:
    """A fitted copy with every ``n_jobs`` at -1, or None when the model has none."""
    names = [n for n in model.get_params(deep=True) if n == "n_jobs" or n.endswith("__n_jobs")]
    if not names:
        return None
    copied = copy.deepcopy(model)
    copied.set_params(**dict.fromkeys(names, -1))
    return copied


def prepared(function: Callable[[Any], Any], prepare: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``function(prepare(batch))`` with ``prepare`` run once per batch, in the untimed warm-up call."""
    cache: dict[int, tuple[Any, Any]] = {}

    def call(batch: Any) -> Any:
        if id(batch) not in cache:
            cache.clear()
            cache[id(batch)] = (batch, prepare(batch))
        return function(cache[id(batch)][1])

    return call


def to_float32(batch: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(batch, dtype=np.float32)


def candidates(model: Any, onnx_model: Any, X: np.ndarray, size: int, tuned: Any) -> dict[str, Callable]:
    """What to time at ``size`` rows; ``tuned`` is the predictor ``tune`` built for that size."""
    timed: dict[str, Callable] = {BASELINE: model.predict_proba}
    all_cores = with_all_cores(model)
    if all_cores is not None:
        timed[ALL_CORES] = all_cores.predict_proba
    content = onnx_model.SerializeToString()
    default = ort.InferenceSession(content, providers=["CPUExecutionProvider"])  # no options at all
    one_thread = ort.InferenceSession(
        content, helpers.session_options(None, intra_op_num_threads=1), providers=["CPUExecutionProvider"]
    )
    name = default.get_inputs()[0].name
    timed[ORT_DEFAULT] = prepared(lambda b: default.run(["probabilities"], {name: b})[0], to_float32)
    timed[ONE_THREAD] = prepared(lambda b: one_thread.run(["probabilities"], {name: b})[0], to_float32)
    if size == SMALL_BATCH:  # the preset for this size as a session, and through OnnxPredictor below
        chosen = ort.InferenceSession(
            content, helpers.session_options(preset_for(size)), providers=["CPUExecutionProvider"]
        )
        timed[PRESET_SESSION] = prepared(lambda b: chosen.run(["probabilities"], {name: b})[0], to_float32)
        timed[PRESET_PREDICTOR] = prepared(
            helpers.OnnxPredictor(onnx_model, preset=preset_for(size)).predict_proba, to_float32
        )
    throughput = helpers.OnnxPredictor(onnx_model, preset="throughput")
    if size in CHECKED_SIZES:  # the preset's settings alone, as at 100 rows: the rest is the checks
        bare = bare_throughput(content, throughput.row_workers, name)
        timed[THROUGHPUT_SESSION] = prepared(bare, to_float32)
    timed["preset latency"] = prepared(helpers.OnnxPredictor(onnx_model).predict_proba, to_float32)
    timed[THROUGHPUT] = prepared(throughput.predict_proba, to_float32)
    timed[TUNED] = prepared(tuned.predict_proba, to_float32)
    if throughput.rows is None and helpers.usable_cpus() > 1:
        split = helpers.OnnxPredictor(onnx_model, row_workers=0)
        timed[f"rows split, {split.row_workers} workers"] = prepared(split.predict_proba, to_float32)
    checked = X[: min(size, 10_000)]
    expected = model.predict_proba(checked)
    for label, function in timed.items():  # every candidate agrees with scikit-learn before it is timed
        np.testing.assert_allclose(function(checked), expected, atol=1e-4, err_msg=label)
    return timed


def bare_throughput(content: bytes, workers: int, name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The throughput preset's settings without ``OnnxPredictor``: a session with them, or, where the
    preset splits rows (``workers`` > 1), its row split over a one-thread session, each chunk a
    ``session.run`` (the predictor's runner, without its checks of the input and output values)."""
    if workers == 1:
        session = ort.InferenceSession(
            content, helpers.session_options("throughput"), providers=["CPUExecutionProvider"]
        )
        return lambda b: session.run(["probabilities"], {name: b})[0]
    options = helpers.session_options("throughput", intra_op_num_threads=1)
    one_thread = ort.InferenceSession(content, options, providers=["CPUExecutionProvider"])
    splitter = RowSplitter(workers)
    return lambda b: splitter.run(lambda part: one_thread.run(["probabilities"], part), {name: b})[0]


def rows(size: int) -> str:
    return f"{size:,} row" + "s" * (size != 1)


def cell(result: Any, candidate: str, size: int, baseline: str | None = None) -> str:
    if candidate not in result.candidates:
        return "-"  # timed at other batch sizes only
    speedup, low, high = result.interval(candidate, size, baseline)
    return f"{speedup:.2f}x [{low:.2f}-{high:.2f}]"


def run_model(
    label: str, model: Any, X: np.ndarray, sizes: tuple[int, ...], budget: float, tune_budget: float
) -> tuple[dict[int, Any], dict[int, str]]:
    """One benchmark per batch size; returns the results and the settings tune chose."""
    onnx_model = helpers.convert(model, X[:1])
    results, choices, tuned_at = {}, {}, {}
    for size in sizes:
        tune_size = min(size, 10_000)
        if tune_size not in tuned_at:
            tuned_at[tune_size] = helpers.OnnxPredictor.tuned(
                onnx_model, X, batch_size=tune_size, budget=tune_budget
            )
        tuned = tuned_at[tune_size]
        choices[size] = tuned.tuning.best.label + ("" if tune_size == size else f" (tuned at {tune_size:,})")
        timed = candidates(model, onnx_model, take_rows(X, size), size, tuned)
        results[size] = helpers.benchmark(
            timed, X, batch_sizes=(size,), budget=budget / len(sizes), min_repeat=6, repeat=60, control=True
        )
    for predictor in tuned_at.values():
        predictor.close()
    return results, choices


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0, help="seconds of timing in all (default 120)")
    parser.add_argument("--tune-budget", type=float, default=1.0, help="seconds per tune call (default 1)")
    parser.add_argument("--models", help="comma-separated subset of: " + ", ".join(models()))
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="rows per call (default 1,100,10000,100000)"
    )
    args = parser.parse_args(argv)
    chosen = models()
    if args.models:
        chosen = {name: chosen[name.strip()] for name in args.models.split(",")}
    sizes = tuple(int(s) for s in args.sizes.split(","))
    start = time.perf_counter()
    print(helpers.machine_summary())
    X, y = make_classification(n_samples=5_000, n_features=20, n_informative=10, random_state=0)
    checks, choices_all = [], []
    for index, (label, model) in enumerate(chosen.items()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a short MLP fit is enough to time it
            model.fit(X, y)
        left = args.budget - (time.perf_counter() - start)
        share = max(left / (len(chosen) - index), 5.0)
        results, choices = run_model(label, model, X, sizes, share, args.tune_budget)
        names = list(dict.fromkeys(c for size in sizes for c in results[size].candidates if c != CONTROL))
        names.append(CONTROL)
        table = pd.DataFrame(
            {rows(size): [cell(results[size], c, size) for c in names] for size in sizes}, index=names
        )
        medians = [f"{rows(n)}: {results[n].median(BASELINE, n) * 1e6:,.0f} µs" for n in sizes]
        median = ", ".join(medians)
        print(f"\n{label}: speed-up over scikit-learn [95% interval]; scikit-learn per call: {median}")
        print(table.to_string())
        for size in sizes:
            choices_all.append({"model": label, "rows": size, "tune's choice": choices[size]})
        for size in sizes:
            result = results[size]
            if size in CHECKED_SIZES:
                contenders = [BASELINE, ALL_CORES, ORT_DEFAULT]
                checked = [THROUGHPUT_SESSION, THROUGHPUT, TUNED]
            elif size == SMALL_BATCH:
                contenders, checked = [ORT_DEFAULT, ONE_THREAD], [PRESET_SESSION, PRESET_PREDICTOR]
            else:
                continue
            contenders = [c for c in contenders if c in result.candidates]
            fastest = min(contenders, key=lambda c: result.median(c, size))
            for candidate in checked:
                speedup, low, high = result.interval(candidate, size, fastest)
                checks.append(
                    {
                        "model": label,
                        "rows": f"{size:,}",
                        "candidate": candidate,
                        "against the fastest of": " / ".join(contenders),
                        "fastest": fastest,
                        "speed-up [95%]": f"{speedup:.2f}x [{low:.2f}-{high:.2f}]",
                        "verdict": result.verdict(candidate, size, fastest),
                        "at least as fast": "yes" if high >= 1 else "NO",
                        "control": result.verdict(CONTROL, size),
                    }
                )
    print("\nWhat tune chose:")
    print(pd.DataFrame(choices_all).to_string(index=False))
    print("\nChecks: at 10,000 rows and more, the throughput preset (its settings alone, and through")
    print("OnnxPredictor: the difference is its checks) and tune's choice against the fastest of")
    print("scikit-learn (default, n_jobs=-1) and InferenceSession(model); at 100 rows, preset_for(100) as")
    print("a session and through OnnxPredictor (the difference: its checks), against the faster of")
    print("InferenceSession(model) and a one-thread session ('yes': the interval is not entirely below 1;")
    print("'control': scikit-learn against itself, which should show no clear difference, or the machine")
    print("drifted and the verdicts of that run are not to be trusted)")
    print(pd.DataFrame(checks).to_string(index=False))
    print(f"\ndone in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
