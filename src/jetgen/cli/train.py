"""``jetgen train``: fit a conditional diffusion teacher on jet files."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

import typer

from .options import threads_option

TRAIN_PARTS = ("all", "jet")
EXAMPLE = "Example: jetgen train --data data/t30.h5 -o runs/teacher --steps 200"


def train(
    data: list[Path] = typer.Option(..., "--data", "-d", help="Training file(s) (HDF5/ROOT)."),
    output: Path = typer.Option(..., "--output", "-o", help="Run directory."),
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML with \\[model] and "
                                       "\\[train] tables (see --dry-run)."),
    epochs: float | None = typer.Option(None, "--epochs", help="Passes over the training split."),
    steps: int | None = typer.Option(None, "--steps", help="Optimiser steps (overrides --epochs)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the run's checkpoint."),
    init_from: str | None = typer.Option(None, "--init-from", help="Start from these weights "
                                         "(model name or .safetensors; their model config "
                                         "wins over --config's), e.g. to continue a shipped "
                                         "teacher."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the resolved config and exit."),
    devices: int = typer.Option(1, "--devices", help="Data-parallel processes (one per GPU; "
                                "on CPU they share the cores); same as torchrun "
                                "--nproc-per-node N -m jetgen train."),
    precision: str = typer.Option("fp32", "--precision", help="fp32, or bf16 (autocast)."),
    compile_: bool = typer.Option(False, "--compile", help="torch.compile the network."),
    part: str = typer.Option("all", "--part", help="all, or jet: a new jet-level model "
                             "(\\[model.jet_net], \\[train] of --config) beside the particle "
                             "model of --init-from (any teacher or student), kept as is."),
    threads: int | None = threads_option(),
) -> None:
    """Train a teacher (EMA weights in OUTPUT/ema.safetensors, log in OUTPUT/metrics.jsonl).

    Retrain the jet-level model of a shipped student: jetgen train --part jet
    --init-from pythia30-epic1 --config configs/jet-level.toml --data data/t30.h5 -o runs/jl
    """
    from ..config import dumps_toml, load_run_config, to_dict
    from ..data.splits import FRACTIONS
    from ..errors import JetgenError, UsageError, nearest
    from ..io import count_jets
    from ..jetlevel import train_jet_level
    from ..threads import resolve_threads, using_threads
    from ..train import train_from_files
    from .progress import step_progress

    if part not in TRAIN_PARTS:
        raise UsageError(f"unknown --part {part!r}{nearest(part, TRAIN_PARTS)}")
    if part == "jet" and (devices > 1 or precision != "fp32" or compile_):
        raise UsageError("--part jet trains a small MLP on one process in fp32; drop "
                         "--devices, --precision and --compile")
    run = load_run_config(config)
    if steps is not None:
        run.train.total_steps = steps
    elif epochs is not None:
        n_train = sum(count_jets(p) for p in data) * FRACTIONS["train"]
        run.train.total_steps = max(1, int(epochs * n_train / run.train.batch_size))
    if dry_run:
        if not (resume or init_from or part == "jet"):  # as a new run would: from the data
            from ..config import for_particles
            from ..io import particles_in

            run.model = for_particles(run.model, particles_in(data[0]), str(data[0]))
        typer.echo(dumps_toml(to_dict(run)))
        return
    if devices > 1 and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        from ..distributed import launch

        args = ["train", *[a for p in data for a in ("--data", str(p))], "-o", str(output),
                "--steps", str(run.train.total_steps), "--device", device,
                "--precision", precision, *(["--config", str(config)] if config else []),
                *(["--resume"] if resume else []), *(["--compile"] if compile_ else []),
                *(["--init-from", init_from] if init_from else []),
                # the ranks share the allowed CPUs
                "--threads", str(threads or max(1, resolve_threads(None) // devices))]
        code = launch(devices, args)
        if code:  # the ranks have printed why; typer.Exit would turn the status into 0
            sys.exit(code)
        return
    rank = int(os.environ.get("RANK", "0"))
    stop = {"flag": False, "signal": 0}

    def request_stop(signum, frame):  # finish the step, checkpoint, exit cleanly
        stop.update(flag=True, signal=signum)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    progress = step_progress("training", run.train.total_steps) if rank == 0 else (
        contextlib.nullcontext(None))
    try:
        with using_threads(threads), progress as update:
            if part == "jet":
                last = train_jet_level(data, output, run, init_from=init_from, resume=resume,
                                       device=device, on_step=update,
                                       should_stop=lambda: stop["flag"])
            else:
                last = train_from_files(data, output, run, resume=resume, device=device,
                                        on_step=update, should_stop=lambda: stop["flag"],
                                        precision=precision, compile=compile_,
                                        init_from=init_from)
    except JetgenError as err:
        if rank:  # every rank meets the same error; rank 0 reports it
            sys.exit(err.exit_code)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if rank:
        return
    step = last.get("step", 0)
    if stop["flag"] and step < run.train.total_steps:
        # Non-zero, so a batch system does not take the run for finished.
        error = JetgenError(f"stopped by {signal.Signals(stop['signal']).name} at step {step} "
                            f"of {run.train.total_steps}; checkpoint saved in "
                            f"{output / 'state.safetensors'}; continue with the same "
                            "command and --resume")
        error.exit_code = 128 + stop["signal"]
        raise error
    typer.echo(f"step {step}: loss {last.get('loss', float('nan')):.4f}; weights in "
               f"{output / 'ema.safetensors'}")


train.__doc__ = f"{train.__doc__}\n\n{EXAMPLE}"
