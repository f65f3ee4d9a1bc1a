"""The two jobs of the tool: the demonstration, and a model file on a data file."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from tqdm import tqdm

from helpers.cli.columns import expected_columns, fit_to_onnx
from helpers.cli.common import PROG, CliError
from helpers.cli.data import align_to_model, check_batches_fit, load_data
from helpers.cli.models import PICKLE_SUFFIXES, SKOPS_SUFFIX, load_sklearn_model, load_skops_model
from helpers.cli.runs import ModelRun, demo_models, run_onnx_model, run_sklearn_model
from helpers.predictor import OnnxPredictor

__all__ = ["run_demo", "run_model_file"]


def _progress(total: int, enabled: bool) -> Any:
    """A tqdm bar on stderr when it is a terminal, silent when piped or disabled."""

    disable = not (enabled and sys.stderr.isatty())
    return tqdm(total=total, file=sys.stderr, disable=disable, leave=False, unit="step")


def run_demo(
    args: argparse.Namespace, deadline: float
) -> tuple[list[ModelRun], dict[str, Any], dict[str, Any]]:
    """Train, convert, check and time the demonstration models, sharing the time left."""

    X, y = load_breast_cancer(return_X_y=True)
    check_batches_fit(X, args.batch_sizes)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    models = demo_models()
    runs = []
    with _progress(2 * len(models), not args.no_progress) as bar:
        for index, (name, model) in enumerate(models.items()):
            left = len(models) - index
            bar.set_description(f"{name}: train")
            model.fit(X_train, y_train)
            bar.update()
            bar.set_description(f"{name}: convert, check, time")
            run, _ = run_sklearn_model(
                name,
                model,
                X_test,
                batch_sizes=args.batch_sizes,
                budget=lambda left=left: (deadline - time.perf_counter()) / left,
                preset=args.preset,
            )
            runs.append(run)
            bar.update()
    data = {
        "source": "sklearn.datasets.load_breast_cancer (bundled), 70/30 split, random_state=0",
        "rows": len(X_test),
        "columns": X.shape[1],
    }
    return runs, data, {}


def run_model_file(
    args: argparse.Namespace, deadline: float
) -> tuple[list[ModelRun], dict[str, Any], dict[str, Any]]:
    """Check and time the model file given with ``--model`` on ``--data``.

    The model is loaded first, so that the data is read the way it expects
    (:func:`helpers.cli.columns.expected_columns`): which columns hold text,
    whether a first row of numbers names its columns, how many columns it needs.
    """
    if args.data is None:
        raise CliError("--model needs --data: the rows to check and time the model on")
    suffix = args.model.suffix.lower()
    if suffix not in (".onnx", SKOPS_SUFFIX, *PICKLE_SUFFIXES):
        raise CliError(
            f"unsupported model file {args.model.name!r}: expected .onnx, or a scikit-learn model "
            f"saved with skops ({SKOPS_SUFFIX}) or pickled ({', '.join(PICKLE_SUFFIXES)})"
        )
    _check_consent(args, suffix)
    if not args.model.is_file():
        raise CliError(f"no model file at {str(args.model)!r}")
    onnx_models = {}
    with _progress(2, not args.no_progress) as bar:
        bar.set_description(f"{args.model.name}: load")
        if suffix == ".onnx":
            model = None
            predictor = OnnxPredictor(args.model, preset="latency" if args.preset == "auto" else args.preset)
        elif suffix == SKOPS_SUFFIX:
            model = load_skops_model(args.model, args.trusted_types)
        else:
            model = load_sklearn_model(args.model, args.trust_pickle)
        expected = expected_columns(predictor if model is None else model)
        data = load_data(args.data, args.target, header=args.header, expected=expected)
        check_batches_fit(data, args.batch_sizes)
        rows = data[: args.rows]
        description = {"source": str(args.data), "rows": len(rows), "columns": data.shape[1]}
        bar.update()
        bar.set_description(
            f"{args.model.name}: " + ("check, time" if model is None else "convert, check, time")
        )
        if model is None:
            rows, notes = fit_to_onnx(rows, expected, args.model.name)
            for note in notes:
                print(f"{PROG}: warning: {args.model.name}: {note}", file=sys.stderr)
            run = run_onnx_model(args.model, rows, predictor=predictor, **_timing_args(args, deadline))
            run.notes[:0] = notes
        else:
            X = align_to_model(model, rows)
            run, onnx_models[f"{args.model.stem}.onnx"] = run_sklearn_model(
                args.model.stem, model, X, **_timing_args(args, deadline)
            )
        bar.update()
    return [run], description, onnx_models


def _check_consent(args: argparse.Namespace, suffix: str) -> None:
    """``--trusted-types`` names types in a skops file: with a pickle it would be read as a
    limit on what the pickle may run, which nothing can enforce, so it is refused."""
    if args.trusted_types is not None and suffix != SKOPS_SUFFIX:
        raise CliError(
            f"--trusted-types lists the types to trust in a .skops file; {args.model.name!r} is not one"
            + (" (a pickle can run any code: --trust-pickle)" if suffix in PICKLE_SUFFIXES else "")
        )


def _timing_args(args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    def budget() -> float:
        return deadline - time.perf_counter()

    return {"batch_sizes": args.batch_sizes, "budget": budget, "preset": args.preset}
