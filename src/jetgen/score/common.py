"""Pieces every likelihood estimator shares: the denoiser signature, per-jet seeded
probes, the Gaussian prior at σ_max and the count of real (unpadded) dimensions.

All estimators work on particles in the model's standardised coordinates ``x`` [B, P, F]
with a mask [B, P]; padded particles are zero, never noised and never counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..diffusion.denoiser import zero_padded
from ..diffusion.noise import jet_noise

#: ``denoiser(x, sigma[B], mask, cond) -> D(x; σ)``, e.g. ``JetModel.particle``.
Denoiser = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None],
                    torch.Tensor]

#: Scoring draws live far from the sampler's draws (0, 1, … and 2²⁰ + …): a jet generated
#: with seed s and scored with seed s must not get probes built from its own latent noise.
SCORE_DRAW_OFFSET = 3 << 20
#: ELBO streams: σ stratum offsets, then the (σ, ε) draws, then the decoder's ε draws.
ELBO_SIGMA_DRAW = SCORE_DRAW_OFFSET + (1 << 16)
ELBO_NOISE_DRAW = SCORE_DRAW_OFFSET + (2 << 16)
ELBO_DECODER_DRAW = SCORE_DRAW_OFFSET + (3 << 16)


def real_dims(mask: torch.Tensor, n_features: int) -> torch.Tensor:
    """[B] number of real (unpadded) coordinates per jet, float64."""
    return mask.sum(1).double() * n_features


def masked_normal(seeds: torch.Tensor, like: torch.Tensor, mask: torch.Tensor,
                  draw: int) -> torch.Tensor:
    """Standard normals shaped like ``like``, zero at padded particles; row i depends only on
    (seeds[i], draw), so a jet gets the same noise in any batch."""
    z = jet_noise(seeds, tuple(like.shape[1:]), draw, like.device, like.dtype)
    return zero_padded(z, mask)


def rademacher(seeds: torch.Tensor, like: torch.Tensor, mask: torch.Tensor,
               draw: int) -> torch.Tensor:
    """±1 Hutchinson probes shaped like ``like`` (zero at padded particles), per-jet seeded.

    Rademacher rather than Gaussian probes: εᵀε is exactly the dimension, which minimises
    the variance of the trace estimate among probes with identity covariance.
    """
    z = jet_noise(seeds, tuple(like.shape[1:]), draw, like.device, torch.float64)
    return zero_padded(torch.where(z >= 0, 1.0, -1.0).to(like.dtype), mask)


def uniforms(seeds: torch.Tensor, count: int, draw: int,
             device: torch.device | str | None = None) -> torch.Tensor:
    """[B, count] float64 uniforms in (0, 1), per-jet seeded (normal CDF of jet_noise)."""
    z = jet_noise(seeds, (count,), draw, device, torch.float64)
    return 0.5 * torch.erfc(-z / math.sqrt(2.0))


def prior_log_prob(x: torch.Tensor, mask: torch.Tensor, sigma_max: float) -> torch.Tensor:
    """[B] log N(x; 0, σ_max² I) over the real coordinates: the samplers' starting law."""
    x = zero_padded(x, mask).double()
    d = real_dims(mask, x.shape[-1])
    return -0.5 * (x**2).sum((1, 2)) / sigma_max**2 - 0.5 * d * math.log(
        2 * math.pi * sigma_max**2)


def sigma_vector(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """σ as the [B] tensor the denoisers take, in ``x``'s dtype."""
    return x.new_full((x.shape[0],), sigma)
