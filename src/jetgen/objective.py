"""What one training step computes, apart from the loop around it: the training jets
preprocessed once (:class:`Tensors`), every random draw of step k from a generator seeded by
(seed, k) (:func:`step_generator`, :func:`draw_noise`, so that a resumed or data-parallel
run draws exactly what one uninterrupted process would), and the default losses
(:func:`batch_losses`; :class:`Objective` for DDP and torch.compile).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .diffusion.losses import edm_loss, sample_training_sigmas
from .jets import Jets
from .models.jetmodel import JetModel


@dataclass
class Tensors:
    """Training jets preprocessed once: model-space particles, masks, conditions."""

    x: torch.Tensor
    mask: torch.Tensor
    cond: torch.Tensor
    jet: torch.Tensor
    jet_type: torch.Tensor

    @classmethod
    def from_jets(cls, model: JetModel, jets: Jets) -> Tensors:
        particles = torch.from_numpy(jets.particles)
        mask = torch.from_numpy(jets.mask)
        jet = torch.from_numpy(jets.jet)
        jet_type = torch.from_numpy(jets.jet_type).long()
        with torch.no_grad():
            x = model.standardiser.particles_to_model(particles, mask)
            cond = model.particle_cond(jet_type, jet)
        return cls(x, mask, cond, jet, jet_type)

    def __len__(self) -> int:
        return self.x.shape[0]

    def batch(self, index: torch.Tensor, device) -> tuple[torch.Tensor, ...]:
        return tuple(t[index].to(device) for t in (self.x, self.mask, self.cond, self.jet,
                                                  self.jet_type))


def step_generator(seed: int, step: int) -> torch.Generator:
    state = np.random.SeedSequence([seed, step]).generate_state(2)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def draw_noise(b: int, particle_shape: tuple[int, ...], gen: torch.Generator,
               cfg) -> tuple[torch.Tensor, ...]:
    """Every random draw of a training batch of ``b`` jets, in a fixed order: (σ, particle
    noise, n dequantisation, jet-level σ, jet-level noise). Drawn for the whole global
    batch, so a rank can take its rows and see exactly what a single process would."""
    sigma = sample_training_sigmas(b, cfg.p_mean, cfg.p_std, generator=gen)
    noise = torch.randn((b, *particle_shape), generator=gen)
    dequant = torch.rand(b, generator=gen)
    sigma_j = sample_training_sigmas(b, cfg.p_mean, cfg.p_std, generator=gen)
    noise_j = torch.randn((b, 1, 4), generator=gen)
    return sigma, noise, dequant, sigma_j, noise_j


def batch_losses(model: JetModel, batch, draws) -> tuple[torch.Tensor, torch.Tensor]:
    """(particle loss [B], jet-level loss [B]) of a batch given its random draws."""
    x, mask, cond, jet, jet_type = batch
    sigma, noise, dequant, sigma_j, noise_j = (t.to(x.device) for t in draws)
    particle = edm_loss(model.particle, x, mask, cond, sigma, noise * mask[..., None])
    jet_loss = edm_loss(model.jet, *model.jet_level_inputs(jet, jet_type, dequant), sigma_j,
                        noise_j)
    return particle, jet_loss


def diffusion_losses(model: JetModel, batch, gen: torch.Generator, cfg) -> tuple:
    """(particle loss [B], jet-level loss [B]) with all randomness drawn from ``gen``."""
    x = batch[0]
    return batch_losses(model, batch, draw_noise(x.shape[0], tuple(x.shape[1:]), gen, cfg))


class Objective(torch.nn.Module):
    """The default losses as a module's forward, so DDP and torch.compile can wrap it."""

    def __init__(self, model: JetModel, precision: str = "fp32"):
        super().__init__()
        self.model = model
        self.bf16 = precision == "bf16"

    def forward(self, x, mask, cond, jet, jet_type, *draws):
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            particle, jet_loss = batch_losses(self.model, (x, mask, cond, jet, jet_type), draws)
        return particle.float(), jet_loss.float()
