"""Progressive distillation (Salimans & Ho 2022) in the EDM σ parameterisation.

A student with N steps learns to land, in one Euler (DDIM) step from σ_i, where two
teacher steps on the 2N-step grid land. The target is expressed as the denoised estimate
that makes the student's Euler step hit the teacher's two-step result, so the student is
trained exactly like a denoiser and samples with the Euler sampler.
"""

from __future__ import annotations

import torch

from ..config import NetConfig
from ..diffusion.samplers import get_sampler
from ..diffusion.schedules import get_sigmas
from ..errors import UsageError
from ..models.jetmodel import JetModel
from .common import make_student, masked_mse, one_step

STUDENT_SCHEDULE = "karras_student"
# Multistep solvers need the previous step's history; taken one step at a time they fall
# back to first order, far less accurate than a Heun step between the same two levels.
ISOLATED_STEP_SAMPLER = {"dpmpp_2m": "heun", "lms": "heun"}


def teacher_step_sampler(teacher: JetModel, override: str | None = None) -> str:
    """The sampler that takes the teacher's two steps in the distillation targets."""
    if override:
        return override
    return ISOLATED_STEP_SAMPLER.get(teacher.config.sampler, teacher.config.sampler)


def check_factor(factor: int, teacher_steps: int) -> int:
    """Number of halving rounds; refuses non powers of two and too many rounds."""
    if factor < 2 or factor & (factor - 1):
        raise UsageError(f"--factor must be a power of 2 (2, 4, 8, …), got {factor}")
    rounds = factor.bit_length() - 1
    if teacher_steps % factor:
        raise UsageError(f"--factor {factor} needs a teacher step count divisible by it; "
                         f"the teacher samples with {teacher_steps} steps")
    return rounds


def progressive_student(teacher: JetModel, net: NetConfig | None = None) -> JetModel:
    steps = teacher.config.steps // 2
    if steps < 1:
        raise UsageError("the teacher already samples in one step; nothing left to distil")
    return make_student(teacher, net, steps=steps, sampler="euler", schedule=STUDENT_SCHEDULE)


def progressive_loss(teacher: JetModel, sampler: str | None = None):
    """loss_fn(student, batch, generator) for Trainer: (particle loss, zero jet loss).

    ``sampler``: how the teacher takes its steps (default: teacher_step_sampler)."""
    cfg = teacher.config
    n_student = cfg.steps // 2
    # The student's n-step grid is every other level of this one (karras_student nests).
    grid = get_sigmas(STUDENT_SCHEDULE, 2 * n_student, cfg.sigma_min, cfg.sigma_max,
                      rho=cfg.rho)
    teacher_sampler = get_sampler(teacher_step_sampler(teacher, sampler))

    def loss_fn(student: JetModel, batch, gen: torch.Generator):
        x0, mask, cond, _, _ = batch
        i = int(torch.randint(n_student, (1,), generator=gen))
        s0, s1, s2 = (float(grid[2 * i + k]) for k in range(3))
        noise = torch.randn(x0.shape, generator=gen).to(x0.device)
        x = (x0 + s0 * noise) * mask[..., None]
        with torch.no_grad():
            mid = one_step(teacher_sampler, teacher.particle, x, s0, s1, mask, cond)
            end = one_step(teacher_sampler, teacher.particle, mid, s1, s2, mask, cond)
            ratio = s2 / s0
            target = (end - ratio * x) / (1 - ratio)
        sigma = x0.new_full((x0.shape[0],), s0)
        pred = student.particle(x, sigma, mask, cond)
        # EDM weighting, capped: at small σ the x0-space error is what the metrics see.
        weight = student.particle.loss_weight(sigma).clamp(max=1e4)
        return weight * masked_mse(pred, target, mask), x0.new_zeros(x0.shape[0])

    return loss_fn
