"""The tool's outputs: the summary table, ``report.json`` and a self-contained ``report.html``.

Longer than 250 lines: the three outputs share their rows and their wording;
splitting them would write the same formatting twice.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import math
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.cli.common import PROG, CliError
from helpers.cli.runs import ALL_CORES, ModelRun
from helpers.display import format_ratio
from helpers.machine import machine_summary

__all__ = [
    "TIMING_NOTE",
    "format_table",
    "report_dict",
    "report_html",
    "report_json",
    "summary_table",
    "write_reports",
]

#: How the times were taken, printed above the table and in the HTML report.
TIMING_NOTE = (
    "times: medians of interleaved repeats, in µs per call; speed-up = scikit-learn time / onnxruntime time\n"
    "speed-up: the median of the rounds' paired ratios, with its 95% interval; 'faster' or 'slower' only "
    "when the whole interval is more than 5% away from 1\n"
    f"a model with n_jobs is also timed with n_jobs=-1 (all cores), scikit-learn's best setting for batches: "
    f"'{ALL_CORES} (µs)', and 'speed-up vs n_jobs=-1'\n"
    "inputs: scikit-learn gets the rows as read; onnxruntime gets them converted to its input type "
    "once, before the timing"
)
#: The column comparing ONNX Runtime with scikit-learn on all cores.
ALL_CORES_SPEEDUP = "speed-up vs n_jobs=-1"


def summary_table(runs: list[ModelRun]) -> pd.DataFrame:
    """One row per model and batch size: median µs per call of each candidate, speed-up, agreement.

    Examples
    --------
    >>> from helpers.benchmark import BenchmarkResult
    >>> result = BenchmarkResult({("scikit-learn", 1): [4e-5], ("onnxruntime", 1): [1e-5]},
    ...                          ["scikit-learn", "onnxruntime"], [1])
    >>> float(summary_table([ModelRun("m", "Ridge", "predict", None, result, 1)]).loc[0, "speed-up"])
    4.0
    """
    rows = []
    for run in runs:
        for batch_size in run.result.batch_sizes:
            row: dict[str, Any] = {"model": run.name, "rows per call": batch_size}
            for candidate in run.result.candidates:
                row[f"{candidate} (µs)"] = run.result.median(candidate, batch_size) * 1e6
            if len(run.result.candidates) > 1:
                row["speed-up"], row["95% interval, verdict"] = _ratio(run, batch_size, None)
            if ALL_CORES in run.result.candidates:
                row[ALL_CORES_SPEEDUP], row["vs n_jobs=-1: interval, verdict"] = _ratio(
                    run, batch_size, ALL_CORES
                )
            row["agrees"] = _agreement(run)
            rows.append(row)
    return pd.DataFrame(rows)


def _ratio(run: ModelRun, batch_size: int, baseline: str | None) -> tuple[float, str]:
    """ONNX Runtime's speed-up over ``baseline``, and its interval and verdict as text."""
    speedup, low, high = run.result.interval("onnxruntime", batch_size, baseline=baseline)
    verdict = run.result.verdict("onnxruntime", batch_size, baseline=baseline)
    return speedup, f"{format_ratio(low)} to {format_ratio(high)}, {verdict}"


def _agreement(run: ModelRun) -> str:
    if run.comparison is None:
        return "runs (no sklearn model)"
    if run.comparison.ok:
        return f"yes (max diff {run.comparison.max_abs_diff:.1g})"
    return f"NO: {len(run.comparison.worst_rows)} rows outside tolerance"


def format_table(table: pd.DataFrame) -> str:
    """The summary table as aligned text, times with one decimal, speed-ups as ``12.3x``."""
    formatters = {column: "{:,.1f}".format for column in table.columns if column.endswith("(µs)")}
    for column in ("speed-up", ALL_CORES_SPEEDUP):
        if column in table:
            formatters[column] = format_ratio
    return table.to_string(index=False, formatters=formatters, na_rep="-")  # "-": no n_jobs to set


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
        "models": [_run_dict(run) for run in runs],
    }


def _run_dict(run: ModelRun) -> dict[str, Any]:
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
        }
    timings = run.result.to_frame().to_dict(orient="records")
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
        # ONNX Runtime against each scikit-learn candidate (n_jobs=-1 included), with the interval
        "onnx_speedups": [{key: _plain(value) for key, value in row.items()} for row in speedups],
        "onnx_file": run.onnx_file,
        "notes": run.notes,
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


