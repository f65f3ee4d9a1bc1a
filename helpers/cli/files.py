"""What ``--out`` writes: the converted models, ``report.json`` and a self-contained ``report.html``."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.cli.common import PROG, CliError
from helpers.cli.report import TIMING_NOTE, findings, report_json, run_dict
from helpers.cli.runs import ModelRun
from helpers.cli.verdicts import verdicts
from helpers.display import format_ratio

__all__ = ["report_html", "write_reports"]


def _figure_png(run: ModelRun) -> str:
    """The run's latency (and speed-up) figure as a base64 PNG; no pyplot state is touched."""
    from matplotlib.figure import Figure

    with_speedup = len(run.result.candidates) > 1
    figure = Figure(figsize=(10 if with_speedup else 6, 4), layout="constrained")
    axes = figure.subplots(1, 2 if with_speedup else 1, squeeze=False)[0]
    run.result.plot("latency", ax=axes[0])
    if with_speedup:
        run.result.plot("speedup", ax=axes[1])
    figure.suptitle(_figure_title(run), usetex=False, parse_math=False)  # a file name may hold "$"
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure_title(run: ModelRun) -> str:
    """The finding, formatted from the measurement: the answer at the smallest and largest batch."""
    found = verdicts(run)
    if found:
        first, last = found[0], found[-1]
        return (
            f"{run.name}: ONNX Runtime {format_ratio(first.speedup)} as fast as scikit-learn at "
            f"{_rows(first.batch_size)} ({first.answer}), {format_ratio(last.speedup)} at "
            f"{_rows(last.batch_size)} ({last.answer})"
        )
    smallest, largest = run.result.batch_sizes[0], run.result.batch_sizes[-1]
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
        lines = findings([run])  # the answer, the notes and, on a mismatch, its diagnosis
        found = "".join(f"<li>{escape(line.strip())}</li>" for line in lines)
        image = f'<img alt="{escape(_figure_title(run))}" src="data:image/png;base64,{_figure_png(run)}">'
        sections.append(
            f"<h2>{escape(run.name)} ({escape(run.estimator)}, {escape(run.method)})</h2>"
            f"{check}<ul>{found}</ul>{image}"
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
    report["models"] = [run_dict(run) for run in runs]  # with the paths of the ONNX files
    json_path, html_path = out / "report.json", out / "report.html"
    json_path.write_text(report_json(report), encoding="utf-8")
    html_path.write_text(report_html(runs, report, table), encoding="utf-8")
    return [*written, json_path, html_path]
