"""Residual MLP for the jet-level model: (pt, eta, mass, n) given class and σ."""

from __future__ import annotations

import torch
from torch import nn

from .layers import Context


class ResidualMLP(nn.Module):
    def __init__(self, n_features: int = 4, cond_dim: int = 5, dim: int = 128, depth: int = 4):
        super().__init__()
        self.context = Context(cond_dim, dim)
        self.embed = nn.Linear(n_features, dim)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
            for _ in range(depth)
        )
        self.out = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, n_features))

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor, mask: torch.Tensor,
                cond: torch.Tensor | None) -> torch.Tensor:
        # x is [B, 1, F]: one "particle" per jet, so the jet model reuses the particle engine.
        ctx = self.context(c_noise, cond)
        h = self.embed(x[:, 0]) + ctx
        for block in self.blocks:
            h = h + block(h + ctx)
        return self.out(h)[:, None, :] * mask[..., None]
