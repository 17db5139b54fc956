"""Building blocks shared by the networks: noise embedding and conditioning context."""

from __future__ import annotations

import math

import torch
from torch import nn


class FourierEmbedding(nn.Module):
    """Random Fourier features of c_noise (EDM's choice for continuous σ)."""

    def __init__(self, dim: int, scale: float = 16.0):
        super().__init__()
        self.register_buffer("freqs", torch.randn(dim // 2) * scale, persistent=True)

    def forward(self, c_noise: torch.Tensor) -> torch.Tensor:
        angle = 2 * math.pi * c_noise[:, None] * self.freqs[None, :]
        return torch.cat([angle.cos(), angle.sin()], -1)


class Context(nn.Module):
    """One vector per jet from σ and the conditioning (class one-hot, jet kinematics)."""

    def __init__(self, cond_dim: int, dim: int, noise_dim: int = 64):
        super().__init__()
        self.noise = FourierEmbedding(noise_dim)
        self.mlp = nn.Sequential(
            nn.Linear(noise_dim + cond_dim, dim), nn.SiLU(), nn.Linear(dim, dim), nn.SiLU()
        )
        self.cond_dim = cond_dim

    def forward(self, c_noise: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        parts = [self.noise(c_noise)]
        if self.cond_dim:
            parts.append(cond)
        return self.mlp(torch.cat(parts, -1))

