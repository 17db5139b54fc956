"""Consistency distillation (Song et al. 2023): teacher Heun steps on a Karras σ grid, an
EMA target network, and the boundary-condition parameterisation (f(x, σ_min) = x)."""

from __future__ import annotations

import copy

import torch

from ..config import NetConfig
from ..diffusion.samplers import sample_heun
from ..diffusion.schedules import karras_sigmas
from ..models.jetmodel import JetModel
from .common import make_student, masked_mse, one_step

GRID_STEPS = 40
TARGET_DECAY = 0.95


def consistency_student(teacher: JetModel, steps: int,
                        net: NetConfig | None = None) -> JetModel:
    return make_student(teacher, net, parameterization="consistency", sampler="consistency",
                        steps=steps, schedule="karras_student")


class ConsistencyObjective:
    """loss_fn for Trainer plus ``update_target`` as its after_step hook."""

    def __init__(self, teacher: JetModel, student: JetModel, grid_steps: int = GRID_STEPS,
                 target_decay: float = TARGET_DECAY):
        cfg = teacher.config
        # Ascending grid σ_min = t_1 < … < t_N = σ_max, as in the paper.
        self.grid = karras_sigmas(grid_steps, cfg.sigma_min, cfg.sigma_max, cfg.rho)[:-1].flip(0)
        self.teacher = teacher
        self.target = copy.deepcopy(student).eval().requires_grad_(False)
        self.decay = target_decay

    def __call__(self, student: JetModel, batch, gen: torch.Generator):
        x0, mask, cond, _, _ = batch
        n = int(torch.randint(len(self.grid) - 1, (1,), generator=gen))
        t_lo, t_hi = float(self.grid[n]), float(self.grid[n + 1])
        noise = torch.randn(x0.shape, generator=gen).to(x0.device)
        x = (x0 + t_hi * noise) * mask[..., None]
        with torch.no_grad():
            x_lo = one_step(sample_heun, self.teacher.particle, x, t_hi, t_lo, mask, cond)
            sig_lo = x0.new_full((x0.shape[0],), t_lo)
            target = self.target.particle(x_lo, sig_lo, mask, cond)
        pred = student.particle(x, x0.new_full((x0.shape[0],), t_hi), mask, cond)
        return masked_mse(pred, target, mask), x0.new_zeros(x0.shape[0])

    @torch.no_grad()
    def update_target(self, trainer) -> None:
        for t, s in zip(self.target.parameters(), trainer.model.parameters(), strict=True):
            t.lerp_(s, 1 - self.decay)
