"""`jetgen distill` as a library function: rounds of progressive distillation, or one
consistency distillation, each a Trainer run with its own loss."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..config import NetConfig, RunConfig, TrainConfig
from ..diffusion.samplers import get_sampler
from ..errors import JetgenError, UsageError
from ..models.checkpoint import load_model, read_metadata
from ..registry import catalogue, resolve_model
from ..sample import resolve_device
from ..train import EMA_FILE, Trainer, load_splits
from .consistency import ConsistencyObjective, consistency_student
from .progressive import check_factor, progressive_loss, progressive_student

METHODS = ("progressive", "consistency")


def default_teacher(runs_dir: Path = Path("runs")) -> Path:
    """The newest teacher trained here, else the shipped teacher."""
    candidates = []
    if runs_dir.is_dir():
        for path in runs_dir.glob("*/" + EMA_FILE):
            try:
                meta = read_metadata(path)
            except JetgenError:
                continue
            if not meta.get("distillation"):
                candidates.append(path)
    if candidates:
        return max(candidates, key=lambda p: p.stat().st_mtime)
    cat = catalogue()
    teachers = sorted((n for n, e in cat.models.items() if e.get("role") == "teacher"),
                      key=lambda n: n != cat.default)
    if teachers:
        return resolve_model(teachers[0])[0]
    raise JetgenError("no teacher found: pass --teacher PATH (train one with `jetgen train`)")


def distill(output: Path, *, method: str = "progressive", factor: int = 2, steps: int = 1,
            teacher: str | None = None, data: list[Path] | None = None,
            train: TrainConfig | None = None, student_net: NetConfig | None = None,
            teacher_steps: int | None = None, teacher_sampler: str | None = None,
            device: str = "cpu",
            on_step: Callable[[dict], None] | None = None,
            on_round: Callable[[int, int], None] | None = None) -> Path:
    """Distil ``teacher``; returns the final student's weights file (in ``output``).

    ``student_net``: a particle network for the (first) student other than the teacher's,
    trained from scratch against the teacher — the way to a student cheaper than its teacher.
    ``teacher_steps``: the teacher's step count to start from (default: its own), e.g. 16
    so that four progressive rounds reach one step.
    ``teacher_sampler``: how the first round's teacher takes its steps (default: its own
    sampler, Heun in place of a multistep solver); later rounds' teachers are Euler students.
    """
    if method not in METHODS:
        from ..errors import nearest

        raise UsageError(f"unknown method {method!r}{nearest(method, METHODS)}")
    teacher_path = resolve_model(teacher)[0] if teacher else default_teacher()
    dev = resolve_device(device)
    model, meta = load_model(teacher_path, dev)
    if model.config.parameterization != "edm":
        raise UsageError(f"{teacher_path}: a consistency model cannot be a teacher")
    if teacher_steps is not None:
        if teacher_steps < 1:
            raise UsageError(f"--teacher-steps must be at least 1, got {teacher_steps}")
        model.config.steps = teacher_steps
    if teacher_sampler is not None:
        get_sampler(teacher_sampler)  # a misspelt name fails before any data is read
    if data is None:
        data = [Path(p) for p in meta.get("training_data") or []]
        if not data:
            raise JetgenError(f"{teacher_path} records no training data; pass --data FILE.h5")
    missing = [str(p) for p in data if not Path(p).exists()]
    if missing:
        raise JetgenError(f"training data not found: {', '.join(missing)}; pass --data")
    train_cfg = train or TrainConfig(lr=1e-4, warmup_steps=100, total_steps=2000)
    train_jets, val_jets = load_splits(data, model.config.n_particles, model.config.classes)
    lineage = {"teacher": str(teacher_path), "training_data": [str(p) for p in data],
               "reference": meta.get("reference")}
    output = Path(output)
    model.requires_grad_(False)
    if method == "progressive":
        rounds = check_factor(factor, model.config.steps)
        for r in range(rounds):
            student = progressive_student(model, student_net if r == 0 else None)
            run_dir = output / f"round{r + 1}-{student.config.steps}steps"
            info = {**lineage, "distillation": {"method": "progressive", "stage": r + 1,
                                                "rounds": rounds, "steps": student.config.steps}}
            loss = progressive_loss(model, teacher_sampler if r == 0 else None)
            trainer = Trainer(student, RunConfig(student.config, train_cfg), run_dir,
                              train_jets, val_jets, dev, info, loss_fn=loss)
            if on_round is not None:
                on_round(r + 1, rounds)
            trainer.resume()
            trainer.fit(train_cfg.total_steps, on_step=on_step)
            model = trainer.ema.requires_grad_(False)
            lineage["teacher"] = str(run_dir / EMA_FILE)
        return run_dir / EMA_FILE
    if steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    student = consistency_student(model, steps, student_net)
    objective = ConsistencyObjective(model, student)
    info = {**lineage, "distillation": {"method": "consistency", "stage": 1, "steps": steps}}
    trainer = Trainer(student, RunConfig(student.config, train_cfg), output, train_jets,
                      val_jets, dev, info, loss_fn=objective, after_step=objective.update_target)
    if trainer.resume():
        objective.target.load_state_dict(trainer.model.state_dict())
    trainer.fit(train_cfg.total_steps, on_step=on_step)
    return output / EMA_FILE

