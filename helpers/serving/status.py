"""``GET /status``: what the operator of a long-running service needs to see.

Part of :mod:`helpers.serving`: the CPUs this process may use, the session's
thread and memory settings as its ``SessionOptions`` hold them, the process's
resident memory now and at its peak, and the predict requests counted since
start-up. A lesson compares the resident memory of sessions with the memory
arena and the memory pattern on and off through it (``create_app(...,
session_options=...)``); :ref:`deployment` explains each field.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import onnxruntime as ort
from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from helpers.machine import CGROUP, read_system_file, usable_cpus
from helpers.serving.schemas import ERROR_RESPONSES

__all__ = ["Counters", "StatusResponse", "add_status", "status"]

#: The environment variables an operator sets to bound threads, reported as they are set.
THREAD_VARIABLES = ("ORT_INTRA_OP_NUM_THREADS", "ORT_INTER_OP_NUM_THREADS", "OMP_NUM_THREADS")


class CpuStatus(BaseModel):
    cpu_count: int | None = Field(description="os.cpu_count(): the machine's logical CPUs.")
    affinity: int | None = Field(description="CPUs in this process's affinity mask; null where unknown.")
    cgroup_quota: float | None = Field(
        description="The cgroup's CPU quota in CPUs (quota / period); null: none."
    )
    usable: int = Field(description="helpers.machine.usable_cpus(): the affinity mask capped by the quota.")


class ThreadStatus(BaseModel):
    intra_op_num_threads: int = Field(
        description="The session's intra-op threads as configured; 0 is onnxruntime's default, one thread "
        "per physical core (onnxruntime does not report the number it chose)."
    )
    inter_op_num_threads: int = Field(description="Used only when execution_mode is parallel; 0: default.")
    execution_mode: str = Field(description='"sequential" or "parallel".')
    allow_spinning: bool = Field(
        description="Whether idle intra-op threads spin (onnxruntime's default) or sleep."
    )
    row_workers: int = Field(description="Chunks of rows run at once on a one-thread session (1: no split).")
    environment: dict[str, str | None] = Field(description="The thread variables as set in the environment.")


class MemoryStatus(BaseModel):
    resident_bytes: int | None = Field(
        description="The process's resident memory now (VmRSS); null: unknown."
    )
    peak_resident_bytes: int | None = Field(description="Its peak since the process started (VmHWM).")
    enable_cpu_mem_arena: bool = Field(description="The session's memory arena (keeps freed memory).")
    enable_mem_pattern: bool = Field(
        description="The session's memory pattern (plans allocations per shape)."
    )


class RequestStatus(BaseModel):
    served: int = Field(description="Predict requests answered 200 since start-up.")
    rows_predicted: int = Field(description="Rows in those answers.")
    refused: int = Field(description="Predict requests answered with a 4xx, or 503.")
    failed: int = Field(description="Predict requests that hit a bug (500, logged).")


class StatusResponse(BaseModel):
    """The answer of ``GET /status``."""

    pid: int
    onnxruntime: str = Field(description="onnxruntime's version.")
    uptime_seconds: float = Field(description="Seconds since the application started (its lifespan).")
    cpus: CpuStatus
    threads: ThreadStatus
    memory: MemoryStatus
    requests: RequestStatus


class Counters:
    """Predict requests since start-up, counted from the event loop and the thread pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.start()

    def start(self) -> None:
        with self._lock:
            self.started = time.monotonic()
            self.served = self.rows = self.refused = self.failed = 0

    def count(self, rows: int = 0, error: BaseException | None = None) -> None:
        """One request: answered with ``rows`` rows, or ended by ``error``."""
        with self._lock:
            if error is None:
                self.served, self.rows = self.served + 1, self.rows + rows
            elif isinstance(error, (StarletteHTTPException, RequestValidationError)):
                self.refused += 1
            else:
                self.failed += 1

    def snapshot(self) -> tuple[dict[str, int], float]:
        """The counts, as :class:`RequestStatus` declares them, and the seconds since start-up."""
        with self._lock:
            counts = {"served": self.served, "rows_predicted": self.rows, "refused": self.refused}
            return {**counts, "failed": self.failed}, time.monotonic() - self.started


def status(session: ort.InferenceSession, row_workers: int, counters: Counters) -> dict[str, Any]:
    """The status of a process serving ``session``, as ``StatusResponse`` declares it."""
    options = session.get_session_options()
    try:
        spinning = options.get_session_config_entry("session.intra_op.allow_spinning") != "0"
    except RuntimeError:  # not set: onnxruntime's default, spinning
        spinning = True
    resident, peak = _memory()
    requests, uptime = counters.snapshot()
    return {
        "pid": os.getpid(),
        "onnxruntime": ort.__version__,
        "uptime_seconds": round(uptime, 3),
        "cpus": {
            "cpu_count": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "cgroup_quota": _cgroup_quota(),
            "usable": usable_cpus(),
        },
        "threads": {
            "intra_op_num_threads": options.intra_op_num_threads,
            "inter_op_num_threads": options.inter_op_num_threads,
            "execution_mode": "parallel"
            if options.execution_mode == ort.ExecutionMode.ORT_PARALLEL
            else "sequential",
            "allow_spinning": spinning,
            "row_workers": row_workers,
            "environment": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        },
        "memory": {
            "resident_bytes": resident,
            "peak_resident_bytes": peak,
            "enable_cpu_mem_arena": options.enable_cpu_mem_arena,
            "enable_mem_pattern": options.enable_mem_pattern,
        },
        "requests": requests,
    }


def add_status(app: FastAPI, served: Callable[[], Any], counters: Counters) -> None:
    """Add ``GET /status`` to ``app``; ``served()`` is the loaded model (None before start-up)."""

    @app.get("/status", response_model=StatusResponse, responses={503: ERROR_RESPONSES[503]})
    async def get_status() -> dict[str, Any]:
        """CPUs, threads, memory and requests of this process (answered on the event loop)."""
        model = served()
        if model is None:
            raise HTTPException(503, "the model is not loaded: the application has not started")
        return status(model.predictor.session, model.predictor.row_workers, counters)


def _cgroup_quota() -> float | None:
    """The cgroup's CPU quota in CPUs, from the files :func:`helpers.usable_cpus` reads."""
    quota_period = read_system_file(CGROUP + "cpu.max").split()  # v2: "quota period", or "max period"
    if len(quota_period) != 2:  # v1: two files, -1 for no quota
        quota_period = [read_system_file(f"{CGROUP}cpu/cpu.cfs_{name}_us") for name in ("quota", "period")]
    try:
        quota, period = (int(text) for text in quota_period)
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _memory() -> tuple[int | None, int | None]:
    """Resident bytes now and at the peak: ``/proc/self/status`` on Linux, else getrusage's peak."""
    fields = dict(
        line.split(":", 1) for line in read_system_file("/proc/self/status").splitlines() if ":" in line
    )

    def kib(name: str) -> int | None:
        value = fields.get(name, "").split()
        return int(value[0]) * 1024 if value and value[0].isdigit() else None

    resident, peak = kib("VmRSS"), kib("VmHWM")
    if peak is None:
        try:
            import resource
        except ImportError:  # Windows
            return resident, None
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return resident, peak
