"""``jetgen distill``: fewer sampling steps by progressive or consistency distillation."""

from __future__ import annotations

from pathlib import Path

import typer


def distill(
    output: Path = typer.Option(Path("runs/distilled"), "--output", "-o", help="Run directory."),
    method: str = typer.Option("progressive", "--method", help="progressive, consistency, or "
                                "compress (same steps, the cheaper --student-config network)."),
    factor: int = typer.Option(2, "--factor", help="Progressive: step reduction (power of 2)."),
    steps: int = typer.Option(1, "--steps", help="Consistency: sampling steps of the student."),
    teacher: str | None = typer.Option(None, "--teacher", help="Teacher name or file (default: "
                                       "newest in runs/, else the shipped teacher)."),
    data: list[Path] | None = typer.Option(None, "--data", help="Training data (default: the "
                                           "teacher's recorded data)."),
    teacher_steps: int | None = typer.Option(None, "--teacher-steps", help="Progressive: "
                                             "start from the teacher at this many steps "
                                             "(default: its own)."),
    teacher_sampler: str | None = typer.Option(
        None, "--teacher-sampler", help="Progressive: sampler of the first round's teacher "
        "steps (default: its own; Heun for multistep solvers such as dpmpp_2m)."),
    train_steps: int = typer.Option(2000, "--train-steps", help="Optimiser steps per round."),
    lr: float = typer.Option(1e-4, "--lr", help="Learning rate."),
    batch_size: int = typer.Option(256, "--batch-size", help="Jets per step."),
    student_config: Path | None = typer.Option(
        None, "--student-config", help="TOML whose \\[model.net] table gives the student a "
        "smaller particle network than the teacher's, trained from scratch (faster sampling)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    part: str = typer.Option("particle", "--part", help="Progressive: distil the particle "
                             "model, or the jet-level model of (pT, eta, mass, n) ('jet')."),
    precision: str = typer.Option("fp32", "--precision", help="fp32 or bf16 (autocast forward "
                                  "passes; for a student that samples in bf16)."),
) -> None:
    """Distil a teacher into a faster student.

    Example: jetgen distill --factor 2 --teacher runs/teacher30/ema.safetensors -o runs/pd2

    Compress a one-step student into a cheaper network:
    jetgen distill --method compress --teacher pythia30-pd1
    --student-config configs/student-epic-fast.toml --precision bf16 -o runs/epic1

    Halve the jet-level model's steps twice: jetgen distill --part jet --factor 4
    --teacher runs/epic1/ema.safetensors -o runs/epic1-jet
    """
    from ..config import TrainConfig, load_run_config
    from ..distill.run import distill as run_distill
    from .progress import step_progress

    cfg = TrainConfig(lr=lr, batch_size=batch_size, total_steps=train_steps,
                      warmup_steps=min(100, train_steps // 10 + 1),
                      checkpoint_every=max(1, min(200, train_steps)),
                      val_every=max(1, min(200, train_steps)))
    student_net = load_run_config(student_config).model.net if student_config else None
    with step_progress(f"distilling ({method})", train_steps) as update:
        path = run_distill(output, method=method, factor=factor, steps=steps, teacher=teacher,
                           data=data, train=cfg, student_net=student_net,
                           teacher_steps=teacher_steps, teacher_sampler=teacher_sampler,
                           device=device, precision=precision, part=part, on_step=update)
    typer.echo(f"student weights: {path} (sample with `jetgen sample --model {path}`)")
