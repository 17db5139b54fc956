"""EDM preconditioning (Karras et al. 2022, table 1): the network never sees σ scalings.

The wrapped network ``net(x_in, c_noise, mask, cond) -> F_x`` is trained on inputs and
targets of unit variance at every noise level; :class:`EDMDenoiser` turns its output into
the denoised estimate D(x; σ) = c_skip x + c_out F(c_in x, c_noise).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Net = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def _per_jet(c: torch.Tensor) -> torch.Tensor:
    """[B] factors → [B, 1, 1] so they broadcast over particles and features."""
    return c[:, None, None] if c.ndim == 1 else c


def zero_padded(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``x`` with padded particles set to exactly +0.

    ``torch.where`` rather than ``x * mask``: a product would turn NaN/inf that a network
    may leave at padded slots (e.g. softmax over no keys) into NaN, and negatives into -0.
    """
    if mask is None:
        return x
    return torch.where(mask[..., None].to(torch.bool), x, x.new_zeros(()))


class EDMDenoiser(nn.Module):
    """D(x; σ) = c_skip x + c_out F(c_in x, c_noise), zero at padded particles.

    Args:
        net: ``net(x_in, c_noise[B], mask[B, P], cond[B, C] | None) -> [B, P, F]``.
        sigma_data: standard deviation of the (standardised) training data.
    """

    def __init__(self, net: nn.Module | Net, sigma_data: float = 1.0):
        super().__init__()
        self.net = net
        self.sigma_data = float(sigma_data)

    def scalings(self, sigma: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(c_skip, c_out, c_in, c_noise), each shaped like ``sigma``.

        Subclasses (consistency models) override this to change the boundary condition.
        """
        sd2 = self.sigma_data**2
        norm = (sigma**2 + sd2).sqrt()
        c_skip = sd2 / (sigma**2 + sd2)
        c_out = sigma * self.sigma_data / norm
        c_in = 1 / norm
        return c_skip, c_out, c_in, sigma.log() / 4

    def loss_weight(self, sigma: torch.Tensor) -> torch.Tensor:
        """λ(σ) = (σ² + σ_d²) / (σ σ_d)², which makes the effective target unit-variance."""
        return (sigma**2 + self.sigma_data**2) / (sigma * self.sigma_data) ** 2

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, mask: torch.Tensor,
                cond: torch.Tensor | None = None) -> torch.Tensor:
        """Denoised estimate of ``x`` [B, P, F] at noise level ``sigma`` [B] (or scalar)."""
        if sigma.ndim == 0:
            # A scalar σ is convenient in tests and one-off calls; the net wants [B].
            sigma = sigma.expand(x.shape[0])
        sigma = sigma.to(x.dtype)
        c_skip, c_out, c_in, c_noise = self.scalings(sigma)
        x = zero_padded(x, mask)
        out = self.net(x * _per_jet(c_in), c_noise, mask, cond)
        return zero_padded(_per_jet(c_skip) * x + _per_jet(c_out) * out, mask)
