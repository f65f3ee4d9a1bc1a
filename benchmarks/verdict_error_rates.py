"""How often helpers.benchmark's verdicts are wrong, on real timings under load.

A script that prints measurements, not a test (``tests/test_timing.py`` checks
the same rates on a seeded noise model, in a fraction of a second):

    .venv/bin/python benchmarks/verdict_error_rates.py               # about a minute
    .venv/bin/python benchmarks/verdict_error_rates.py --trials 200  # tighter rates

Each trial is one :func:`helpers.benchmark` of two candidates that run the
same numpy kernel (a small matrix product):

* *identical*: both run it twice. The right verdict is "no clear
  difference"; any other is a false verdict (target: at most 5% of trials).
* *1.5x*: the baseline runs it three times, the candidate twice. The right
  verdict is "faster" (target: at least 95% of trials).

While the trials run, a second process burns one core (``--no-load`` turns it
off), so the timings see the kind of noise a busy machine gives.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

import numpy as np

import helpers


def _burn(stop: multiprocessing.Event) -> None:
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def _kernel(times: int, matrix: np.ndarray):
    def call(X):
        for _ in range(times):
            matrix @ matrix

    return call


def run(trials: int, budget: float) -> dict[str, dict[str, float]]:
    matrix = np.random.default_rng(0).random((48, 48))
    cases = {"identical": (2, 2, "no clear difference"), "1.5x": (3, 2, "faster")}
    rates = {}
    for case, (baseline_times, candidate_times, right) in cases.items():
        verdicts = []
        for trial in range(trials):
            result = helpers.benchmark(
                {"baseline": _kernel(baseline_times, matrix), "candidate": _kernel(candidate_times, matrix)},
                np.ones((1, 1)),
                batch_sizes=(1,),
                budget=budget,
                min_time=0.0005,
                seed=trial,
            )
            verdicts.append(result.verdict("candidate", 1))
        rates[case] = {
            "trials": trials,
            "right": sum(v == right for v in verdicts) / trials,
            "faster": verdicts.count("faster") / trials,
            "slower": verdicts.count("slower") / trials,
            "no clear difference": verdicts.count("no clear difference") / trials,
        }
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60, help="benchmarks per case (default 60)")
    parser.add_argument("--budget", type=float, default=0.25, help="seconds per benchmark (default 0.25)")
    parser.add_argument("--no-load", action="store_true", help="do not burn a core during the trials")
    arguments = parser.parse_args()
    print(helpers.machine_summary())
    stop = multiprocessing.Event()
    burner = None if arguments.no_load else multiprocessing.Process(target=_burn, args=(stop,), daemon=True)
    if burner is not None:
        burner.start()
    start = time.perf_counter()
    try:
        rates = run(arguments.trials, arguments.budget)
    finally:
        stop.set()
        if burner is not None:
            burner.join()
    load = "no background load" if arguments.no_load else "one core burnt by a second process"
    print(f"{arguments.trials} trials per case, {arguments.budget:g} s each, {load}:")
    identical, detected = rates["identical"], rates["1.5x"]
    print(
        f"  identical candidates: false verdicts in {1 - identical['right']:.1%} of trials "
        f"(faster {identical['faster']:.1%}, slower {identical['slower']:.1%}; target at most 5%)"
    )
    print(f"  true 1.5x difference: detected in {detected['right']:.1%} of trials (target at least 95%)")
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
