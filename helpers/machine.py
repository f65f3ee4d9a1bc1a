"""Where a measurement was taken: the CPUs this process may use, and the versions that matter.

Every lesson that shows timings prints :func:`machine_summary` once, so a
reader knows which machine the figures describe.
"""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass
from html import escape
from importlib import metadata
from pathlib import Path

__all__ = ["MachineSummary", "machine_summary", "usable_cpus"]

_PACKAGES = ("onnxruntime", "scikit-learn", "skl2onnx", "onnx", "numpy")


def usable_cpus() -> int:
    """The CPUs this process may actually use: its affinity mask, capped by a cgroup CPU quota.

    ``os.cpu_count()`` counts the machine's CPUs, not those a container or a
    ``taskset`` leaves to the process.

    Examples
    --------
    >>> usable_cpus() >= 1
    True
    """
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_quota()
    return max(1, min(count, math.floor(quota))) if quota else max(1, count)


def _cgroup_quota() -> float | None:
    """CPUs allowed by a cgroup quota (v2 ``cpu.max``, v1 ``cfs_quota_us / cfs_period_us``), or None."""
    try:
        text = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if text and text[0] != "max":
            return int(text[0]) / int(text[1])
        return None
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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

    Examples
    --------
    >>> "CPUs usable" in str(machine_summary())
    True
    """
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return MachineSummary(
        cpu=_cpu_model(),
        usable_cpus=usable_cpus(),
        machine_cpus=os.cpu_count() or 1,
        python=platform.python_version(),
        versions=versions,
    )
