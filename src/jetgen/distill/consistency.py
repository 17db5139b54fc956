"""Consistency distillation (Song et al. 2023): teacher Heun steps on a Karras σ grid, an
EMA target network, and the boundary-condition parameterisation (f(x, σ_min) = x)."""

from __future__ import annotations

import copy

import torch

from ..config import NetConfig
from ..diffusion.schedules import karras_sigmas
from ..models.jetmodel import JetModel
from .common import make_student, masked_mse

GRID_STEPS = 40
TARGET_DECAY = 0.95


def heun_step(denoiser, x: torch.Tensor, t_hi: torch.Tensor, t_lo: torch.Tensor, mask,
              cond) -> torch.Tensor:
    """One Heun step of the probability-flow ODE from t_hi to t_lo, each [B] (per jet)."""
    hi, lo = t_hi[:, None, None], t_lo[:, None, None]
    d = (x - denoiser(x, t_hi, mask, cond)) / hi
    x_euler = x + (lo - hi) * d
    d_lo = (x_euler - denoiser(x_euler, t_lo, mask, cond)) / lo
    return x + (lo - hi) * (d + d_lo) / 2


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
        # One grid interval per jet: a single interval per batch made every step's
        # gradient about one noise level only (high variance across steps).
        n = torch.randint(len(self.grid) - 1, (x0.shape[0],), generator=gen)
        t_lo, t_hi = self.grid[n].to(x0.device), self.grid[n + 1].to(x0.device)
        noise = torch.randn(x0.shape, generator=gen).to(x0.device)
        x = (x0 + t_hi[:, None, None] * noise) * mask[..., None]
        with torch.no_grad():
            x_lo = heun_step(self.teacher.particle, x, t_hi, t_lo, mask, cond)
            target = self.target.particle(x_lo, t_lo, mask, cond)
        pred = student.particle(x, t_hi, mask, cond)
        return masked_mse(pred, target, mask), x0.new_zeros(x0.shape[0])

    @torch.no_grad()
    def update_target(self, trainer) -> None:
        for t, s in zip(self.target.parameters(), trainer.model.parameters(), strict=True):
            t.lerp_(s, 1 - self.decay)
