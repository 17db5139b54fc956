"""The whole one-step sampling chain as one torch module, for tracing into ONNX.

It repeats sampling.batch.generate_batch for one-step samplers with the noise passed in
(not hashed from seeds inside), so the exported graph needs no 64-bit integer hashing and a
caller may use any source of standard normals. Every operation mirrors the torch path
(same σ, same Euler arithmetic, same standardisation, masking and sorting) so the two agree
to fp32 rounding.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..diffusion.denoiser import zero_padded
from ..diffusion.schedules import get_sigmas
from ..errors import UsageError
from ..models.jetmodel import JetModel

#: One-step samplers the graph reproduces: an Euler step into σ = 0, or one consistency jump.
ONE_STEP_SAMPLERS = ("euler", "consistency")


def check_exportable(config: ModelConfig) -> None:
    """One line naming what is supported, for a model the graph cannot reproduce."""
    recipes = [("particle", config.sampler, config.steps),
               ("jet-level", config.jet_sampler, config.jet_steps)]
    for part, sampler, steps in recipes:
        if steps != 1 or sampler not in ONE_STEP_SAMPLERS:
            raise UsageError(
                f"only one-step models can be exported (sampler euler or consistency with "
                f"1 step for both the particle and the jet-level model); this model's "
                f"{part} model samples with {sampler} in {steps} steps")


def one_step_levels(config: ModelConfig, schedule: str) -> tuple[float, float]:
    """(σ_start, σ_end) of the one-step grid, exactly as the torch path computes them."""
    sigmas = get_sigmas(schedule, 1, config.sigma_min, config.sigma_max, rho=config.rho)
    return float(sigmas[0]), float(sigmas[1])


class OneStepGraph(nn.Module):
    """(jet_type, jet_noise, particle_noise, jet_kinematics, use_kinematics) →
    (constituents [B, P, 3], mask [B, P], jet [B, 4]); see export/metadata.py."""

    def __init__(self, model: JetModel):
        super().__init__()
        check_exportable(model.config)
        self.model = model.float().eval()
        c = model.config
        self.jet_levels = one_step_levels(c, c.jet_schedule)
        self.particle_levels = one_step_levels(c, c.schedule)
        self.jet_euler = c.jet_sampler == "euler"
        self.particle_euler = c.sampler == "euler"
        self.n_particles = c.n_particles

    @staticmethod
    def _step(denoiser: nn.Module, x: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor,
              levels: tuple[float, float], euler: bool) -> torch.Tensor:
        start, end = levels
        sigma = x.new_full((x.shape[0],), start)
        if not euler:  # sample_consistency: the denoised estimate itself
            return denoiser(x, sigma, mask, cond)
        # sample_euler's arithmetic, not the algebraically equal D: the same fp32 rounding.
        x = zero_padded(x, mask)
        d = (x - denoiser(x, sigma, mask, cond)) / start
        return zero_padded(x + d * (end - start), mask)

    def forward(self, jet_type: torch.Tensor, jet_noise: torch.Tensor,
                particle_noise: torch.Tensor, jet_kinematics: torch.Tensor,
                use_kinematics: torch.Tensor) -> tuple[torch.Tensor, ...]:
        m = self.model
        onehot = m.class_onehot(jet_type)
        ones = torch.ones_like(jet_type[:, None], dtype=torch.bool)
        z = jet_noise[:, None, :] * self.jet_levels[0]
        z = self._step(m.jet, z, ones, onehot, self.jet_levels, self.jet_euler)
        sampled = m.standardiser.jets_from_model(z[:, 0])
        # Given kinematics: n rounded and clamped like generate_batch's --conditions path.
        given_n = jet_kinematics[:, 3:].round().clamp(1, self.n_particles)
        given = torch.cat([jet_kinematics[:, :3], given_n], -1)
        jet = torch.where(use_kinematics[:, None], given, sampled)
        mask = m.particle_mask(jet)
        x = particle_noise * self.particle_levels[0] * mask[..., None]
        cond = m.particle_cond(jet_type, jet)
        x = self._step(m.particle, x, mask, cond, self.particle_levels, self.particle_euler)
        particles = m.standardiser.particles_from_model(x, mask)
        jet = torch.cat([jet[:, :3], mask.sum(1, keepdim=True).to(jet.dtype)], -1)
        return particles, mask, jet
