"""``jetgen distill``: fewer sampling steps by progressive, consistency or regression
distillation, and the adversarial stage of a one-step student."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import threads_option


def distill(
    output: Path = typer.Option(Path("runs/distilled"), "--output", "-o", help="Run directory."),
    method: str = typer.Option("progressive", "--method", help="progressive, consistency, "
                                "compress (same steps, the cheaper --student-config network), "
                                "regression (one step onto --pairs), or adversarial "
                                "(fine-tune a one-step student against real jets)."),
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
    adv_weight: float = typer.Option(1.0, "--adv-weight", help="Adversarial: weight of the "
                                     "LSGAN generator loss."),
    anchor_weight: float = typer.Option(1.0, "--anchor-weight", help="Adversarial: weight of "
                                        "the MSE to the anchor (--pairs, else the frozen "
                                        "starting student)."),
    pairs: list[Path] | None = typer.Option(None, "--pairs", help="Regression and "
                                            "adversarial: the teacher's jets for fixed seeds, "
                                            "from `jetgen sample --model TEACHER --conditions "
                                            "TRAIN.h5` (repeat for several files)."),
    val_data: list[Path] | None = typer.Option(None, "--val-data", help="Files to validate "
                                               "on, whole (default: the validation split of "
                                               "--data; with it, all of --data is trained on)."),
    dm_weight: float = typer.Option(0.0, "--dm-weight", help="Adversarial: weight of "
                                    "distribution matching to --score-teacher (0: off)."),
    score_teacher: str | None = typer.Option(None, "--score-teacher", help="Adversarial: "
                                             "the multi-step teacher whose denoiser is the "
                                             "real score for --dm-weight."),
    fake_lr: float = typer.Option(1e-4, "--fake-lr", help="Adversarial: learning rate of "
                                  "the fake score (distribution matching)."),
    fake_updates: int = typer.Option(1, "--fake-updates", help="Adversarial: fake-score "
                                     "steps per student step."),
    disc_lr: float = typer.Option(1e-4, "--disc-lr", help="Adversarial: discriminator "
                                  "learning rate."),
    val_every: int | None = typer.Option(None, "--val-every", help="Optimiser steps between "
                                         "validations (default: min(200, --train-steps))."),
    val_jets: int = typer.Option(2000, "--val-jets", help="Regression and adversarial: jets "
                                 "per class per validation (and per half of the floor)."),
    disc_warmup: int = typer.Option(200, "--disc-warmup", help="Adversarial: first steps in "
                                    "which only the discriminator learns."),
    patience: int = typer.Option(6, "--patience", help="Regression and adversarial: "
                                 "validations without a better physics score before stopping."),
    threads: int | None = threads_option(),
) -> None:
    """Distil a teacher into a faster student.

    Example: jetgen distill --factor 2 --teacher pythia30-teacher --data data/t30.h5
    --train-steps 20 -o runs/pd2

    Compress a one-step student into a cheaper network:
    jetgen distill --method compress --teacher pythia30-pd1
    --student-config configs/student-epic-fast.toml --precision bf16 -o runs/epic1

    Halve the jet-level model's steps twice: jetgen distill --part jet --factor 4
    --teacher runs/epic1/ema.safetensors -o runs/epic1-jet

    Sharpen a one-step student's substructure against real jets (early-stopped on the
    validation split's τ21, τ32, D2, mass and FPND_ref; validation.csv/.png in the run):
    jetgen distill --method adversarial --teacher pythia30-epic1 --data data/t30.h5
    --train-steps 2000 --lr 3e-5 --precision bf16 -o runs/adv

    Match a one-step student's distribution to a multi-step teacher's (DMD2: distribution
    matching plus the critic, no anchor):
    jetgen distill --method adversarial --teacher pythia30-adv1 --score-teacher
    pythia30-teacher --dm-weight 1 --anchor-weight 0 --data data/t30.h5 -o runs/dmd

    One step straight onto the teacher's own jets (made once, reusable, shardable):
    jetgen sample --model pythia30-teacher --conditions data/t30.h5 --n 2000 --seed 7
    -o pairs.h5 ; jetgen distill --method regression --pairs pairs.h5
    --teacher pythia30-teacher --data data/t30.h5 --train-steps 500 -o runs/reg
    """
    from ..config import load_run_config
    from ..distill.adversarial import AdversarialSettings
    from ..distill.methods import distill as run_distill
    from ..distill.methods import train_config
    from ..distill.validated import StageValidation
    from ..threads import using_threads
    from .progress import step_progress

    cfg = train_config(train_steps, lr=lr, batch_size=batch_size, val_every=val_every,
                       val_data=val_data)
    settings = AdversarialSettings(adv_weight=adv_weight, anchor_weight=anchor_weight,
                                   disc_lr=disc_lr, disc_warmup=disc_warmup,
                                   dm_weight=dm_weight, fake_lr=fake_lr,
                                   fake_updates=fake_updates)
    student_net = load_run_config(student_config).model.net if student_config else None
    with using_threads(threads), step_progress(f"distilling ({method})", train_steps) as update:
        path = run_distill(output, method=method, factor=factor, steps=steps, teacher=teacher,
                           data=data, train=cfg, student_net=student_net,
                           teacher_steps=teacher_steps, teacher_sampler=teacher_sampler,
                           device=device, precision=precision, part=part, on_step=update,
                           adversarial=settings, pairs=pairs,
                           validation=StageValidation(val_jets=val_jets, patience=patience),
                           score_teacher=score_teacher, stop_on_signal=True)
    typer.echo(f"student weights: {path} (sample with `jetgen sample --model {path}`)")
