"""The EDM training loss, masked so padded particles contribute nothing.

Everything random (σ, noise) is an argument, so a training step is a pure function of its
inputs and can be replayed exactly from the generator that drew them.
"""

from __future__ import annotations

from typing import Protocol

import torch

from .denoiser import zero_padded


class Denoiser(Protocol):
    """What :func:`edm_loss` needs: an :class:`~jetgen.diffusion.denoiser.EDMDenoiser`."""

    def __call__(self, x: torch.Tensor, sigma: torch.Tensor, mask: torch.Tensor,
                 cond: torch.Tensor | None) -> torch.Tensor: ...

    def loss_weight(self, sigma: torch.Tensor) -> torch.Tensor: ...


def sample_training_sigmas(n: int, p_mean: float = -1.2, p_std: float = 1.2,
                           generator: torch.Generator | None = None,
                           device: torch.device | str | None = None) -> torch.Tensor:
    """[n] noise levels with log σ ~ N(p_mean, p_std²), EDM's training distribution.

    Drawn on the generator's own device and then moved, so the same generator state gives
    the same σ whatever ``device`` the training runs on.
    """
    gen_device = generator.device if generator is not None else torch.device("cpu")
    draws = torch.randn(n, generator=generator, device=gen_device, dtype=torch.float32)
    return (draws * p_std + p_mean).exp().to(device)


def edm_loss(denoiser: Denoiser, x0: torch.Tensor, mask: torch.Tensor,
             cond: torch.Tensor | None, sigma: torch.Tensor,
             noise: torch.Tensor) -> torch.Tensor:
    """Per-jet loss [B]: λ(σ) ‖D(x0 + σn; σ) − x0‖² averaged over real particles × features.

    ``denoiser`` is an :class:`~jetgen.diffusion.denoiser.EDMDenoiser` (anything with
    ``loss_weight(sigma)`` and the call signature ``(x, sigma, mask, cond)``). Padded
    particles of ``x0`` and ``noise`` are ignored whatever they hold; a jet without real
    particles has loss 0 rather than 0/0.
    """
    x0 = zero_padded(x0, mask)
    x_noisy = zero_padded(x0 + sigma[:, None, None] * noise, mask)
    denoised = denoiser(x_noisy, sigma, mask, cond)
    err = zero_padded((denoised - x0) ** 2, mask).sum((1, 2))
    count = (mask.sum(1) * x0.shape[-1]).clamp_min(1)
    return denoiser.loss_weight(sigma) * err / count
