"""`jetgen distill` as a library function: rounds of progressive distillation, one
consistency distillation, a regression onto the teacher's own jets (pairs.py), or an
adversarial stage, each a Trainer run with its own loss."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..config import NetConfig, RunConfig, TrainConfig
from ..data.splits import load_splits
from ..device import check_precision, resolve_device
from ..diffusion.consistency import MULTISTEP_WITHDRAWN
from ..diffusion.samplers import get_sampler
from ..errors import JetgenError, UsageError, nearest
from ..jets import Jets
from ..models.checkpoint import read_metadata, read_model
from ..models.jetmodel import JetModel
from ..registry import catalogue, resolve_model
from ..stopping import stop_at_next_step
from ..train import EMA_FILE, Trainer
from .adversarial import (
    AdversarialSettings,
    AdversarialTrainer,
    adversarial_student,
    check_one_step,
)
from .common import make_student, with_precision
from .consistency import ConsistencyObjective, consistency_student
from .pairs import PairRegression, read_pairs
from .progressive import (
    PARTS,
    STUDENT_SCHEDULE,
    check_compress,
    check_factor,
    compressed_student,
    progressive_loss,
    progressive_student,
    recipe,
)
from .validated import StageValidation, ValidatedTrainer, run_validated

METHODS = ("progressive", "consistency", "compress", "regression", "adversarial")


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


@dataclass
class Job:
    """What every method needs: the frozen teacher, the data, and how to train."""

    teacher: JetModel
    lineage: dict
    train_cfg: TrainConfig
    train_jets: Jets
    val_jets: Jets
    device: torch.device
    precision: str
    on_step: Callable[[dict], None] | None

    def trainer(self, student: JetModel, run_dir: Path, distillation: dict, loss_fn: Callable,
                after_step: Callable | None = None) -> Trainer:
        info = {**self.lineage, "distillation": {**distillation, "precision": self.precision}}
        return Trainer(student, RunConfig(student.config, self.train_cfg), run_dir,
                       self.train_jets, self.val_jets, self.device, info,
                       loss_fn=with_precision(loss_fn, self.device, self.precision),
                       after_step=after_step)


def distill(output: Path, *, method: str = "progressive", factor: int = 2, steps: int = 1,
            teacher: str | None = None, data: list[Path] | None = None,
            train: TrainConfig | None = None, student_net: NetConfig | None = None,
            teacher_steps: int | None = None, teacher_sampler: str | None = None,
            device: str = "cpu", precision: str = "fp32", part: str = "particle",
            on_step: Callable[[dict], None] | None = None,
            on_round: Callable[[int, int], None] | None = None,
            adversarial: AdversarialSettings | None = None,
            pairs: list[Path] | None = None, validation: StageValidation | None = None,
            score_teacher: str | None = None, stop_on_signal: bool = False) -> Path:
    """Distil ``teacher``; returns the final student's weights file (in ``output``).

    ``student_net``: a particle network for the (first) student other than the teacher's,
    trained from scratch against the teacher — the way to a student cheaper than its teacher.
    ``teacher_steps``: the teacher's step count (of the part distilled) to start from
    (default: its own), e.g. 16 so that four progressive rounds reach one step.
    ``teacher_sampler``: how the first round's teacher takes its steps (default: its own
    sampler, Heun in place of a multistep solver); later rounds' teachers are Euler students.
    ``method="compress"``: one round that keeps the teacher's step count and trains
    ``student_net`` (required) to reproduce each teacher step.
    ``part="jet"``: progressive rounds on the jet-level model of (pT, η, mass, n) instead,
    the particle model kept as is (``factor`` then divides the teacher's jet-level steps).
    ``precision``: "bf16" autocasts teacher and student forward passes (jetgen.device);
    a student that will sample in bf16 then also trains the way it runs.
    ``method="regression"``: a one-step student (a copy of ``teacher``, or ``student_net``
    from scratch) regressed onto ``pairs``, the multi-step teacher's jets for fixed seeds
    (pairs.py); returns the best-validated weights.
    ``method="adversarial"``: fine-tune the one-step ``teacher`` against real jets
    (adversarial.py, settings from ``adversarial``), anchored to ``pairs`` when given,
    else to its own frozen start, and with ``adversarial.dm_weight`` > 0 matched to the
    distribution of ``score_teacher`` (a multi-step teacher; matching.py); returns the
    best-validated weights.
    ``validation``: how the regression and adversarial stages validate and stop.
    ``train.val_data``: files to validate on, whole (independent seeds), instead of the
    validation split of ``data`` (all of which is then trained on).
    ``train``: how each round trains (default: :func:`train_config`'s, 2,000 steps).
    ``stop_on_signal``: SIGTERM/SIGINT end the run after the current step with an error
    naming the last checkpoint (stopping.stop_at_next_step), as ``jetgen distill`` does.
    """
    _check_choices(method, part, precision, steps, teacher_sampler, pairs)
    train = train or train_config()
    stop = (stop_at_next_step(Path(output), train.total_steps, train.checkpoint_every)
            if stop_on_signal else contextlib.nullcontext(lambda on_step: on_step))
    with stop as watch:
        return _distill(Path(output), method=method, factor=factor, steps=steps,
                        teacher=teacher, data=data, train=train, student_net=student_net,
                        teacher_steps=teacher_steps, device=device, precision=precision,
                        part=part, on_step=watch(on_step), teacher_sampler=teacher_sampler,
                        on_round=on_round, adversarial=adversarial, pairs=pairs,
                        validation=validation or StageValidation(),
                        score_teacher=score_teacher)


def train_config(steps: int = 2000, lr: float = 1e-4, batch_size: int = 256,
                 val_every: int | None = None,
                 val_data: list[Path] | None = None) -> TrainConfig:
    """How a distillation round trains (the library's and ``jetgen distill``'s default):
    a warm-up of a tenth of the steps up to 100, and a checkpoint and a validation every
    200 steps (or once at the end of a shorter run); ``val_data``: files to validate on
    instead of the data's validation split."""
    if val_every is not None and val_every < 1:
        raise UsageError(f"--val-every must be at least 1, got {val_every}")
    every = max(1, min(200, steps))
    return TrainConfig(lr=lr, batch_size=batch_size, total_steps=steps,
                       warmup_steps=min(100, steps // 10 + 1), checkpoint_every=every,
                       val_every=val_every or every,
                       val_data=[str(p) for p in val_data or []])


def _distill(output: Path, *, method: str, factor: int, steps: int, teacher: str | None,
             data: list[Path] | None, train: TrainConfig, student_net: NetConfig | None,
             teacher_steps: int | None, device: str, precision: str, part: str,
             on_step: Callable[[dict], None] | None, teacher_sampler: str | None,
             on_round: Callable[[int, int], None] | None,
             adversarial: AdversarialSettings | None, pairs: list[Path] | None,
             validation: StageValidation, score_teacher: str | None) -> Path:
    teacher_path = resolve_model(teacher)[0] if teacher else default_teacher()
    dev = resolve_device(device)
    model, meta = read_model(teacher_path, dev)
    if model.config.parameterization != "edm":
        raise UsageError(f"{teacher_path}: a consistency model cannot be a teacher")
    if teacher_steps is not None:
        if teacher_steps < 1:
            raise UsageError(f"--teacher-steps must be at least 1, got {teacher_steps}")
        if part == "jet":
            model.config.jet_steps = teacher_steps
        else:
            model.config.steps = teacher_steps
    if method == "compress":
        check_compress(model, student_net)  # before reading any data
    if method in ("regression", "adversarial"):
        validation.check()
    scorer = None
    if method == "adversarial":
        check_one_step(model)
        adversarial = adversarial or AdversarialSettings()
        adversarial.check()
        if adversarial.dm_weight > 0:
            scorer = _score_teacher(score_teacher, model, dev)
            lineage_score = str(resolve_model(score_teacher)[0])
    if method == "progressive":
        check_factor(factor, recipe(model, part)[1])
    data = _training_data(data, meta, teacher_path)
    val_data = [Path(p) for p in train.val_data] or None
    train_jets, val_jets = load_splits(data, model.config.n_particles, model.config.classes,
                                       val_data)
    lineage = {"teacher": str(teacher_path), "training_data": [str(p) for p in data],
               "validation_data": [str(p) for p in val_data] if val_data else None,
               "reference": meta.get("reference")}
    job = Job(model.requires_grad_(False), lineage, train, train_jets, val_jets, dev,
              precision, on_step)
    if method == "compress":
        return _compress(job, output, student_net, teacher_sampler)
    if method == "progressive":
        return _progressive(job, output, factor, part, student_net, teacher_sampler, on_round)
    if method == "regression":
        return _regression(job, output, student_net, read_pairs(pairs, model), validation)
    if method == "adversarial":
        anchor = read_pairs(pairs, model) if pairs else None
        if scorer is not None:
            job.lineage["score_teacher"] = lineage_score
        return _adversarial(job, output, adversarial, anchor, validation, scorer)
    return _consistency(job, output, steps, student_net)


def _score_teacher(name: str | None, student: JetModel, device) -> JetModel:
    """The multi-step teacher whose denoiser is the real score for distribution matching:
    an EDM model trained as such (a distilled student's denoiser is trained only on its own
    few noise levels), for the same particles and classes."""
    if not name:
        raise UsageError("--dm-weight needs --score-teacher, the multi-step teacher whose "
                         "distribution the student matches")
    path = resolve_model(name)[0]
    model, meta = read_model(path, device)
    if (model.config.parameterization != "edm" or meta.get("distillation")
            or model.config.steps == 1):
        raise UsageError(f"{path}: a one-step or distilled model cannot be the score teacher "
                         "(its denoiser is trained or used at a few noise levels only); give "
                         "the multi-step teacher")
    if (model.config.n_particles, model.config.classes) != (student.config.n_particles,
                                                             student.config.classes):
        raise UsageError(f"{path}: generates {model.config.n_particles} particles of "
                         f"{model.config.classes}, the student {student.config.n_particles} "
                         f"of {student.config.classes}")
    return model.requires_grad_(False)


def _check_choices(method: str, part: str, precision: str, steps: int,
                   teacher_sampler: str | None, pairs: list[Path] | None) -> None:
    """Refuse bad arguments before any file is read."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}{nearest(method, METHODS)}")
    check_precision(precision)
    if part not in PARTS:
        raise UsageError(f"unknown part {part!r}{nearest(part, PARTS)}")
    if part == "jet" and method != "progressive":
        raise UsageError("--part jet distils the jet-level model progressively; it takes no "
                         f"--method {method}")
    if method in ("regression", "adversarial") and part != "particle":
        raise UsageError(f"--method {method} trains the particle model only")
    if method == "regression" and not pairs:
        raise UsageError("--method regression needs --pairs FILE: the teacher's jets for "
                         "fixed seeds (jetgen sample --model TEACHER --conditions TRAIN.h5)")
    if pairs and method not in ("regression", "adversarial"):
        raise UsageError(f"--pairs is for --method regression or adversarial, not {method}")
    if method == "consistency" and steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    if method == "consistency" and steps > 1:
        raise UsageError(f"--steps {steps}: {MULTISTEP_WITHDRAWN}")
    if teacher_sampler is not None:
        get_sampler(teacher_sampler)  # a misspelt name fails before any data is read


def _training_data(data: list[Path] | None, meta: dict, teacher_path: Path) -> list[Path]:
    if data is None:
        data = [Path(p) for p in meta.get("training_data") or []]
        if not data:
            raise JetgenError(f"{teacher_path} records no training data; pass --data FILE.h5")
    missing = [str(p) for p in data if not Path(p).exists()]
    if missing:
        raise JetgenError(f"training data not found: {', '.join(missing)}; pass --data")
    return data


def _compress(job: Job, output: Path, student_net: NetConfig | None,
              teacher_sampler: str | None) -> Path:
    student = compressed_student(job.teacher, student_net)
    student.config.precision = job.precision
    trainer = job.trainer(student, output, {"method": "compress", "stage": 1,
                                            "steps": student.config.steps},
                          progressive_loss(job.teacher, teacher_sampler, substeps=1))
    trainer.resume()
    trainer.fit(job.train_cfg.total_steps, on_step=job.on_step)
    return output / EMA_FILE


def _progressive(job: Job, output: Path, factor: int, part: str,
                 student_net: NetConfig | None, teacher_sampler: str | None,
                 on_round: Callable[[int, int], None] | None) -> Path:
    model = job.teacher
    rounds = check_factor(factor, recipe(model, part)[1])
    prefix = "jet-" if part == "jet" else ""
    for r in range(rounds):
        student = progressive_student(model, student_net if r == 0 else None, part)
        if part == "particle":
            student.config.precision = job.precision
        steps_now = recipe(student, part)[1]
        run_dir = output / f"{prefix}round{r + 1}-{steps_now}steps"
        loss = progressive_loss(model, teacher_sampler if r == 0 else None, part=part)
        trainer = job.trainer(student, run_dir, {"method": "progressive", "stage": r + 1,
                                                 "rounds": rounds, "steps": steps_now,
                                                 "part": part}, loss)
        if on_round is not None:
            on_round(r + 1, rounds)
        trainer.resume()
        trainer.fit(job.train_cfg.total_steps, on_step=job.on_step)
        model = trainer.ema.requires_grad_(False)
        job.lineage["teacher"] = str(run_dir / EMA_FILE)
    return run_dir / EMA_FILE


def _consistency(job: Job, output: Path, steps: int, student_net: NetConfig | None) -> Path:
    student = consistency_student(job.teacher, steps, student_net)
    student.config.precision = job.precision
    objective = ConsistencyObjective(job.teacher, student)
    trainer = job.trainer(student, output, {"method": "consistency", "stage": 1,
                                            "steps": steps}, objective,
                          after_step=objective.update_target)
    target_file = output / TARGET_FILE
    if trainer.resume():
        # The target network is state of its own: resetting it to the online weights on
        # resume (as before) restarted the consistency targets mid-run.
        if target_file.exists():
            from safetensors.torch import load_file

            objective.target.load_state_dict(load_file(str(target_file)))
        else:
            objective.target.load_state_dict(trainer.model.state_dict())
    trainer.checkpoint_hooks.append(lambda: _save_target(objective.target, target_file))
    trainer.fit(job.train_cfg.total_steps, on_step=job.on_step)
    return output / EMA_FILE


def _regression(job: Job, output: Path, student_net: NetConfig | None, pairs,
                validation: StageValidation) -> Path:
    student = make_student(job.teacher, student_net, steps=1, sampler="euler",
                           schedule=STUDENT_SCHEDULE)
    student.config.precision = job.precision
    info = {**job.lineage, "distillation": {"method": "regression", "stage": 1, "steps": 1,
                                            "precision": job.precision,
                                            "pairs": pairs.summary()}}
    objective = PairRegression(pairs, job.train_cfg.batch_size)
    trainer = ValidatedTrainer(student, RunConfig(student.config, job.train_cfg), output,
                               job.train_jets, job.val_jets, job.device, info,
                               loss_fn=with_precision(objective, job.device, job.precision),
                               patience=validation.patience)
    return run_validated(trainer, job.val_jets, validation, job.train_cfg.total_steps,
                         job.on_step)


def _adversarial(job: Job, output: Path, settings: AdversarialSettings, pairs,
                 validation: StageValidation, score_teacher: JetModel | None) -> Path:
    student = adversarial_student(job.teacher)
    anchor = (PairRegression(pairs, job.train_cfg.batch_size) if pairs is not None
              else job.teacher)
    info = {**job.lineage, "distillation": {
        "method": "adversarial", "stage": 1, "steps": 1, "precision": job.precision,
        "adversarial": asdict(settings), "validation": asdict(validation),
        "anchor": pairs.summary() if pairs is not None else "frozen start"}}
    trainer = AdversarialTrainer(student, RunConfig(student.config, job.train_cfg), output,
                                 job.train_jets, job.val_jets, job.device, info,
                                 settings=settings, anchor=anchor,
                                 patience=validation.patience, precision=job.precision,
                                 score_teacher=score_teacher)
    return run_validated(trainer, job.val_jets, validation, job.train_cfg.total_steps,
                         job.on_step)


TARGET_FILE = "target.safetensors"


def _save_target(target: JetModel, path: Path) -> None:
    from safetensors.torch import save_file

    from ..io.atomic import commit, temporary_sibling

    tmp = temporary_sibling(path)
    save_file({k: v.detach().cpu().contiguous() for k, v in target.state_dict().items()},
              str(tmp))
    commit(tmp, path)
