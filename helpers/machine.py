"""Where a measurement was taken: the CPUs this process may use, the memory it may still
allocate, and the versions that matter.

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

__all__ = ["MachineSummary", "available_memory", "machine_summary", "usable_cpus"]

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


def available_memory() -> int | None:
    """Bytes this process may still allocate: the system's available memory, capped by what a
    cgroup memory limit leaves; None where neither can be read.

    The command-line tool uses it to refuse a batch that would not fit, rather than
    allocate until the process is killed.

    Examples
    --------
    >>> memory = available_memory()
    >>> memory is None or memory > 0
    True
    """
    known = [value for value in (_system_available(), _cgroup_memory_left()) if value is not None]
    return min(known) if known else None


def _system_available() -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` (free plus reclaimable), else free pages (``sysconf``)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _cgroup_memory_left() -> int | None:
    """What a cgroup memory limit leaves (v2 ``memory.max``, v1 ``limit_in_bytes``), or None."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            limit = Path(limit_file).read_text().strip()
            if limit == "max" or int(limit) >= 2**60:  # v1 writes a huge number for "no limit"
                return None
            return max(0, int(limit) - int(Path(usage_file).read_text()))
        except (OSError, ValueError):
            continue
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
