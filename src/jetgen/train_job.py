"""``jetgen train`` as one library call: the options as a :class:`TrainJob`, resolved into
a RunConfig (epochs become steps), relaunched as data-parallel ranks where asked, run
with SIGTERM/Ctrl-C stopping at the next step (stopping.py), and ended with an error
that says how to continue when it was stopped early."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from .config import RunConfig
from .errors import JetgenError, UsageError, nearest

TRAIN_PARTS = ("all", "jet")

#: (description, total steps) → a context yielding ``update(record)`` (cli/progress.py).
Progress = Callable[[str, int], AbstractContextManager[Callable[[dict], None] | None]]


@dataclass
class TrainJob:
    """What ``jetgen train`` was asked to do (its options, one field each)."""

    data: list[Path]
    output: Path
    config: Path | None = None
    epochs: float | None = None
    steps: int | None = None
    resume: bool = False
    init_from: str | None = None
    device: str = "auto"
    devices: int = 1
    precision: str = "fp32"
    compile: bool = False
    part: str = "all"
    threads: int | None = None

    def check(self) -> None:
        if self.part not in TRAIN_PARTS:
            raise UsageError(f"unknown --part {self.part!r}{nearest(self.part, TRAIN_PARTS)}")
        if self.part == "jet" and (self.devices > 1 or self.precision != "fp32"
                                   or self.compile):
            raise UsageError("--part jet trains a small MLP on one process in fp32; drop "
                             "--devices, --precision and --compile")

    def run_config(self) -> RunConfig:
        """--config with --steps, or --epochs (passes over the training split) as steps."""
        from .config import load_run_config
        from .data.splits import FRACTIONS
        from .io import count_jets

        self.check()
        run = load_run_config(self.config)
        if self.steps is not None:
            run.train.total_steps = self.steps
        elif self.epochs is not None:
            n_train = sum(count_jets(p) for p in self.data) * FRACTIONS["train"]
            run.train.total_steps = max(1, int(self.epochs * n_train / run.train.batch_size))
        return run

    def dry_run(self) -> str:
        """The resolved config as TOML, as a run would use it (a new run's particle count
        and network follow its first data file)."""
        from .config import dumps_toml, for_particles, to_dict
        from .io import particles_in

        run = self.run_config()
        if not (self.resume or self.init_from or self.part == "jet"):
            run.model = for_particles(run.model, particles_in(self.data[0]), str(self.data[0]))
        return dumps_toml(to_dict(run))

    def rank_args(self, run: RunConfig) -> list[str]:
        """``jetgen train`` arguments for each data-parallel rank: the steps resolved once,
        the allowed CPU threads shared out."""
        from .threads import resolve_threads

        threads = self.threads or max(1, resolve_threads(None) // self.devices)
        return ["train", *[a for p in self.data for a in ("--data", str(p))],
                "-o", str(self.output), "--steps", str(run.train.total_steps),
                "--device", self.device, "--precision", self.precision,
                *(["--config", str(self.config)] if self.config else []),
                *(["--resume"] if self.resume else []),
                *(["--compile"] if self.compile else []),
                *(["--init-from", self.init_from] if self.init_from else []),
                "--threads", str(threads)]


def train_job(job: TrainJob, progress: Progress | None = None) -> dict | None:
    """Run ``job``; returns the last log record, or None where this process is not rank 0
    or has launched the ranks.

    ``devices > 1`` outside torchrun relaunches this command as that many ranks (a failed
    rank's exit status becomes this process's). A stop request (stopping.py) checkpoints
    after the current step and raises an error, exit status 128 + signal, that says how to
    continue."""
    from .jetlevel import train_jet_level
    from .stopping import stop_requests
    from .threads import using_threads
    from .train import STATE_FILE, train_from_files

    run = job.run_config()
    if job.devices > 1 and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        from .distributed import launch

        code = launch(job.devices, job.rank_args(run))
        if code:  # the ranks have printed why; only the exit status is left to pass on
            raise SystemExit(code)
        return None
    rank = int(os.environ.get("RANK", "0"))
    total = run.train.total_steps
    bar = progress("training", total) if progress is not None and rank == 0 else (
        contextlib.nullcontext(None))
    try:
        with stop_requests() as stop, using_threads(job.threads), bar as update:
            if job.part == "jet":
                last = train_jet_level(job.data, job.output, run, init_from=job.init_from,
                                       resume=job.resume, device=job.device, on_step=update,
                                       should_stop=stop)
            else:
                last = train_from_files(job.data, job.output, run, resume=job.resume,
                                        device=job.device, on_step=update, should_stop=stop,
                                        precision=job.precision, compile=job.compile,
                                        init_from=job.init_from)
    except JetgenError as err:
        if rank:  # every rank meets the same error; rank 0 reports it
            raise SystemExit(err.exit_code) from None
        raise
    if rank:
        return None
    step = last.get("step", 0)
    if stop() and step < total:
        # Non-zero, so a batch system does not take the run for finished.
        raise stop.stopped(f"at step {step} of {total}; checkpoint saved in "
                           f"{Path(job.output) / STATE_FILE}; continue with the same command "
                           "and --resume")
    return last
