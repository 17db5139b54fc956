"""How many CPU threads a heavy command uses: the CPUs this process may use, never more.

A batch job (HTCondor, Slurm, a container) is granted N cores of a bigger node but sees
them all in ``os.cpu_count()``; torch then starts one OpenMP thread per visible core, and
those threads spin and wait on each other at every op's barrier whenever a core is busy
elsewhere (measured 4-8x slower than one thread on a shared 2-core node, issue #25). So the
count is the smallest of what the process is allowed:

* ``$OMP_NUM_THREADS`` when set (the user, or the batch system, decided),
* ``$SLURM_CPUS_PER_TASK`` when set,
* the cgroup CPU quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``),
* the CPU affinity mask (``os.sched_getaffinity``: taskset, cpusets, HTCondor's pinning).

The thread count never changes the jets: sampling runs fixed 256-jet blocks whose kernels
give the same bits on any number of threads (tests/cli/test_threads.py checks 1 vs 2), so
it is not recorded in provenance.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import UsageError

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _cgroup_paths(listing: Path) -> tuple[str | None, str | None]:
    """This process's (v2, v1 cpu controller) cgroup paths from /proc/self/cgroup."""
    v2 = v1 = None
    try:
        lines = listing.read_text().splitlines()
    except OSError:
        return None, None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        elif "cpu" in parts[1].split(","):
            v1 = parts[2]
    return v2, v1


def _quota_cpus(quota: int, period: int) -> int | None:
    return max(1, math.ceil(quota / period)) if quota > 0 and period > 0 else None


def cgroup_cpus(root: Path = CGROUP_ROOT,
                listing: Path = Path("/proc/self/cgroup")) -> int | None:
    """CPUs of the cgroup quota (rounded up), or None where there is no quota."""
    v2, v1 = _cgroup_paths(listing)
    candidates = []
    if v2 is not None:
        candidates += [root / v2.lstrip("/") / "cpu.max", root / "cpu.max"]
    for path in candidates:
        try:
            quota, period = path.read_text().split()[:2]
        except (OSError, ValueError):
            continue
        if quota == "max":
            return None
        return _quota_cpus(int(quota), int(period))
    for base in ([root / "cpu" / v1.lstrip("/")] if v1 else []) + [root / "cpu",
                                                                  root / "cpu,cpuacct"]:
        try:
            quota = int((base / "cpu.cfs_quota_us").read_text())
            period = int((base / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        return _quota_cpus(quota, period)
    return None


def affinity_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def allowed_cpus() -> tuple[int, str]:
    """(CPUs this process may use, which limit decided it)."""
    limits = [(affinity_cpus(), "CPU affinity")]
    quota = cgroup_cpus()
    if quota is not None:
        limits.append((quota, "cgroup CPU quota"))
    slurm = _positive_int(os.environ.get("SLURM_CPUS_PER_TASK"))
    if slurm is not None:
        limits.append((slurm, "$SLURM_CPUS_PER_TASK"))
    return min(limits, key=lambda item: item[0])


def passive_wait() -> bool:
    """Whether torch's OpenMP threads sleep while they wait (jetgen/__init__.py sets
    OMP_WAIT_POLICY=PASSIVE before torch loads, unless torch was imported first)."""
    from . import _OMP_WAIT_POLICY

    return _OMP_WAIT_POLICY == "PASSIVE"


def default_threads() -> tuple[int, str]:
    """(threads, why): $OMP_NUM_THREADS when set, else the CPUs the process may use.

    With spinning OpenMP threads (torch imported before jetgen, or OMP_WAIT_POLICY set to
    something else) one thread: measured on a loaded 2-core node, two spinning threads ran
    at a quarter of one thread's rate, two passive ones at one thread's rate
    (benchmarks/sample_speed.py --threads-only, README "Speed")."""
    omp = _positive_int(os.environ.get("OMP_NUM_THREADS"))
    if omp is not None:
        return omp, "$OMP_NUM_THREADS"
    n, why = allowed_cpus()
    if n > 1 and not passive_wait():
        return 1, "OpenMP threads spin-wait (torch loaded before jetgen set OMP_WAIT_POLICY)"
    return n, why


def resolve_threads(threads: int | None) -> int:
    """``threads`` checked (≥ 1), or the default when None."""
    if threads is None:
        return default_threads()[0]
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise UsageError(f"threads must be a positive integer, got {threads!r}")
    return threads


def _set_interop(n: int) -> None:
    import torch

    # Inter-op threads only run independent ops side by side (torch.jit fork, some
    # autograd work); torch allows setting them once, before their first use, and raises
    # afterwards, so a second call in the same process keeps the first value.
    with suppress(RuntimeError):
        torch.set_num_interop_threads(n)


@contextmanager
def using_threads(threads: int | None) -> Iterator[int]:
    """Run the block with ``threads`` torch intra-op threads (None: :func:`default_threads`)
    and yield the count; the previous count is restored afterwards, so a notebook calling
    the API keeps its own setting."""
    import torch

    n = resolve_threads(threads)
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    _set_interop(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)
