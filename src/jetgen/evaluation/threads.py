"""Thread-count control for the evaluation's numeric kernels.

Small batched tensor ops (EFP contractions, kT clustering steps) run faster on one thread:
with two OpenMP threads on a 2-core machine that also runs Pythia or training, every op
waits at a barrier for a core that is busy elsewhere (measured: 5x slower).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads, restoring the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def blas_threads(n: int):
    """Limit numpy's BLAS/LAPACK threads for the block (via threadpoolctl, which scipy
    stacks ship; without it, BLAS keeps its own threading). Same barrier problem as above,
    worse: a 256 × 256 ``eigh`` takes 1.1 s with two OpenBLAS threads on a loaded machine,
    15 ms with one."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(n, user_api="blas")


@contextmanager
def single_threaded() -> Iterator[None]:
    """One torch thread and one BLAS thread (parallelism comes from Python threads)."""
    with torch_threads(1), blas_threads(1):
        yield
