"""EDM preconditioning (Karras et al. 2022): the network never sees σ scalings."""

from __future__ import annotations

import torch
from torch import nn


class EDMDenoiser(nn.Module):
    """D(x; σ) = c_skip x + c_out F(c_in x, c_noise), zero at padded particles."""

    def __init__(self, net: nn.Module, sigma_data: float = 1.0):
        super().__init__()
        self.net = net
        self.sigma_data = sigma_data

    def scalings(self, sigma: torch.Tensor):
        sd2 = self.sigma_data**2
        c_skip = sd2 / (sigma**2 + sd2)
        c_out = sigma * self.sigma_data / (sigma**2 + sd2).sqrt()
        c_in = 1 / (sigma**2 + sd2).sqrt()
        return c_skip, c_out, c_in, sigma.log() / 4

    def loss_weight(self, sigma: torch.Tensor) -> torch.Tensor:
        return (sigma**2 + self.sigma_data**2) / (sigma * self.sigma_data) ** 2

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, mask: torch.Tensor,
                cond: torch.Tensor | None = None) -> torch.Tensor:
        c_skip, c_out, c_in, c_noise = (c[:, None, None] if c.ndim == 1 else c
                                        for c in self.scalings(sigma))
        out = self.net(x * c_in, c_noise[:, 0, 0], mask, cond)
        return (c_skip * x + c_out * out) * mask[..., None]
