"""Adversarial fine-tuning of a one-step student: LSGAN against real jets + an anchor.

A one-step student regressed onto its teacher averages over what it cannot resolve, and
prongs are the first thing averaged away. Here the student is trained further against a
discriminator (discriminator.py) that sees real training jets and generated ones with the
same class and kinematics (pT, η, mass, n of the real jet: a conditional critic, which
also enforces that the constituents add up to the jet they were asked for). The
generator's loss per jet is

    adv_weight · (D(G(z)) − 1)²  +  anchor_weight · ‖G(z') − A(z')‖²  (masked, model space)

with one of two anchors A:

- the frozen student the stage started from, drawn with the same noise (z' = z): cheap,
  but it pulls the student back towards its own starting flaws (the shipped stage's
  validation curve flattened while t τ32 and W τ21 stayed where the start had them);
- the multi-step teacher's own jets for fixed noises (``pairs``, pairs.py; z' is a pair's
  noise): the teacher's targets cost 32+ network calls per jet, so they are made once
  (``jetgen sample --conditions``) and reused.

The anchor keeps the student near a distribution that is already close while the
adversarial term restores what the regression averaged away. Defaults (1, 1) are the
probe's balance: at 1 the anchor's pull equals a discriminator that is certain.

Validation (validation.py) samples the whole chain, jet-level model included, and early
stopping keeps the EMA weights with the best physics score in ``best.safetensors``
(validated.py).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..config import RunConfig
from ..errors import UsageError
from ..jets import CLASSES, Jets
from ..models.jetmodel import N_JET, JetModel
from .common import (
    critic_state,
    load_critic_state,
    masked_mse,
    one_step_sample,
    with_precision,
)
from .discriminator import Discriminator
from .matching import DistributionMatching
from .observables import observables
from .pairs import PairRegression
from .validated import ValidatedTrainer

DISC_FILE = "discriminator.safetensors"
FAKE_SCORE_FILE = "fake_score.safetensors"


@dataclass
class AdversarialSettings:
    adv_weight: float = 1.0
    anchor_weight: float = 1.0
    disc_lr: float = 1e-4
    disc_dim: int = 64
    disc_depth: int = 2
    #: Steps in which only the critics (discriminator, fake score) learn: a critic at
    #: chance gives the generator noise for gradients, which pulls it off the anchor for
    #: nothing.
    disc_warmup: int = 200
    #: Weight of distribution matching against a multi-step teacher (matching.py); 0: off.
    dm_weight: float = 0.0
    fake_lr: float = 1e-4
    #: Fake-score steps per student step.
    fake_updates: int = 1

    def check(self) -> None:
        if self.adv_weight < 0 or self.anchor_weight < 0 or self.dm_weight < 0:
            raise UsageError("--adv-weight, --anchor-weight and --dm-weight must not be "
                             "negative")
        if self.adv_weight == 0 and self.dm_weight == 0:
            raise UsageError("nothing to train on: give --adv-weight or --dm-weight")
        if self.fake_updates < 1 or self.fake_lr <= 0:
            raise UsageError("--fake-updates must be at least 1 and --fake-lr positive")
        if self.disc_warmup < 0:
            raise UsageError("--disc-warmup must not be negative")


def check_one_step(model: JetModel) -> None:
    if model.config.steps != 1:
        raise UsageError(f"the adversarial stage fine-tunes a one-step student; this one "
                         f"samples in {model.config.steps} steps (distil it to one step "
                         "first: jetgen distill --factor N)")


def to_physical(model: JetModel, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Model space → (η_rel, φ_rel, pT_rel), differentiably and without the re-sorting of
    ``particles_from_model`` (the observables are permutation invariant)."""
    s = model.standardiser
    y = x.float() * x.new_tensor(s.particle_std).float() + x.new_tensor(s.particle_mean).float()
    pt = torch.exp(y[..., 2].clamp(max=0.0))
    return torch.stack([y[..., 0], y[..., 1], pt], -1) * mask[..., None]


