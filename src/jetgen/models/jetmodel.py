"""The generator: a jet-level model of (pT, η, mass, n | class) and a particle model of the
constituents given the jet, both EDM denoisers, plus their preprocessing."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..diffusion.consistency import ConsistencyDenoiser
from ..diffusion.denoiser import EDMDenoiser
from ..jets import CLASSES
from .epic import EPiCNet
from .mlp import ResidualMLP
from .preprocessing import Standardiser
from .transformer import ParticleTransformer

N_JET = 4


def build_particle_net(config: ModelConfig) -> nn.Module:
    net = config.net
    cond_dim = len(CLASSES) + N_JET
    if net.kind == "transformer":
        return ParticleTransformer(3, cond_dim, net.dim, net.depth, net.heads, net.mlp_ratio)
    return EPiCNet(3, cond_dim, net.dim, net.global_dim, net.depth, config.n_particles)


class JetModel(nn.Module):
    def __init__(self, config: ModelConfig, standardiser: Standardiser):
        super().__init__()
        self.config = config
        self.standardiser = standardiser
        if config.parameterization == "consistency":
            self.particle = ConsistencyDenoiser(build_particle_net(config), config.sigma_data,
                                                config.sigma_min)
        else:
            self.particle = EDMDenoiser(build_particle_net(config), config.sigma_data)
        self.jet = EDMDenoiser(
            ResidualMLP(N_JET, len(CLASSES), config.jet_net.dim, config.jet_net.depth),
            config.sigma_data,
        )

    def class_onehot(self, jet_type: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(jet_type.long(), len(CLASSES)).float()

    def jet_level_inputs(self, jet: torch.Tensor, jet_type: torch.Tensor,
                         dequant: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(x [B, 1, 4], mask [B, 1], cond [B, classes]) of the jet-level model for training:
        each jet is one "particle" in model space, n dequantised by ``dequant`` ∈ [0, 1)."""
        z = self.standardiser.jets_to_model(jet, dequant)[:, None, :]
        ones = torch.ones(z.shape[0], 1, dtype=torch.bool, device=z.device)
        return z, ones, self.class_onehot(jet_type)

    def particle_cond(self, jet_type: torch.Tensor, jet: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.class_onehot(jet_type), self.standardiser.jets_to_model(jet)], -1)

    def particle_mask(self, jet: torch.Tensor) -> torch.Tensor:
        n = jet[:, 3].round().long().clamp(1, self.config.n_particles)
        return torch.arange(self.config.n_particles, device=jet.device)[None, :] < n[:, None]

