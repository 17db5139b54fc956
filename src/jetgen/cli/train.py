"""``jetgen train``: fit a conditional diffusion teacher on jet files."""

from __future__ import annotations

import signal
from pathlib import Path

import typer

EXAMPLE = "Example: jetgen train --data data/t30.h5 --data data/g30.h5 -o runs/teacher --steps 2000"


def train(
    data: list[Path] = typer.Option(..., "--data", "-d", help="Training file(s) (HDF5/ROOT)."),
    output: Path = typer.Option(..., "--output", "-o", help="Run directory."),
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML with \\[model] and "
                                       "\\[train] tables (see --dry-run)."),
    epochs: float | None = typer.Option(None, "--epochs", help="Passes over the training split."),
    steps: int | None = typer.Option(None, "--steps", help="Optimiser steps (overrides --epochs)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the run's checkpoint."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the resolved config and exit."),
) -> None:
    """Train a teacher (EMA weights in OUTPUT/ema.safetensors, log in OUTPUT/metrics.jsonl)."""
    from ..config import dumps_toml, load_run_config, to_dict
    from ..data.splits import FRACTIONS
    from ..io import count_jets
    from ..train import train_from_files
    from .progress import step_progress

    run = load_run_config(config)
    if steps is not None:
        run.train.total_steps = steps
    elif epochs is not None:
        n_train = sum(count_jets(p) for p in data) * FRACTIONS["train"]
        run.train.total_steps = max(1, int(epochs * n_train / run.train.batch_size))
    if dry_run:
        typer.echo(dumps_toml(to_dict(run)))
        return
    stop = {"flag": False}

    def request_stop(signum, frame):  # finish the step, checkpoint, exit cleanly
        stop["flag"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with step_progress("training", run.train.total_steps) as update:
        last = train_from_files(data, output, run, resume=resume, device=device,
                                on_step=update, should_stop=lambda: stop["flag"])
    typer.echo(f"step {last.get('step')}: loss {last.get('loss', float('nan')):.4f}; weights in "
               f"{output / 'ema.safetensors'}")


train.__doc__ = f"{train.__doc__}\n\n{EXAMPLE}"