def _figure_png(run: ModelRun) -> str:
    """The run's latency (and speed-up) figure as a base64 PNG; no pyplot state is touched."""
    from matplotlib.figure import Figure

    with_speedup = len(run.result.candidates) > 1
    figure = Figure(figsize=(10 if with_speedup else 6, 4), layout="constrained")
    axes = figure.subplots(1, 2 if with_speedup else 1, squeeze=False)[0]
    run.result.plot("latency", ax=axes[0])
    if with_speedup:
        run.result.plot("speedup", ax=axes[1])
    figure.suptitle(_figure_title(run))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure_title(run: ModelRun) -> str:
    """The finding, formatted from the measurement."""
    smallest, largest = run.result.batch_sizes[0], run.result.batch_sizes[-1]
    if len(run.result.candidates) > 1:
        return (
            f"{run.name}: ONNX Runtime {format_ratio(run.result.speedup('onnxruntime', smallest))} "
            f"as fast as scikit-learn at {_rows(smallest)}, "
            f"{format_ratio(run.result.speedup('onnxruntime', largest))} at {_rows(largest)}"
        )
    per_row = run.result.median("onnxruntime", largest) / largest * 1e6
    return (
        f"{run.name}: {run.result.median('onnxruntime', smallest) * 1e6:,.1f} µs per call at "
        f"{_rows(smallest)}, {per_row:,.3f} µs per row at {_rows(largest)}"
    )


def _rows(count: int) -> str:
    return f"{count:,} row" + ("s" if count != 1 else "")


def report_html(runs: list[ModelRun], report: dict[str, Any], table: pd.DataFrame) -> str:
    """A self-contained HTML page: the summary table, then per model its check and figure."""
    environment = report["environment"]
    versions = ", ".join(f"{name} {version}" for name, version in environment["versions"].items())
    sections = []
    for run in runs:
        check = run.comparison._repr_html_() if run.comparison is not None else ""
        notes = "".join(f"<p>{escape(note)}</p>" for note in run.notes)
        image = f'<img alt="{escape(_figure_title(run))}" src="data:image/png;base64,{_figure_png(run)}">'
        sections.append(
            f"<h2>{escape(run.name)} ({escape(run.estimator)}, {escape(run.method)})</h2>"
            f"{check}{notes}{image}"
        )
    summary = table.to_html(index=False, float_format="{:,.2f}".format, border=0, na_rep="-")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{PROG} report</title><style>{_CSS}</style></head><body>"
        f"<h1>{PROG} report</h1>"
        f"<p>{escape(report['created'])}; {escape(report['data']['source'])}, "
        f"{report['data']['rows']:,} rows checked; preset {escape(report['settings']['preset'])}; "
        f"Python {escape(environment['python'])} on {escape(environment['cpu'])}, "
        f"{environment['usable_cpus']} of {environment['cpu_count']} CPUs usable; {escape(versions)}.</p>"
        f"<p>{'<br>'.join(escape(line) for line in TIMING_NOTE.splitlines())}<br>"
        "A speed-up above 1 means ONNX Runtime was faster.</p>"
        f"{summary}{''.join(sections)}</body></html>"
    )


_CSS = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .8em;text-align:right}"
    "img{max-width:100%}"
)


def write_reports(
    out: Path, runs: list[ModelRun], report: dict[str, Any], table: pd.DataFrame, onnx_models: dict[str, Any]
) -> list[Path]:
    """Write the ONNX models, ``report.json`` and ``report.html`` into ``out``; return their paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create --out {str(out)!r}: {error.strerror}") from None
    written = []
    for file_name, onnx_model in onnx_models.items():
        path = out / file_name
        path.write_bytes(onnx_model.SerializeToString())
        for run in runs:
            if f"{run.name}.onnx" == file_name:
                run.onnx_file = str(path)
        written.append(path)
    report["models"] = [_run_dict(run) for run in runs]  # with the paths of the ONNX files
    json_path, html_path = out / "report.json", out / "report.html"
    json_path.write_text(report_json(report), encoding="utf-8")
    html_path.write_text(report_html(runs, report, table), encoding="utf-8")
    return [*written, json_path, html_path]
