"""The EDM training loss, masked so padded particles contribute nothing."""

from __future__ import annotations

import torch


def sample_training_sigmas(n: int, p_mean: float = -1.2, p_std: float = 1.2,
                           generator: torch.Generator | None = None,
                           device: torch.device | str | None = None) -> torch.Tensor:
    """log σ ~ N(p_mean, p_std²), EDM's training distribution."""
    return (torch.randn(n, generator=generator) * p_std + p_mean).exp().to(device)


def edm_loss(denoiser, x0: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor | None,
             sigma: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Per-jet λ(σ)-weighted squared error averaged over real particles and features."""
    x_noisy = (x0 + sigma[:, None, None] * noise) * mask[..., None]
    denoised = denoiser(x_noisy, sigma, mask, cond)
    err = ((denoised - x0) ** 2 * mask[..., None]).sum((1, 2))
    count = (mask.sum(1) * x0.shape[-1]).clamp_min(1)
    return denoiser.loss_weight(sigma) * err / count
