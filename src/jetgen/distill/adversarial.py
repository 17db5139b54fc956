"""Adversarial fine-tuning of a one-step student: LSGAN against real jets + an anchor.

A one-step student regressed onto its teacher averages over what it cannot resolve, and
prongs are the first thing averaged away. Here the student is trained further against a
discriminator (discriminator.py) that sees real training jets and generated ones with the
same class and kinematics (pT, η, mass, n of the real jet: a conditional critic, which
also enforces that the constituents add up to the jet they were asked for). The
generator's loss per jet is

    adv_weight · (D(G(z)) − 1)²  +  anchor_weight · ‖G(z) − G₀(z)‖²  (masked, model space)

where G₀ is the frozen student the stage started from, drawn with the same noise. The
anchor is that regression (to the distilled student rather than to the 32-step teacher,
whose targets would cost 64 network calls per jet per step on a CPU); it keeps the
student near the distribution it already matches while the adversarial term restores
what the regression averaged away. Defaults (1, 1) are the probe's balance: at 1 the
anchor's pull equals a discriminator that is certain.

Validation (validation.py) samples the whole chain, jet-level model included, and early
stopping keeps the EMA weights with the best physics score in ``best.safetensors``.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..config import RunConfig
from ..errors import UsageError
from ..evaluation.validation import PhysicsValidation
from ..jets import CLASSES, Jets
from ..models.checkpoint import save_model
from ..models.jetmodel import N_JET, JetModel
from ..train import Trainer
from .common import masked_mse, with_precision
from .discriminator import Discriminator
from .observables import observables

DISC_FILE = "discriminator.safetensors"
BEST_FILE = "best.safetensors"


@dataclass
class AdversarialSettings:
    adv_weight: float = 1.0
    anchor_weight: float = 1.0
    disc_lr: float = 1e-4
    disc_dim: int = 64
    disc_depth: int = 2
    #: Steps in which only the discriminator learns: a critic at chance gives the
    #: generator noise for gradients, which pulls it off the anchor for nothing.
    disc_warmup: int = 200
    #: Jets per class generated at each validation (and real jets per floor half).
    val_jets: int = 2000
    #: Validations without a better score before the stage stops.
    patience: int = 6

    def check(self) -> None:
        if self.adv_weight <= 0 or self.anchor_weight < 0:
            raise UsageError("--adv-weight must be positive and --anchor-weight not negative")
        if self.val_jets < 10 or self.patience < 1 or self.disc_warmup < 0:
            raise UsageError("--val-jets must be at least 10, --patience at least 1 and "
                             "--disc-warmup not negative")


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


def one_step_sample(model: JetModel, noise: torch.Tensor, mask: torch.Tensor,
                    cond: torch.Tensor) -> torch.Tensor:
    """The student's one Euler step from σ_max to 0, which is its denoiser at σ_max."""
    sigma = torch.full((noise.shape[0],), model.config.sigma_max, device=noise.device)
    return model.particle(noise * model.config.sigma_max, sigma, mask, cond)


class AdversarialObjective:
    """The Trainer's loss: takes one discriminator step, then returns the generator's
    per-jet loss. Keeps the discriminator's last loss and accuracy for the log."""

    def __init__(self, anchor: JetModel, disc: Discriminator, settings: AdversarialSettings):
        self.anchor = anchor.requires_grad_(False).eval()
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
        x, mask, cond, _, _ = batch
        noise = torch.randn(x.shape, generator=gen).to(x.device) * mask[..., None]
        fake = one_step_sample(student, noise, mask, cond)
        with torch.no_grad():
            anchor = one_step_sample(self.anchor, noise, mask, cond)
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
        mse = masked_mse(fake.float(), anchor.float(), mask)
        accuracy = 0.5 * ((d_real > 0.5).float().mean() + (d_fake < 0.5).float().mean())
        self.stats = {"disc_loss": loss_d.item(), "disc_accuracy": accuracy.item(),
                      "adv_loss": adv.mean().item(), "anchor_mse": mse.mean().item()}
        s = self.settings
        adv_weight = s.adv_weight if self.step >= s.disc_warmup else 0.0
        return adv_weight * adv + s.anchor_weight * mse, torch.zeros_like(adv)


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


class AdversarialTrainer(Trainer):
    """A Trainer whose checkpoints also hold the discriminator, whose validation is the
    physics of validation.py, and which keeps the best-validated EMA weights."""

    def __init__(self, model: JetModel, run: RunConfig, run_dir: Path, train: Jets, val: Jets,
                 device: torch.device, provenance: dict, *, settings: AdversarialSettings,
                 anchor: JetModel, precision: str = "fp32"):
        super().__init__(model, run, run_dir, train, val, device, provenance,
                         loss_fn=_unset_loss)
        self.settings = settings
        disc = make_discriminator(self.model, self.train_data.x, self.train_data.mask,
                                  settings, self.cfg.seed).to(self.device)
        self.objective_ = AdversarialObjective(anchor.to(self.device), disc, settings)
        self.loss_fn = with_precision(self.objective_, device, precision)
        self.validation: PhysicsValidation | None = None
        self.bad_validations = 0

    def train_step(self) -> dict:
        self.objective_.step = self.step
        record = super().train_step()
        record.update(self.objective_.stats)
        return record

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
        return self.bad_validations >= self.settings.patience

    def save(self) -> None:
        from safetensors.torch import save_file

        super().save()
        opt = self.objective_.opt
        tensors = {f"disc.{k}": v.detach().cpu().contiguous()
                   for k, v in self.objective_.disc.state_dict().items()}
        for i, p in enumerate(self.objective_.disc.parameters()):
            for key, value in opt.state.get(p, {}).items():
                tensors[f"opt.{i}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
        from ..io.atomic import commit, temporary_sibling

        path = self.run_dir / DISC_FILE
        tmp = temporary_sibling(path)
        save_file(tensors, str(tmp), metadata={
            "step": str(self.step), "bad_validations": str(self.bad_validations),
            "settings": str(asdict(self.settings))})
        commit(tmp, path)

    def resume(self) -> bool:
        from safetensors import safe_open
        from safetensors.torch import load_file

        if not super().resume():
            return False
        path = self.run_dir / DISC_FILE
        if path.exists():
            with safe_open(str(path), "pt") as f:
                self.bad_validations = int((f.metadata() or {}).get("bad_validations", 0))
            tensors = load_file(str(path))
            disc, opt = self.objective_.disc, self.objective_.opt
            disc.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("disc.")})
            params = list(disc.parameters())
            for key, value in tensors.items():
                if key.startswith("opt."):
                    _, i, name = key.split(".", 2)
                    opt.state[params[int(i)]][name] = value.to(self.device)
        return True


def adversarial_student(teacher: JetModel) -> JetModel:
    """The generator: a trainable copy of the one-step student (its jet-level model kept)."""
    check_one_step(teacher)
    student = copy.deepcopy(teacher)
    student.jet.requires_grad_(False)
    student.particle.requires_grad_(True)
    return student


def best_file(run_dir: Path) -> Path:
    """The best-validated EMA weights of a run, else its latest."""
    best = Path(run_dir) / BEST_FILE
    return best if best.exists() else Path(run_dir) / "ema.safetensors"


def _unset_loss(*_):  # replaced in AdversarialTrainer.__init__ once the critic exists
    raise RuntimeError("adversarial loss used before it was built")
