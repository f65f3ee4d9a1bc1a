"""The tool's outputs: the summary table, its answers and diagnoses as text, and ``report.json``.

``report.html`` (:mod:`helpers.cli.files`) shows the same rows and wording.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from helpers.cli.common import PROG
from helpers.cli.runs import ModelRun
from helpers.cli.verdicts import answer_line, verdicts
from helpers.display import format_ratio
from helpers.machine import machine_summary
from helpers.timing import median_interval

__all__ = [
    "TIMING_NOTE",
    "findings",
    "format_table",
    "notes",
    "report_dict",
    "report_json",
    "run_dict",
    "summary_table",
]

#: How the times were taken and how the verdicts are read, printed above the table and in the HTML.
TIMING_NOTE = (
    "times: medians of interleaved repeats, in µs per call\n"
    "a model whose n_jobs acts on prediction (a forest's, not LogisticRegression's) is timed as saved "
    "and with its other n_jobs setting (-1, all cores, or None, the default) in the same rounds; "
    "'against' names the faster of the two at that batch size\n"
    "speed-up: that scikit-learn time / the onnxruntime time, the median of the rounds' paired ratios, "
    "with its 95% interval\n"
    "verdict: 'use ONNX Runtime' or 'keep scikit-learn' only when the whole interval is more than 5% "
    "away from 1, else 'no clear difference'\n"
    "inputs: scikit-learn gets the rows as read; onnxruntime gets them converted to its input type "
    "once, before the timing"
)


def summary_table(runs: list[ModelRun]) -> pd.DataFrame:
    """One row per model and batch size: µs per call of each candidate, the verdict, agreement.

    Examples
    --------
    >>> from helpers.benchmark import BenchmarkResult
    >>> result = BenchmarkResult({("scikit-learn", 1): [4e-5] * 6, ("onnxruntime", 1): [1e-5] * 6},
    ...                          ["scikit-learn", "onnxruntime"], [1])
    >>> summary_table([ModelRun("m", "Ridge", "predict", None, result, 1)]).loc[0, "verdict"]
    'use ONNX Runtime'
    """
    two = any(len(run.result.candidates) > 2 for run in runs)  # a model timed with both n_jobs
    rows = []
    for run in runs:
        found = {verdict.batch_size: verdict for verdict in verdicts(run)}
        for batch_size in run.result.batch_sizes:
            row: dict[str, Any] = {"model": run.name, "rows per call": batch_size}
            for candidate in run.result.candidates:
                row[f"{candidate} (µs)"] = run.result.median(candidate, batch_size) * 1e6
            verdict = found.get(batch_size)
            if verdict is not None:
                if two:
                    row["against"] = verdict.against.removeprefix("scikit-learn ").replace(
                        "scikit-learn", "as saved"
                    )
                row["speed-up"] = verdict.speedup
                row["95% interval"] = f"{format_ratio(verdict.low)} to {format_ratio(verdict.high)}"
                row["verdict"] = verdict.answer
            row["agrees"] = _agreement(run)
            rows.append(row)
    return pd.DataFrame(rows)


def _agreement(run: ModelRun) -> str:
    if run.comparison is None:
        return "runs (no sklearn model)"
    if run.comparison.ok:
        return f"yes (max diff {run.comparison.max_abs_diff:.1g})"
    return f"NO: {len(run.comparison.worst_rows)} rows outside tolerance"


def format_table(table: pd.DataFrame) -> str:
    """The summary table as aligned text, times with one decimal, speed-ups as ``12.3x``."""
    formatters = {column: "{:,.1f}".format for column in table.columns if column.endswith("(µs)")}
    if "speed-up" in table:
        formatters["speed-up"] = format_ratio
    return table.to_string(index=False, formatters=formatters, na_rep="-")  # "-": not measured


def notes(run: ModelRun) -> list[str]:
    """The run's notes, and one saying which batches repeat the checked rows."""
    repeated = [size for size in run.result.batch_sizes if size > run.checked_rows]
    if not repeated:
        return list(run.notes)
    sizes = " and ".join(f"{size:,}" for size in repeated)
    batches = f"batches of {sizes} rows repeat" if len(repeated) > 1 else f"batch of {sizes} rows repeats"
    times = f"{'up to' if len(repeated) > 1 else 'about'} {repeated[-1] / run.checked_rows:,.0f} times"
    return [
        *run.notes,
        f"the {batches} the {run.checked_rows:,} checked rows ({times}): "
        "timed on copies of them, not on that many distinct rows",
    ]


