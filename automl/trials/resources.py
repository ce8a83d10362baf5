"""The memory of processes: what this machine (or its cgroup) still has, what a process tree holds,
and handing freed memory back to the system."""

from __future__ import annotations

import ctypes
from pathlib import Path

import psutil

# glibc keeps freed memory for reuse instead of returning it to the system: after a trial on a large
# table a worker would hold hundreds of MB it no longer uses. As dask's nannies do, trial workers
# start with a low trim threshold, and automl's own process trims after its large, short-lived copies.
LEAN_MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": "65536"}


def release_freed_memory() -> None:
    """Hand memory freed in this process back to the system (glibc's malloc_trim; elsewhere a no-op)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def available_memory_mb() -> float:
    """Memory this process may still use: the machine's available memory, or less under a cgroup limit."""
    available = psutil.virtual_memory().available / 2**20
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit, usage = Path(limit_file).read_text().strip(), Path(usage_file).read_text().strip()
            if limit != "max":
                available = min(available, (int(limit) - int(usage)) / 2**20)
            break
        except (OSError, ValueError):
            continue
    return available


def kill_descendants(pid: int) -> None:
    """SIGKILL every process ``pid`` started, and theirs, those in sessions of their own included (looking
    again while some remain: one may have started another meanwhile)."""
    for _ in range(5):
        try:
            children = [c for c in psutil.Process(pid).children(recursive=True) if _alive(c)]
        except psutil.Error:
            return
        if not children:
            return
        for child in children:
            try:
                child.kill()
            except psutil.Error:
                continue


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def adopt_orphans() -> None:
    """Make this process the parent of any of its descendants whose own parent exits (Linux's child
    subreaper), so that ``kill_descendants`` still finds them; elsewhere a no-op."""
    try:
        ctypes.CDLL("libc.so.6").prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def resident_mb(pid: int, with_children: bool = True) -> float:
    """Resident memory of the worker (and of any process it started), in MB."""
    try:
        process = psutil.Process(pid)
        members = [process, *(process.children(recursive=True) if with_children else ())]
    except psutil.Error:
        return 0.0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20
