"""Where a measurement was taken: the CPUs this process may use, and the versions. Introduced
in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_01_train_convert_predict.py`.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
from dataclasses import dataclass
from html import escape
from importlib import metadata
from pathlib import Path

__all__ = ["CGROUP", "MachineSummary", "machine_summary", "read_system_file", "usable_cpus"]

_PACKAGES = ("onnxruntime", "scikit-learn", "skl2onnx", "onnx", "numpy")
CGROUP = "/sys/fs/cgroup/"


def read_system_file(path: str) -> str:
    """The text of ``path``, or ``""`` where it cannot be read."""
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def usable_cpus() -> int:
    """The CPUs this process may use: its affinity mask capped by a cgroup quota (not ``os.cpu_count()``).

    >>> usable_cpus() >= 1
    True
    """
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    # cgroup v2 writes "quota period" (or "max period") in cpu.max; v1 uses two files, -1 for no quota
    quota_period = read_system_file(CGROUP + "cpu.max").split()
    if len(quota_period) != 2:
        quota_period = [read_system_file(f"{CGROUP}cpu/cpu.cfs_{name}_us") for name in ("quota", "period")]
    try:
        quota, period = (int(text) for text in quota_period)
    except ValueError:
        return max(1, count)
    return max(1, min(count, math.floor(quota / period))) if quota > 0 and period > 0 else max(1, count)


@dataclass(frozen=True)
class MachineSummary:
    """CPU model, CPUs usable by this process, CPUs of the machine, and package versions."""

    cpu: str
    usable_cpus: int
    machine_cpus: int
    python: str
    versions: dict[str, str]

    def __str__(self) -> str:
        versions = ", ".join(f"{name} {version}" for name, version in self.versions.items())
        return (
            f"Measured on {self.cpu}, {self.usable_cpus} of {self.machine_cpus} CPUs usable; "
            f"Python {self.python}, {versions}"
        )

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return f'<p class="machine-summary"><em>{escape(str(self))}</em></p>'


def machine_summary() -> MachineSummary:
    """One line saying where the timings of a page were measured.

    >>> "CPUs usable" in str(machine_summary())
    True
    """
    versions = {}
    for package in _PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    lines = read_system_file("/proc/cpuinfo").splitlines()
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    cpu = model or platform.processor() or platform.machine()
    return MachineSummary(cpu, usable_cpus(), os.cpu_count() or 1, platform.python_version(), versions)
