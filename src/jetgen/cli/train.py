"""``jetgen train``: fit a conditional diffusion teacher on jet files."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import threads_option

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
    from ..train import EMA_FILE
    from ..train_job import TrainJob, train_job
    from .progress import step_progress

    job = TrainJob(data=data, output=output, config=config, epochs=epochs, steps=steps,
                   resume=resume, init_from=init_from, device=device, devices=devices,
                   precision=precision, compile=compile_, part=part, threads=threads)
    if dry_run:
        typer.echo(job.dry_run())
        return
    last = train_job(job, progress=step_progress)
    if last is not None:  # rank 0
        typer.echo(f"step {last.get('step', 0)}: loss {last.get('loss', float('nan')):.4f}; "
                   f"weights in {output / EMA_FILE}")


train.__doc__ = f"{train.__doc__}\n\n{EXAMPLE}"
