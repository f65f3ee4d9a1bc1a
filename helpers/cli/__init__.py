"""The command-line tool: ``python -m helpers``, also installed as ``train-convert-predict``.

Introduced in :ref:`command_line`. It chains the other helpers for a reader
who wants an answer rather than a lesson: load or train a model,
:func:`helpers.convert` it, check it with :func:`helpers.compare`, time it
with :func:`helpers.benchmark` through an :class:`helpers.OnnxPredictor`, then
print a table and, with ``--out``, write an HTML and a JSON report.

The table answers, per batch size, whether to use ONNX Runtime or keep
scikit-learn; a model whose ONNX predictions disagree with scikit-learn's gets
the cause the tool found, the fix and the lesson that explains it, and ends in
exit code 1, after the report. Every bad input ends in one line on stderr and
exit code 2. This module parses, dispatches, prints and sets the exit code;
the work lives in the modules beside it.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from sklearn.exceptions import NotFittedError

from helpers.cli.common import AUTO_TEXT, EXIT_ERROR, EXIT_MISMATCH, EXIT_OK, PROG, CliError
from helpers.cli.data import align_to_model, load_data
from helpers.cli.files import report_html, write_reports
from helpers.cli.jobs import run_demo, run_model_file
from helpers.cli.models import load_sklearn_model, load_skops_model
from helpers.cli.report import TIMING_NOTE, findings, format_table, report_dict, summary_table
from helpers.cli.runs import ModelRun, demo_models, run_onnx_model, run_sklearn_model
from helpers.errors import ModelFileError, UnsupportedModelError, first_line

__all__ = [
    "EXIT_ERROR",
    "EXIT_MISMATCH",
    "EXIT_OK",
    "CliError",
    "ModelRun",
    "align_to_model",
    "build_parser",
    "demo_models",
    "findings",
    "format_table",
    "load_data",
    "load_sklearn_model",
    "load_skops_model",
    "main",
    "report_dict",
    "report_html",
    "run_onnx_model",
    "run_sklearn_model",
    "summary_table",
    "write_reports",
]

#: Seconds for the whole run (loading, training, converting, checking, timing)
#: when ``--budget`` is not given; timing gets what the other steps leave.
DEFAULT_BUDGET = 30.0

#: The longest ``--budget`` the tool takes: a day.
MAX_BUDGET = 86_400.0

_EPILOG = f"""\
examples:
  python -m helpers
      train three models on scikit-learn's breast cancer data, convert, check
      and time them; print the table (about {DEFAULT_BUDGET:.0f} s in all: see --budget)
  python -m helpers --out report/
      the same, and write report/report.html (figures embedded) and report/report.json
  python -m helpers --model model.onnx --data rows.npy
      check that an ONNX model runs on your rows (shape, columns), then time it
  python -m helpers --model model.joblib --trust-pickle --data rows.csv --out report/
      convert a scikit-learn model, compare it with the original on your rows,
      time both, write report/model.onnx next to the report
  python -m helpers --model model.skops --data rows.csv --trusted-types a.B,c.D
      the same for a skops file; without --trusted-types, it lists the types to check

data files: .csv, .parquet (needs pyarrow) or .npy (a 2-D numeric array, loaded with
allow_pickle=False). A CSV file whose first row is all numbers is refused unless the
model was fitted on those names: --no-header (it is data) or --header (it names the
columns). In a CSV file only an empty field is missing: a text column keeps "NA",
"None" or "null"; in a column of numbers they are missing. A column named by --target
is dropped before predicting (without a header: its position).

model files: .onnx files hold no code. A .skops file is loaded only when --trusted-types
lists every type it holds that skops does not trust (the error lists them: check each).
.joblib, .pkl and .pickle files are loaded only with --trust-pickle, as unpickling runs
any code the file holds: pass it only for a file you made or trust.

the table answers, per batch size: 'use ONNX Runtime', 'keep scikit-learn' or
'no clear difference', against the faster of scikit-learn as saved and with its
other n_jobs setting, where n_jobs acts on prediction (forests, neighbours, ...).
A batch larger than the data repeats its rows (a note says so).

