"""A sampling run planned before any model loads: every argument checked (all problems in
one line), the --conditions file read once, the device, the compute block and the shard's
jet range settled. The CLI sizes its progress bar from the plan and hands the same plan to
run.py, so nothing is checked or read twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..device import check_precision, resolve_device
from ..errors import JetgenError, UsageError
from ..jets import parse_classes
from .jobs import Jobs, list_jobs
from .precision import SAMPLE_PRECISIONS
from .seeds import check_seed
from .shards import Shard, parse_shard, shard_range

#: Jets per network call, fixed and aligned to the jet index: BLAS kernels round
#: differently for different batch shapes, so a jet must always share its call with the
#: same neighbours to come out bit-identical whatever --batch-size or --shard is. The
#: block depends only on the device type and backend (see compute_block), never on
#: --batch-size: 256 on a CPU, larger where one call must fill a GPU or amortise ONNX
#: Runtime's per-call cost. Every block is a multiple of COMPUTE_BLOCK.
COMPUTE_BLOCK = 256
CUDA_BLOCK = 8192
ONNX_BLOCK = 4096


def compute_block(device: torch.device, backend: str = "torch") -> int:
    """Jets per network call for this device and backend (recorded in provenance)."""
    if backend == "onnxruntime":
        return ONNX_BLOCK
    return CUDA_BLOCK if device.type == "cuda" else COMPUTE_BLOCK


@dataclass(frozen=True)
class SamplePlan:
    """Everything that decides a run's jets except the loaded model: which jets (``jobs``,
    with --conditions already read), the seed in its 64-bit form, where and how they are
    computed, and the slice [start, stop) that this run (or shard) makes. ``classes`` are
    the classes asked for (None with --conditions alone); ``jobs.classes`` those made."""

    jobs: Jobs
    seed: int
    device: torch.device
    block: int
    start: int
    stop: int
    classes: list[int] | None = None
    model: str | None = None
    sampler: str | None = None
    steps: int | None = None
    schedule: str | None = None
    precision: str = "auto"
    backend: str = "torch"
    batch_size: int = 1000
    shard: Shard | None = None
    conditions: Path | None = None
    output: Path | None = None
    overwrite: bool = False

    @property
    def total(self) -> int:
        """Jets in the whole run (all shards)."""
        return self.jobs.total

    @property
    def jets(self) -> int:
        """Jets this plan makes (its shard's, or the whole run's)."""
        return self.stop - self.start


def plan_sample(*, model: str | None = None, classes: Sequence[int] | str | Sequence[str] | None
                = None, n: int | None = None, conditions: Path | None = None,
                conditions_tree: str | None = None, seed: int = 0, sampler: str | None = None,
                steps: int | None = None, schedule: str | None = None, batch_size: int = 1000,
                device: str = "cpu", precision: str = "auto", backend: str = "torch",
                shard: Shard | str | None = None, output: str | Path | None = None,
                overwrite: bool = False) -> SamplePlan:
    """Check every argument and settle what the run makes, reporting every problem at once.

    ``classes``: class indices, or names as --jet takes them ("t", "top,w", "all");
    ``shard``: a Shard or its "i/N" text; ``output``: checked (writable, not clobbered
    without ``overwrite``, a known type) when given. The model is not loaded here.
    """
    from ..export.runtime import check_backend
    from ..io import file_format
    from ..io.atomic import check_output

    problems: list[JetgenError] = []
    found: dict[str, Any] = {"classes": None, "shard": shard, "jobs": None, "output": None}

    def check(key: str | None, fn: Callable[..., Any], *args: Any) -> None:
        try:
            value = fn(*args)
        except JetgenError as err:
            problems.append(err)
        else:
            if key:
                found[key] = value

    if isinstance(classes, str) or (classes and any(isinstance(c, str) for c in classes)):
        check("classes", parse_classes, classes)
    elif classes is not None:
        found["classes"] = list(classes)
    if not problems:  # a plan for unknown classes would repeat the class error
        check("jobs", list_jobs, found["classes"], n, conditions, conditions_tree)
    if output is not None:
        check("output", check_output, output, overwrite)
        check(None, file_format, Path(output))
    if isinstance(shard, str):
        check("shard", parse_shard, shard)
    check("seed", check_seed, seed)
    if batch_size <= 0:
        problems.append(UsageError(f"--batch-size must be positive, got {batch_size}"))
    check(None, check_precision, precision, SAMPLE_PRECISIONS)
    check(None, check_backend, backend)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        error = UsageError("; ".join(str(p) for p in problems))
        error.exit_code = max(p.exit_code for p in problems)
        raise error
    jobs: Jobs = found["jobs"]
    dev = resolve_device(device)
    block = compute_block(dev, backend)
    start, stop = shard_range(jobs.total, found["shard"], block)
    return SamplePlan(jobs, found["seed"], dev, block, start, stop,
                      classes=found["classes"], model=model,
                      sampler=sampler, steps=steps, schedule=schedule, precision=precision,
                      backend=backend, batch_size=batch_size, shard=found["shard"],
                      conditions=conditions, output=found["output"], overwrite=overwrite)