class AdversarialObjective:
    """The Trainer's loss: takes one discriminator step, then returns the generator's
    per-jet loss. Keeps the discriminator's last loss and accuracy for the log."""

    def __init__(self, anchor: JetModel | PairRegression, disc: Discriminator,
                 settings: AdversarialSettings, matching: DistributionMatching | None = None):
        if isinstance(anchor, JetModel):
            anchor = anchor.requires_grad_(False).eval()
        self.anchor = anchor
        self.matching = matching
        self.disc = disc
        self.settings = settings
        self.opt = torch.optim.AdamW(disc.parameters(), lr=settings.disc_lr, betas=(0.5, 0.9),
                                     weight_decay=0.0)
        self.stats: dict[str, float] = {}
        #: Set by the trainer before each step (the warm-up needs the step count).
        self.step = 0

    def observables(self, model: JetModel, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return observables(to_physical(model, x, mask), mask)

    def __call__(self, student: JetModel, batch, gen: torch.Generator):
        x, mask, cond, jet, jet_type = batch
        noise = torch.randn(x.shape, generator=gen).to(x.device) * mask[..., None]
        fake = one_step_sample(student, noise, mask, cond)
        with torch.no_grad():
            real_obs = self.observables(student, x, mask)
        fake_obs = self.observables(student, fake, mask)
        # Discriminator step on this batch (the generator's graph is kept for below).
        d_real = self.disc(x, mask, cond, real_obs).float()
        d_fake = self.disc(fake.detach(), mask, cond, fake_obs.detach()).float()
        loss_d = 0.5 * ((d_real - 1).square().mean() + d_fake.square().mean())
        self.opt.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt.step()
        self.disc.requires_grad_(False)
        try:
            adv = (self.disc(fake, mask, cond, fake_obs).float() - 1).square()
        finally:
            self.disc.requires_grad_(True)
        if isinstance(self.anchor, PairRegression):
            mse = self.anchor.mse(student, gen, x.device)
        else:
            with torch.no_grad():
                start = one_step_sample(self.anchor, noise, mask, cond)
            mse = masked_mse(fake.float(), start.float(), mask)
        accuracy = 0.5 * ((d_real > 0.5).float().mean() + (d_fake < 0.5).float().mean())
        self.stats = {"disc_loss": loss_d.item(), "disc_accuracy": accuracy.item(),
                      "adv_loss": adv.mean().item(), "anchor_mse": mse.mean().item()}
        s = self.settings
        warm = self.step >= s.disc_warmup
        loss = (s.adv_weight if warm else 0.0) * adv + s.anchor_weight * mse
        if self.matching is not None:
            xt, tcond = self.matching.inputs(fake, mask, jet, jet_type)
            self.matching.update_fake(xt, mask, tcond, gen)
            dm = self.matching.loss(xt, mask, tcond, gen)
            self.stats.update(self.matching.stats, dm_loss=dm.mean().item())
            loss = loss + (s.dm_weight if warm else 0.0) * dm
        return loss, torch.zeros_like(adv)


def make_discriminator(student: JetModel, train_x: torch.Tensor, train_mask: torch.Tensor,
                       settings: AdversarialSettings, seed: int) -> Discriminator:
    torch.manual_seed(seed)
    disc = Discriminator(len(CLASSES) + N_JET, settings.disc_dim, settings.disc_depth)
    gen = torch.Generator().manual_seed(seed)
    index = torch.randperm(len(train_x), generator=gen)[:8192]
    with torch.no_grad():
        x, mask = train_x[index], train_mask[index]
        disc.fit_observables(observables(to_physical(student, x, mask), mask))
    return disc


class AdversarialTrainer(ValidatedTrainer):
    """A ValidatedTrainer whose checkpoints also hold the discriminator."""

    def __init__(self, model: JetModel, run: RunConfig, run_dir: Path, train: Jets, val: Jets,
                 device: torch.device, provenance: dict, *, settings: AdversarialSettings,
                 anchor: JetModel | PairRegression, patience: int, precision: str = "fp32",
                 score_teacher: JetModel | None = None):
        super().__init__(model, run, run_dir, train, val, device, provenance,
                         loss_fn=_unset_loss, patience=patience)
        self.settings = settings
        disc = make_discriminator(self.model, self.train_data.x, self.train_data.mask,
                                  settings, self.cfg.seed).to(self.device)
        if isinstance(anchor, JetModel):
            anchor = anchor.to(self.device)
        matching = None
        if settings.dm_weight > 0:
            if score_teacher is None:
                raise UsageError("--dm-weight needs --score-teacher, the multi-step teacher "
                                 "whose distribution the student matches")
            matching = DistributionMatching(score_teacher.to(self.device), self.model,
                                            settings.fake_lr, settings.fake_updates)
        self.objective_ = AdversarialObjective(anchor, disc, settings, matching)
        self.loss_fn = with_precision(self.objective_, device, precision)

    def train_step(self) -> dict:
        self.objective_.step = self.step
        record = super().train_step()
        record.update(self.objective_.stats)
        return record

    def save(self) -> None:
        from safetensors.torch import save_file

        from ..io.atomic import commit, temporary_sibling

        super().save()
        obj = self.objective_
        files = [(DISC_FILE, critic_state("disc", "opt", obj.disc, obj.opt),
                  {"settings": str(asdict(self.settings))})]
        if obj.matching is not None:
            files.append((FAKE_SCORE_FILE, obj.matching.state(), {}))
        for name, tensors, meta in files:
            path = self.run_dir / name
            tmp = temporary_sibling(path)
            save_file(tensors, str(tmp), metadata={"step": str(self.step), **meta})
            commit(tmp, path)

    def resume(self) -> bool:
        from safetensors.torch import load_file

        if not super().resume():
            return False
        obj = self.objective_
        path = self.run_dir / DISC_FILE
        if path.exists():
            load_critic_state("disc", "opt", load_file(str(path)), obj.disc, obj.opt,
                              self.device)
        path = self.run_dir / FAKE_SCORE_FILE
        if obj.matching is not None and path.exists():
            obj.matching.load(load_file(str(path)), self.device)
        return True


def adversarial_student(teacher: JetModel) -> JetModel:
    """The generator: a trainable copy of the one-step student (its jet-level model kept)."""
    check_one_step(teacher)
    student = copy.deepcopy(teacher)
    student.jet.requires_grad_(False)
    student.particle.requires_grad_(True)
    return student


def _unset_loss(*_):  # replaced in AdversarialTrainer.__init__ once the critic exists
    raise RuntimeError("adversarial loss used before it was built")