def findings(runs: list[ModelRun]) -> list[str]:
    """The lines printed after the table: the answer per model, then each mismatch's diagnosis."""
    lines = [f"answer: {line}" for line in map(answer_line, runs) if line is not None]
    for run in runs:
        lines += [f"note: {run.name}: {note}" for note in notes(run)]
    for run in runs:
        if run.ok:
            continue
        lines.append(f"MISMATCH: {run.name}: {_mismatch(run.comparison)}")
        if run.diagnosis is not None:
            lines += [f"  {line}" for line in run.diagnosis.lines()]
    return lines


def _mismatch(report: Any) -> str:
    """``2 of 143 rows outside the tolerance, probabilities up to 0.0071 apart; labels agree``."""
    text = f"{len(report.worst_rows)} of {report.n_rows} rows outside the tolerance"
    if report.values != "labels only":
        text += f", {report.values} up to {report.max_abs_diff:.2g} apart"
    if report.has_labels:
        changed = len(report.label_mismatches)
        text += f"; {changed} labels differ" if changed else "; labels agree"
    return text


def _environment() -> dict[str, Any]:
    machine = machine_summary()
    return {
        "python": machine.python,
        "cpu": machine.cpu,
        "usable_cpus": machine.usable_cpus,
        "cpu_count": machine.machine_cpus,
        "versions": machine.versions,
    }


def report_dict(runs: list[ModelRun], data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The machine-readable report: settings, environment, and per model its check and timings."""
    return {
        "tool": PROG,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "ok": all(run.ok for run in runs),
        "settings": {
            "preset": args.preset,
            "budget_s": args.budget,
            "batch_sizes": list(args.batch_sizes),
        },
        "environment": _environment(),
        "data": data,
        "models": [run_dict(run) for run in runs],
    }


def run_dict(run: ModelRun) -> dict[str, Any]:
    comparison = None
    if run.comparison is not None:
        report = run.comparison
        comparison = {
            "ok": bool(report.ok),
            "rows": int(report.n_rows),
            "values": report.values,
            "label_agreement": float(report.label_agreement) if report.has_labels else None,
            "max_abs_diff": float(report.max_abs_diff),
            "max_rel_diff": float(report.max_rel_diff),
            "rtol": report.rtol,
            "atol": report.atol,
            "rows_outside_tolerance": [int(i) for i in report.worst_rows],
            "rows_with_another_label": [int(i) for i in report.label_mismatches],
            # on a mismatch: the cause the tool found, the fix and the lessons (None when they agree)
            "diagnosis": run.diagnosis.to_dict() if run.diagnosis is not None else None,
        }
    frame = run.result.to_frame()
    keys = zip(frame.candidate, frame.batch_size, strict=True)
    intervals = np.array([median_interval(run.result.timings[key], run.result.confidence) for key in keys])
    frame["median_low_us"], frame["median_high_us"] = intervals[:, 1] * 1e6, intervals[:, 2] * 1e6
    timings = frame.to_dict(orient="records")  # each median with its 95% interval: runs compare by them
    speedups = []
    if "onnxruntime" in run.result.candidates:
        for against in [c for c in run.result.candidates if c != "onnxruntime"]:
            for batch_size in run.result.batch_sizes:
                speedup, low, high = run.result.interval("onnxruntime", batch_size, baseline=against)
                speedups.append(
                    {
                        "against": against,
                        "batch_size": batch_size,
                        "speedup": speedup,
                        "speedup_low": low,
                        "speedup_high": high,
                        "verdict": run.result.verdict("onnxruntime", batch_size, baseline=against),
                    }
                )
    return {
        "name": run.name,
        "estimator": run.estimator,
        "method": run.method,
        "checked_rows": run.checked_rows,
        "comparison": comparison,
        "timings": [{key: _plain(value) for key, value in row.items()} for row in timings],
        # per batch size, ONNX Runtime against the faster scikit-learn candidate: the answer
        "verdicts": [_plain(verdict.to_dict()) for verdict in verdicts(run)],
        "answer": answer_line(run),
        # ONNX Runtime against each scikit-learn candidate, with the interval and the benchmark's verdict
        "onnx_speedups": [{key: _plain(value) for key, value in row.items()} for row in speedups],
        "onnx_file": run.onnx_file,
        "notes": notes(run),
    }


def _plain(value: Any) -> Any:
    """What strict JSON can write: numpy scalars as Python numbers, NaN and infinity as None."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return [_plain(item) for item in value] if isinstance(value, (list, tuple)) else value


def report_json(report: dict[str, Any]) -> str:
    """The report as strict JSON: NaN and infinity, which JSON cannot hold, written as null.

    Examples
    --------
    >>> json.loads(report_json({"speedup": float("nan"), "rounds": np.int64(10)}))
    {'speedup': None, 'rounds': 10}
    """
    return json.dumps(_plain(report), indent=2, allow_nan=False)
