"""Data-parallel training: ``torchrun --nproc-per-node N -m jetgen train …``, or
``jetgen train --devices N``, which starts the same N processes through torch's elastic
launcher (what torchrun runs).

Every optimiser step draws one global batch — indices and noise from the step's generator,
exactly as a single process does — and rank r trains on rows r·B/W … (r+1)·B/W of it.
DDP averages the gradients, so each update equals the single-process one up to float
rounding and the EMA weights are the same on every rank (checked at the end). Rank 0 alone
validates, logs and writes checkpoints; they hold nothing rank-specific, so a run resumes
on any number of ranks. gloo on CPU, nccl on CUDA (one GPU per rank: cuda:LOCAL_RANK).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .device import check_precision
from .errors import JetgenError, UsageError


@dataclass
class DistContext:
    """This process's place in the run (rank 0 of 1 when not distributed)."""

    device: torch.device
    rank: int = 0
    world_size: int = 1

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def rows(self, batch_size: int) -> slice:
        """This rank's rows of a global batch (sizes differ by at most one)."""
        return slice(self.rank * batch_size // self.world_size,
                     (self.rank + 1) * batch_size // self.world_size)

    def all_sum(self, values: torch.Tensor) -> torch.Tensor:
        """Sum over ranks (float64, so the logged global loss barely depends on W)."""
        if not self.active:
            return values
        out = values.to(self.device, torch.float64)
        dist.all_reduce(out)
        return out.cpu()

    def any(self, flag: bool) -> bool:
        """True on every rank when it is true on one (a stop request must stop all)."""
        if not self.active:
            return bool(flag)
        value = torch.tensor([int(flag)], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def check_same(self, module: torch.nn.Module, what: str) -> None:
        """Raise unless ``module``'s tensors are bit-identical on every rank."""
        if not self.active:
            return
        flat = torch.cat([t.detach().flatten().double() for t in module.state_dict().values()])
        high, low = flat.to(self.device), flat.to(self.device).clone()
        dist.all_reduce(high, op=dist.ReduceOp.MAX)
        dist.all_reduce(low, op=dist.ReduceOp.MIN)
        if not torch.equal(high, low):
            raise JetgenError(f"{what} differ between ranks (max difference "
                              f"{(high - low).abs().max().item():.3g}); please report this")


def check_options(ctx: DistContext, precision: str, batch_size: int, *, custom_loss: bool,
                  compile: bool) -> None:
    check_precision(precision)
    if custom_loss and (ctx.active or precision != "fp32" or compile):
        raise UsageError("several devices, --precision and --compile are for `jetgen train`'s "
                         "diffusion loss; custom losses (distillation, --part jet) run in one "
                         "process and cast their own forward passes")
    if batch_size < ctx.world_size:
        raise UsageError(f"batch size {batch_size} is smaller than the {ctx.world_size} ranks")


def wrap_objective(objective: torch.nn.Module, ctx: DistContext,
                   compile: bool) -> torch.nn.Module:
    """DDP around the loss module when distributed (its forward must run for DDP to sync
    gradients), then torch.compile when asked."""
    module = objective
    if ctx.active:
        from torch.nn.parallel import DistributedDataParallel

        ids = [ctx.device] if ctx.device.type == "cuda" else None
        module = DistributedDataParallel(module, device_ids=ids)
    if compile:
        module = torch.compile(module)
    return module


@contextlib.contextmanager
def session(device: str) -> Iterator[DistContext]:
    """The process group torchrun's environment describes (none when WORLD_SIZE ≤ 1)."""
    from .device import resolve_device

    world = int(os.environ.get("WORLD_SIZE", "1"))
    dev = resolve_device(device)
    if world <= 1:
        yield DistContext(dev)
        return
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    if dev.type == "cuda":
        # Checked the same way on every rank, so rank 0 (the one that reports) fails too.
        per_node = int(os.environ.get("LOCAL_WORLD_SIZE", world))
        if per_node > torch.cuda.device_count():
            raise UsageError(f"{per_node} ranks on this machine but only "
                             f"{torch.cuda.device_count()} GPU(s) visible; one GPU per rank")
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
    dist.init_process_group("nccl" if dev.type == "cuda" else "gloo", rank=rank,
                            world_size=world)
    try:
        yield DistContext(dev, rank, world)
    finally:
        # DDP's reducer holds the process group; freed only at interpreter exit, gloo's
        # worker threads die unjoined there and abort the process (SIGABRT).
        gc.collect()
        dist.destroy_process_group()


def launch(devices: int, args: list[str]) -> int:
    """Run ``python -m jetgen ARGS`` as ``devices`` ranks on this machine, as
    ``torchrun --standalone --nproc-per-node DEVICES`` would; returns the exit status.

    The ranks print their own errors; only a rank killed by a signal is reported here.
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    if devices < 1:
        raise UsageError(f"--devices must be at least 1, got {devices}")
    # The agent logs each signal it forwards; rank 0's own line says what happened.
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("torch.distributed.elastic") and isinstance(logger, logging.Logger):
            logger.setLevel(logging.ERROR)
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=devices,
                          run_id=str(uuid.uuid4()), rdzv_backend="c10d",
                          rdzv_endpoint="localhost:0", max_restarts=0, monitor_interval=0.2)
    threads = os.environ.get("OMP_NUM_THREADS")
    # The ranks share this machine's cores (torchrun would give each one thread).
    os.environ["OMP_NUM_THREADS"] = threads or str(max(1, (os.cpu_count() or 1) // devices))
    try:
        elastic_launch(config, sys.executable)("-u", "-m", "jetgen", *args)
    except ChildFailedError as err:
        rank, failure = err.get_first_failure()
        if failure.exitcode < 0:
            raise JetgenError(f"rank {rank} was killed ({failure.signal_name()})") from None
        return failure.exitcode
    except SignalException as err:
        return 128 + int(err.sigval)
    finally:
        if threads is None:
            os.environ.pop("OMP_NUM_THREADS", None)
    return 0
