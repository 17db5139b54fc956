"""The adversarial stage's critic: real or generated, given the jet's class and kinematics.

Permutation invariant and blind to padding: particles (the generator's standardised model
space) pass through masked self-attention and are pooled by masked mean and max; the
whole-jet observables of :mod:`.observables`, standardised with statistics of real jets,
join the pooled summary, and the condition (class one-hot + standardised pT, η, mass, n)
enters both the particle embedding and the head. Attention lets it compare particles with
each other (prongs are relations between particles); the observables hand it the
substructure that a probe found it cannot learn to see in minutes on a CPU.
"""

from __future__ import annotations

import torch
from torch import nn

from .observables import NAMES as OBSERVABLES


class Discriminator(nn.Module):
    def __init__(self, cond_dim: int, dim: int = 64, depth: int = 2, heads: int = 4,
                 n_features: int = 3, n_observables: int = len(OBSERVABLES)):
        super().__init__()
        self.embed = nn.Linear(n_features + cond_dim, dim)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True,
                                       norm_first=True, activation="gelu")
            for _ in range(depth))
        self.head = nn.Sequential(
            nn.Linear(2 * dim + n_observables + cond_dim, 2 * dim), nn.LeakyReLU(0.2),
            nn.Linear(2 * dim, dim), nn.LeakyReLU(0.2), nn.Linear(dim, 1))
        # Start undecided (every score 0.5, halfway between the LSGAN targets), so the
        # accuracy and the generator's first gradients mean something from step one.
        last = self.head[-1]
        nn.init.zeros_(last.bias)
        last.bias.data.fill_(0.5)
        last.weight.data.mul_(0.1)
        # Real-jet statistics of the observables (fitted once, saved with the weights).
        self.register_buffer("obs_mean", torch.zeros(n_observables))
        self.register_buffer("obs_std", torch.ones(n_observables))

    @torch.no_grad()
    def fit_observables(self, obs: torch.Tensor) -> None:
        self.obs_mean.copy_(obs.mean(0))
        self.obs_std.copy_(obs.std(0).clamp_min(1e-4))

    def forward(self, x: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor,
                obs: torch.Tensor) -> torch.Tensor:
        """[B] scores; LSGAN targets are 1 for real and 0 for generated jets."""
        keep = mask.to(x.dtype)[..., None]
        h = self.embed(torch.cat([x, cond[:, None, :].expand(-1, x.shape[1], -1)], -1))
        pad = ~mask.bool()
        for block in self.blocks:
            h = block(h, src_key_padding_mask=pad) * keep
        count = keep.sum(1).clamp_min(1)
        mean = h.sum(1) / count
        peak = h.masked_fill(pad[..., None], float("-inf")).amax(1)
        peak = torch.where(torch.isfinite(peak), peak, torch.zeros_like(peak))
        z = (obs - self.obs_mean) / self.obs_std
        # Clipping keeps a wild generated jet (early in training) from saturating the head.
        z = z.clamp(-10, 10)
        return self.head(torch.cat([mean, peak, z, cond], -1)).squeeze(-1)
