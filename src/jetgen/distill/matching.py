"""Distribution matching (DMD, Yin et al. 2024; DMD2, Yin et al. 2024): the multi-step
teacher's denoiser is the score of the real distribution, a second denoiser (the "fake"
score, started as a copy of the teacher's) keeps learning the one-step student's own
distribution, and the student moves each jet along their difference.

For a generated jet x, noised to x_σ = x + σn at a random level, the gradient of
KL(student ‖ teacher) with respect to x is s_fake(x_σ) − s_real(x_σ) = (D_fake − D_real)/σ²
(EDM denoisers D). DMD normalises it per jet by the distance the teacher would move the jet,
mean |x − D_real|, which makes its size the same at every σ:

    g = (D_fake(x_σ) − D_real(x_σ)) / mean|x − D_real(x_σ)|,   loss = ‖x − sg(x − g)‖²

whose gradient with respect to x is proportional to g. Unlike a regression onto the
teacher's jets this needs no pairing between a noise and a teacher jet, so the student's
noise-to-jet map can differ from the teacher's (a regression of the EPiC student onto
pairs of a teacher whose map it does not share averages prongs away: benchmarks/results/
phase2_*). It also has no anchor to a frozen start: the target is the teacher's
distribution itself. The fake score trains on the student's jets with the EDM loss,
``fake_updates`` times per student step (DMD2's two time-scale rule keeps it current).
"""

from __future__ import annotations

import copy

import torch

from ..diffusion.losses import edm_loss, sample_training_sigmas
from ..models.jetmodel import JetModel
from .common import critic_state, load_critic_state, masked_mse


class DistributionMatching:
    """The distribution-matching term and the fake score that it needs; called by the
    adversarial stage's objective with the student's jets in the student's model space.
    Both scores work in the teacher's model space (its standardiser and conditioning,
    which a student distilled from another teacher does not share): an affine map per
    feature, so gradients pass through it unchanged in direction."""

    def __init__(self, teacher: JetModel, student: JetModel, lr: float, updates: int):
        cfg = teacher.config
        self.teacher = teacher
        s, t = student.standardiser, teacher.standardiser
        # x_teacher = x_student · a + b (per feature)
        self.a = torch.tensor(s.particle_std, dtype=torch.float32) / torch.tensor(
            t.particle_std, dtype=torch.float32)
        self.b = (torch.tensor(s.particle_mean, dtype=torch.float32)
                  - torch.tensor(t.particle_mean, dtype=torch.float32)) / torch.tensor(
            t.particle_std, dtype=torch.float32)
        self.real = teacher.particle.requires_grad_(False).eval()
        self.fake = copy.deepcopy(teacher.particle).requires_grad_(True).train()
        self.opt = torch.optim.AdamW(self.fake.parameters(), lr=lr, betas=(0.0, 0.99),
                                     weight_decay=0.0)
        self.updates = updates
        self.sigma_range = (cfg.sigma_min, cfg.sigma_max)
        self.stats: dict[str, float] = {}

    def _sigmas(self, n: int, gen: torch.Generator, device) -> torch.Tensor:
        # EDM's training levels (where both denoisers were trained most), clipped to the
        # levels the samplers use.
        return sample_training_sigmas(n, generator=gen, device=device).clamp(*self.sigma_range)

    def inputs(self, x: torch.Tensor, mask: torch.Tensor, jet: torch.Tensor,
               jet_type: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The student's jets and their conditions in the teacher's model space."""
        a, b = self.a.to(x.device), self.b.to(x.device)
        x = (x.float() * a + b) * mask[..., None]
        with torch.no_grad():
            cond = self.teacher.particle_cond(jet_type, jet)
        return x, cond

    def update_fake(self, x: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor,
                    gen: torch.Generator) -> None:
        """``updates`` EDM steps of the fake score on the student's (detached) jets, given
        in the teacher's model space (:meth:`inputs`)."""
        x = x.detach()
        for _ in range(self.updates):
            sigma = self._sigmas(x.shape[0], gen, x.device)
            noise = torch.randn(x.shape, generator=gen).to(x.device) * mask[..., None]
            with torch.autocast(x.device.type, enabled=False):
                loss = edm_loss(self.fake, x.float(), mask, cond, sigma, noise).mean()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
        self.stats["fake_score_loss"] = loss.item() if self.updates else float("nan")

    def loss(self, x: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor,
             gen: torch.Generator) -> torch.Tensor:
        """Per-jet matching loss [B] whose gradient moves ``x`` (teacher space, from
        :meth:`inputs`) along g."""
        sigma = self._sigmas(x.shape[0], gen, x.device)
        noise = torch.randn(x.shape, generator=gen).to(x.device) * mask[..., None]
        with torch.no_grad(), torch.autocast(x.device.type, enabled=False):
            xf = x.detach().float()
            noisy = (xf + sigma[:, None, None] * noise) * mask[..., None]
            self.fake.eval()
            d_fake = self.fake(noisy, sigma, mask, cond)
            self.fake.train()
            d_real = self.real(noisy, sigma, mask, cond)
            m = mask[..., None].float()
            count = (m.sum((1, 2)) * x.shape[-1]).clamp_min(1)
            scale = ((xf - d_real).abs() * m).sum((1, 2)) / count
            g = (d_fake - d_real) / scale.clamp_min(1e-6)[:, None, None]
            target = (xf - g) * m
        self.stats["dm_grad"] = (g.square() * m).sum().item() / count.sum().item()
        return masked_mse(x.float(), target, mask)

    def state(self) -> dict[str, torch.Tensor]:
        return critic_state("fake", "fake_opt", self.fake, self.opt)

    def load(self, tensors: dict[str, torch.Tensor], device) -> None:
        load_critic_state("fake", "fake_opt", tensors, self.fake, self.opt, device)