exit codes: 0 success; 1 the ONNX model disagrees with scikit-learn (the
report says where, the cause it found, the fix and the lesson); 2 bad input
(a one-line error on stderr).
"""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, raised as :class:`CliError`."""

    def error(self, message: str) -> Any:  # argparse's own prints the usage, then exits
        raise CliError(f"{message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m helpers``; ``--help`` lists every option with examples.

    Examples
    --------
    >>> build_parser().parse_args(["--model", "m.onnx", "--data", "x.npy"]).model
    PosixPath('m.onnx')
    """
    parser = _Parser(
        prog=PROG,
        description=(
            "Train (or load), convert to ONNX, check against scikit-learn, and time "
            "scikit-learn against ONNX Runtime at several batch sizes. Also runs as "
            "`python -m helpers`. Without --model, runs a demonstration on data "
            "bundled with scikit-learn."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="an ONNX model (.onnx), or a fitted scikit-learn model (.skops: may need "
        "--trusted-types; .joblib, .pkl, .pickle: needs --trust-pickle); needs --data",
    )
    parser.add_argument(
        "--data", type=Path, help="rows to check and time the model on (.csv, .parquet, .npy)"
    )
    parser.add_argument(
        "--target",
        help="a column of the data file to drop (labels), if it has one; with --no-header, its position",
    )
    header = parser.add_mutually_exclusive_group()
    for flag, value, text in [
        ("--header", True, "the CSV file's first row names the columns, even if it is all numbers"),
        ("--no-header", False, "the CSV file has no header row: its first row is data, columns by position"),
    ]:
        header.add_argument(flag, dest="header", action="store_const", const=value, help=text)
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="allow loading a .joblib/.pkl model; unpickling runs code from the file: only for trusted files",
    )
    parser.add_argument(
        "--trusted-types",
        type=_type_names,
        metavar="TYPES",
        help="types to trust in a .skops file, comma-separated as its refusal lists them, once checked",
    )
    parser.add_argument(
        "--out", type=Path, help="directory to write report.html, report.json (and model .onnx)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"seconds for the whole run, at most {MAX_BUDGET:.0f}; timing gets what other steps leave "
        f"(default {DEFAULT_BUDGET:g})",
    )
    parser.add_argument(
        "--batch-sizes",
        type=_batch_sizes,
        default=(1, 100, 10_000),
        help="comma-separated rows per call to time (default 1,100,10000); a batch that would not "
        "fit in the available memory is refused before anything runs",
    )
    parser.add_argument(
        "--preset",
        choices=["auto", "latency", "default", "throughput"],
        default="auto",
        help=(
            "ONNX Runtime settings: latency = one thread; default = onnxruntime's own; throughput = "
            "onnxruntime's own, a tree ensemble's rows split over the usable CPUs instead; auto = "
            f"{AUTO_TEXT} (default: %(default)s)"
        ),
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=10_000,
        help="compare ONNX and scikit-learn on at most this many rows of --data (default 10000)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an unexpected error")
    return parser


def _batch_sizes(text: str) -> tuple[int, ...]:
    """Parse ``"1,100,10000"`` into positive integers (an argparse ``type``)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"batch sizes must be positive, got {text!r}")
    return sizes


def _type_names(text: str) -> list[str]:
    """Parse ``"a.B,c.D"`` into type names (an argparse ``type``)."""
    if names := [name.strip() for name in text.split(",") if name.strip()]:
        return names
    raise argparse.ArgumentTypeError(f"expected comma-separated type names (module.Name), got {text!r}")


def _preset_text(preset: str) -> str:
    if preset == "auto":
        return f"auto ({AUTO_TEXT})"
    return preset


def _check_options(args: argparse.Namespace) -> None:
    if not math.isfinite(args.budget):
        raise CliError(f"--budget must be a finite number of seconds, got {args.budget:g}")
    if args.budget <= 0:
        raise CliError(f"--budget must be positive, got {args.budget:g}")
    if args.budget > MAX_BUDGET:
        raise CliError(f"--budget must be at most {MAX_BUDGET:.0f} s (a day), got {args.budget:g}")
    if args.rows < 1:
        raise CliError(f"--rows must be at least 1, got {args.rows}")
    if args.model is None and (args.data is not None or args.target is not None):
        raise CliError("--data and --target go with --model; without --model the tool runs its demonstration")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise CliError(f"--out {str(args.out)!r} is a file, not a directory")


def _run(args: argparse.Namespace) -> int:
    _check_options(args)
    start = time.perf_counter()
    job = run_model_file if args.model is not None else run_demo
    runs, data, onnx_models = job(args, start + args.budget)
    table = summary_table(runs)
    print(f"data: {data['source']}, {data['rows']:,} rows x {data['columns']} columns")
    print(f"preset: {_preset_text(args.preset)} (ONNX Runtime session settings)\n{TIMING_NOTE}")
    print(format_table(table))
    for line in findings(runs):
        print(line)
    report = report_dict(runs, data, args)
    if args.out is not None:
        for path in write_reports(args.out, runs, report, table, onnx_models):
            print(f"wrote {path}")
    elif onnx_models:
        print("note: pass --out DIR to save the converted model and the report")
    print(f"done in {time.perf_counter() - start:.1f} s")
    mismatched = [run.name for run in runs if not run.ok]
    if mismatched:
        print(
            f"{PROG}: the ONNX predictions of {', '.join(mismatched)} differ from scikit-learn's beyond "
            "the tolerance (the MISMATCH lines above give the cause and the fix)",
            file=sys.stderr,
        )
        return EXIT_MISMATCH
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the tool with the arguments ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Prints the table on stdout, errors as one line on stderr; never raises,
    except with ``--debug``.

    Examples
    --------
    >>> main(["--budget", "0"])
    2
    """

    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    # ValueError: what scikit-learn raises on data it cannot take (e.g. NaN where it rejects it)
    expected = (CliError, ModelFileError, UnsupportedModelError, ValueError)
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except SystemExit as exit:  # --help
        return exit.code if isinstance(exit.code, int) else EXIT_OK
    except (*expected, NotFittedError) as error:
        print(f"{PROG}: error: {first_line(error)}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            raise
        print(
            f"{PROG}: unexpected {type(error).__name__}: {first_line(error)} (rerun with --debug)",
            file=sys.stderr,
        )
    return EXIT_ERROR
