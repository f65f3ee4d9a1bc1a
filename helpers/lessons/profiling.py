"""Read the profile that ONNX Runtime writes when ``enable_profiling`` is on.

Introduced in :ref:`sphx_glr_auto_examples_03_running_plot_03_profiling.py`,
which first reads the JSON by hand. The file is a list of Chrome trace events
(``chrome://tracing`` and https://ui.perfetto.dev open it too): one per
session step (``cat == "Session"``: model loading, session initialisation,
each ``model_run``) and one per operator call (``cat == "Node"``), each with a
start ``ts`` and a duration ``dur`` in microseconds.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["op_type_summary", "profile_frame"]

_COLUMNS = ["category", "name", "node", "op_type", "provider", "run", "start_us", "duration_us"]
_NODE_SUFFIXES = ("_kernel_time", "_fence_before", "_fence_after")


def profile_frame(path: str | os.PathLike) -> pd.DataFrame:
    """One row per event of an ONNX Runtime profile.

    Parameters
    ----------
    path : str or path
        The JSON file returned by ``InferenceSession.end_profiling()``.

    Returns
    -------
    pandas.DataFrame
        Columns ``category`` ("Session" or "Node"), ``name`` (the event name),
        ``node`` (the graph node, for "Node" events), ``op_type`` (its
        operator, from ``args.op_name``), ``provider``, ``run`` (0 for the
        first ``session.run`` of the profile, 1 for the next..., -1 outside
        any run, e.g. session initialisation), ``start_us`` and
        ``duration_us``, in microseconds.

    Raises
    ------
    ValueError
        The file is not a list of trace events.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> events = [
    ...     {"cat": "Session", "name": "model_run", "ts": 10, "dur": 9, "args": {}},
    ...     {"cat": "Node", "name": "Scaler_kernel_time", "ts": 12, "dur": 2,
    ...      "args": {"op_name": "Scaler", "provider": "CPUExecutionProvider"}},
    ... ]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "profile.json"
    ...     _ = path.write_text(json.dumps(events))
    ...     frame = profile_frame(path)
    >>> frame.run.tolist()  # the model_run event itself is outside any run
    [-1, 0]
    >>> frame.loc[1, ["node", "op_type", "provider"]].tolist()
    ['Scaler', 'Scaler', 'CPUExecutionProvider']
    """
    with open(path, encoding="utf-8") as file:
        try:
            events = json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{str(path)!r} is not a JSON profile: {error}") from None
    if not isinstance(events, list) or not all(isinstance(e, dict) and "dur" in e for e in events):
        raise ValueError(
            f"{str(path)!r} is not an ONNX Runtime profile: expected a JSON list of trace events "
            "with 'cat', 'name', 'ts' and 'dur', as written by InferenceSession.end_profiling()"
        )
    rows = [_row(event) for event in events]
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    runs = frame[(frame.category == "Session") & (frame.name == "model_run")].sort_values("start_us")
    run_starts = runs.start_us.to_numpy()
    run_ends = np.append(run_starts + runs.duration_us.to_numpy(), -np.inf)  # [-1]: "no run"
    starts = frame.start_us.to_numpy()
    index = np.searchsorted(run_starts, starts, side="right") - 1  # the last run started before
    inside = (index >= 0) & (starts <= run_ends[index]) & (frame.name != "model_run").to_numpy()
    frame["run"] = np.where(inside, index, -1)
    return frame


def _row(event: dict[str, Any]) -> dict[str, Any]:
    args = event.get("args") or {}
    name = str(event.get("name", ""))
    category = str(event.get("cat", ""))
    node = None
    if category == "Node":
        node = next((name[: -len(s)] for s in _NODE_SUFFIXES if name.endswith(s)), name)
    return {
        "category": category,
        "name": name,
        "node": node,
        "op_type": args.get("op_name"),
        "provider": args.get("provider"),
        "run": -1,
        "start_us": event.get("ts", 0),
        "duration_us": event["dur"],
    }


def op_type_summary(frame: pd.DataFrame, *, skip_runs: int = 1) -> pd.DataFrame:
    """Time spent per operator type, largest first.

    Only the operators' own time counts (the ``*_kernel_time`` events);
    the first ``skip_runs`` runs are left out, because a first run also
    allocates memory and warms caches.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`profile_frame`.
    skip_runs : int, default 1
        Runs to leave out at the start of the profile.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``op_type``: ``calls``, ``total_us``, ``median_us`` and
        ``mean_us`` (per call; the median resists a call slowed down by
        another process, the mean does not) and ``share`` (of the total
        operator time, 0 to 1).

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "category": ["Node"] * 4, "name": ["a_kernel_time", "b_kernel_time"] * 2,
    ...     "op_type": ["Scaler", "TreeEnsembleClassifier"] * 2, "run": [0, 0, 1, 1],
    ...     "duration_us": [5, 50, 1, 9],
    ... })
    >>> op_type_summary(frame).share.to_dict()  # run 0 is left out
    {'TreeEnsembleClassifier': 0.9, 'Scaler': 0.1}
    """
    kernels = frame[
        (frame.category == "Node") & frame.name.str.endswith("_kernel_time") & (frame.run >= skip_runs)
    ]
    if kernels.empty:
        raise ValueError(
            f"no operator events after the first {skip_runs} run(s): run the session more times "
            "before end_profiling(), or pass a smaller skip_runs"
        )
    summary = kernels.groupby("op_type").duration_us.agg(calls="count", total_us="sum", median_us="median")
    summary["mean_us"] = summary.total_us / summary.calls
    summary["share"] = summary.total_us / summary.total_us.sum()
    return summary.sort_values("total_us", ascending=False)
