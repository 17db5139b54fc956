"""A Trainer judged on physics: the one-step stages (regression onto teacher pairs, the
adversarial stage) validate with evaluation.validation's score, keep the best-validated
EMA weights in ``best.safetensors`` and stop after ``patience`` validations without a
better score. Their losses say little about substructure; the score does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..config import RunConfig
from ..errors import UsageError
from ..evaluation.validation import PhysicsValidation
from ..jets import Jets
from ..models.checkpoint import save_model
from ..models.jetmodel import JetModel
from ..train import Trainer

BEST_FILE = "best.safetensors"


@dataclass
class StageValidation:
    #: Jets per class generated at each validation (and real jets per floor half).
    val_jets: int = 2000
    #: Validations without a better score before the stage stops.
    patience: int = 6

    def check(self) -> None:
        if self.val_jets < 10 or self.patience < 1:
            raise UsageError("--val-jets must be at least 10 and --patience at least 1")


class ValidatedTrainer(Trainer):
    """``validation`` is set by the caller once the run's state is resumed (its history
    then continues); ``patience`` validations without a better score end the run."""

    def __init__(self, model: JetModel, run: RunConfig, run_dir: Path, train: Jets, val: Jets,
                 device: torch.device, provenance: dict, *, loss_fn, patience: int):
        super().__init__(model, run, run_dir, train, val, device, provenance, loss_fn=loss_fn)
        self.patience = patience
        self.validation: PhysicsValidation | None = None
        self.bad_validations = 0

    @torch.no_grad()
    def validate(self) -> dict:
        if self.validation is None:
            return {}
        record = self.validation.measure(self.ema, self.step)
        best = self.validation.best()
        if best is not None and best["step"] == self.step:
            self.bad_validations = 0
            meta = {"train_step": self.step, "validation_score": record["score"],
                    **self.provenance}
            save_model(self.run_dir / BEST_FILE, self.ema, metadata=meta)
        else:
            self.bad_validations += 1
        return {"val_score": record["score"], "val_best_step": best["step"] if best else None}

    def should_stop(self) -> bool:
        return self.bad_validations >= self.patience

    def resume(self) -> bool:
        if not super().resume():
            return False
        # Validations since the best are recounted from the history (the counter itself
        # is not part of the checkpoint).
        best = self.validation.best() if self.validation is not None else None
        if self.validation is not None and best is not None:
            self.bad_validations = sum(best["step"] < h["step"] <= self.step
                                       for h in self.validation.history)
        return True


def run_validated(trainer: ValidatedTrainer, val: Jets, settings: StageValidation,
                  total_steps: int, on_step) -> Path:
    """Resume, validate the starting point of a fresh run, train; the best weights' file."""
    trainer.validation = PhysicsValidation(val, trainer.model.config.classes,
                                           settings.val_jets, trainer.run_dir)
    resumed = trainer.resume()
    if not resumed and not trainer.validation.history:
        trainer.validate()  # step 0: where the starting student stands
    trainer.fit(total_steps, on_step=on_step, should_stop=trainer.should_stop)
    return best_file(trainer.run_dir)


def best_file(run_dir: Path) -> Path:
    """The best-validated EMA weights of a run, else its latest."""
    best = Path(run_dir) / BEST_FILE
    return best if best.exists() else Path(run_dir) / "ema.safetensors"
