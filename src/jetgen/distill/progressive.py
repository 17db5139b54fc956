"""Progressive distillation (Salimans & Ho 2022) in the EDM σ parameterisation.

A student with N steps learns to land, in one Euler (DDIM) step from σ_i, where two
teacher steps on the 2N-step grid land. The target is expressed as the denoised estimate
that makes the student's Euler step hit the teacher's two-step result, so the student is
trained exactly like a denoiser and samples with the Euler sampler.

Compression is the same round with one teacher step per student step: the step count stays
and a cheaper network learns the teacher's steps (from a one-step teacher: its whole
noise-to-jet map, matched jet by jet from the same noise).
"""

from __future__ import annotations

import itertools

import torch

from ..config import NetConfig
from ..diffusion.samplers import get_sampler
from ..diffusion.schedules import get_sigmas
from ..errors import UsageError
from ..models.jetmodel import JetModel
from .common import make_student, masked_mse, sampler_step

STUDENT_SCHEDULE = "karras_student"
# Multistep solvers need the previous step's history; taken one step at a time they fall
# back to first order, far less accurate than a Heun step between the same two levels.
ISOLATED_STEP_SAMPLER = {"dpmpp_2m": "heun", "lms": "heun"}


PARTS = ("particle", "jet")


def recipe(model: JetModel, part: str) -> tuple[str, int, str]:
    """(sampler, steps, schedule) with which ``part`` of ``model`` samples."""
    c = model.config
    if part == "jet":
        return c.jet_sampler, c.jet_steps, c.jet_schedule
    return c.sampler, c.steps, c.schedule


def teacher_step_sampler(teacher: JetModel, override: str | None = None,
                         part: str = "particle") -> str:
    """The sampler that takes the teacher's two steps in the distillation targets."""
    if override:
        return override
    own = recipe(teacher, part)[0]
    return ISOLATED_STEP_SAMPLER.get(own, own)


def check_factor(factor: int, teacher_steps: int) -> int:
    """Number of halving rounds; refuses non powers of two and too many rounds."""
    if factor < 2 or factor & (factor - 1):
        raise UsageError(f"--factor must be a power of 2 (2, 4, 8, …), got {factor}")
    rounds = factor.bit_length() - 1
    if teacher_steps % factor:
        raise UsageError(f"--factor {factor} needs a teacher step count divisible by it; "
                         f"the teacher samples with {teacher_steps} steps")
    return rounds


def check_compress(teacher: JetModel, net: NetConfig | None) -> None:
    if net is None or net == teacher.config.net:
        raise UsageError("--method compress needs --student-config with a particle network "
                         "other than the teacher's (e.g. configs/student-epic-fast.toml)")


def compressed_student(teacher: JetModel, net: NetConfig | None) -> JetModel:
    """A student with the teacher's step count on a cheaper particle network."""
    check_compress(teacher, net)
    return make_student(teacher, net, sampler="euler", schedule=STUDENT_SCHEDULE)


def progressive_student(teacher: JetModel, net: NetConfig | None = None,
                        part: str = "particle") -> JetModel:
    steps = recipe(teacher, part)[1] // 2
    if steps < 1:
        raise UsageError(f"the teacher's {part} model already samples in one step; nothing "
                         "left to distil")
    if part == "jet":
        return make_student(teacher, train_part="jet", jet_steps=steps, jet_sampler="euler",
                            jet_schedule=STUDENT_SCHEDULE)
    return make_student(teacher, net, steps=steps, sampler="euler", schedule=STUDENT_SCHEDULE)


def _part_inputs(model: JetModel, part: str, batch, gen: torch.Generator):
    """(clean x, mask, cond) of the batch for ``part``, in its model space."""
    x, mask, cond, jet, jet_type = batch
    if part == "particle":
        return x, mask, cond
    dequant = torch.rand(jet.shape[0], generator=gen).to(jet.device)
    return model.jet_level_inputs(jet, jet_type, dequant)


def progressive_loss(teacher: JetModel, sampler: str | None = None, substeps: int = 2,
                     part: str = "particle"):
    """loss_fn(student, batch, generator) for Trainer: (particle loss, jet loss), the one
    of the part not distilled being zero.

    ``sampler``: how the teacher takes its steps (default: teacher_step_sampler).
    ``substeps``: teacher steps per student step; 2 halves the step count, 1 (compression)
    keeps it and only moves the teacher's steps into the student's network.
    ``part``: "particle" or "jet" (the jet-level model of (pT, η, mass, n))."""
    cfg = teacher.config
    n_student = recipe(teacher, part)[1] // substeps
    # The student's n-step grid is every other level of this one (karras_student nests).
    grid = get_sigmas(STUDENT_SCHEDULE, substeps * n_student, cfg.sigma_min, cfg.sigma_max,
                      rho=cfg.rho)
    teacher_sampler = get_sampler(teacher_step_sampler(teacher, sampler, part))
    teacher_net = getattr(teacher, part)

    def loss_fn(student: JetModel, batch, gen: torch.Generator):
        x0, mask, cond = _part_inputs(teacher, part, batch, gen)
        i = int(torch.randint(n_student, (1,), generator=gen))
        levels = [float(grid[substeps * i + k]) for k in range(substeps + 1)]
        s0 = levels[0]
        noise = torch.randn(x0.shape, generator=gen).to(x0.device)
        x = (x0 + s0 * noise) * mask[..., None]
        with torch.no_grad():
            end = x
            for s_from, s_to in itertools.pairwise(levels):
                end = sampler_step(teacher_sampler, teacher_net, end, s_from, s_to, mask, cond)
            ratio = levels[-1] / s0
            target = (end - ratio * x) / (1 - ratio)
        sigma = x0.new_full((x0.shape[0],), s0)
        student_net = getattr(student, part)
        pred = student_net(x, sigma, mask, cond)
        # EDM weighting, capped: at small σ the x0-space error is what the metrics see.
        weight = student_net.loss_weight(sigma).clamp(max=1e4)
        loss, zero = weight * masked_mse(pred, target, mask), x0.new_zeros(x0.shape[0])
        return (loss, zero) if part == "particle" else (zero, loss)

    return loss_fn
