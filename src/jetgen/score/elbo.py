"""Variational route: a lower bound on log p(x₀) from denoising errors at random σ, with
no ODE solve and no gradients (one forward pass per Monte-Carlo draw).

Forward process x_σ = x₀ + σε for σ ∈ [σ_min, σ_max]; generative model: N(0, σ_max² I)
at σ_max, the reverse process given by the denoiser D down to σ_min, and the Gaussian
decoder N(x₀; D(x_σ_min; σ_min), σ_min² I). In continuous time (VDM, Kingma et al. 2021,
with SNR = 1/σ²) the negative bound is

    −ELBO = ‖x₀‖² / (2σ_max²)                                   [prior; equal variances]
            + d/2 log(2π σ_min²) + E‖x₀ − D(x₀ + σ_min ε; σ_min)‖² / (2σ_min²)   [decoder]
            + ∫_{σ_min}^{σ_max} E‖x₀ − D(x₀ + σε; σ)‖² / σ³ dσ                  [diffusion]

over the d real coordinates. With the exact denoiser the bound is tight up to the prior
and decoder approximations (O(σ_min²) and O(‖x₀‖²/σ_max²)).

Variance control. At small σ the denoiser cannot tell noise from data, so
‖x₀ − D‖² ≈ c_skip(σ)² σ² ‖ε‖²; its mean part diverges like d/σ and its χ² noise would
swamp the estimate. Both expectations are therefore written as
E[‖x₀ − D‖² − c_skip² σ² ‖ε‖²] + c_skip² σ² d (the same ε in both terms: a control variate
with known mean) and the c_skip² d / σ part is integrated in closed form. The rest is
integrated by stratified Monte Carlo uniform in log σ, where the integrand is bounded:
M strata, one σ and one ε each, evaluated at ε and −ε (antithetic: the part of the
error linear in ε, dominant around σ ~ σ_data, cancels within the pair). Every draw is
seeded per jet. On correlated Gaussian data this gives ~1.7× less spread than 2M
independent draws; the decoder term has little variance left and gets few draws.
"""

from __future__ import annotations

import math

import torch

from ..diffusion.denoiser import zero_padded
from ..errors import UsageError
from .common import (
    ELBO_DECODER_DRAW,
    ELBO_NOISE_DRAW,
    ELBO_SIGMA_DRAW,
    Denoiser,
    masked_normal,
    real_dims,
    uniforms,
)


def _c_skip_sq(sigma: torch.Tensor | float, sigma_data: float):
    return (sigma_data**2 / (sigma**2 + sigma_data**2)) ** 2


def _c_skip_sq_integral(sigma: float, sigma_data: float) -> float:
    """Antiderivative of c_skip(σ)² / σ: ½ [log(σ² / (σ² + σ_d²)) + σ_d² / (σ² + σ_d²)]."""
    s2, d2 = sigma**2, sigma_data**2
    return 0.5 * (math.log(s2 / (s2 + d2)) + d2 / (s2 + d2))


def excess_error(denoiser: Denoiser, x0: torch.Tensor, eps: torch.Tensor,
                 sigma: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor | None,
                 sigma_data: float) -> torch.Tensor:
    """[B] float64 (‖x₀ − D(x₀ + σε; σ)‖² − c_skip² σ² ‖ε‖²) / σ² for per-jet σ [B]."""
    noisy = zero_padded(x0 + eps * sigma.to(x0.dtype)[:, None, None], mask)
    denoised = denoiser(noisy, sigma.to(x0.dtype), mask, cond)
    err = (zero_padded(x0 - denoised, mask).double() ** 2).sum((1, 2))
    s2 = sigma.double() ** 2
    return (err - _c_skip_sq(sigma.double(), sigma_data) * s2
            * (eps.double() ** 2).sum((1, 2))) / s2


@torch.no_grad()
def elbo_log_likelihood(denoiser: Denoiser, x0: torch.Tensor, mask: torch.Tensor,
                        cond: torch.Tensor | None, seeds: torch.Tensor, *, samples: int = 64,
                        decoder_samples: int | None = None, sigma_min: float = 0.002,
                        sigma_max: float = 80.0, sigma_data: float = 1.0) -> torch.Tensor:
    """[B] float64 Monte-Carlo estimate of the ELBO ≤ log p(x₀), in nats, in the
    coordinates ``x0`` is given in, over the real particles only.

    Args:
        denoiser, x0, mask, cond, seeds: as for
            :func:`~jetgen.score.ode.ode_log_likelihood`.
        samples: σ strata M for the diffusion integral (two denoiser calls each).
        decoder_samples: ε draws for the decoder term at σ_min (default max(1, M // 8)).
        sigma_data: the denoiser's σ_d, which sets the control variate's c_skip.
    """
    if samples < 1:
        raise UsageError(f"--steps (σ draws for --method elbo) must be at least 1, "
                         f"got {samples}")
    decoder_samples = max(1, samples // 8) if decoder_samples is None else decoder_samples
    x0 = zero_padded(x0, mask)
    dims = real_dims(mask, x0.shape[-1])
    span = math.log(sigma_max / sigma_min)
    offsets = uniforms(seeds, samples, ELBO_SIGMA_DRAW, x0.device)
    strata = torch.arange(samples, device=x0.device, dtype=torch.float64)
    sigmas = torch.exp(math.log(sigma_min) + span * (strata + offsets) / samples)
    diffusion = x0.new_zeros(x0.shape[0], dtype=torch.float64)
    for m in range(samples):
        eps = masked_normal(seeds, x0, mask, ELBO_NOISE_DRAW + m)
        for sign in (1, -1):
            diffusion += excess_error(denoiser, x0, sign * eps, sigmas[:, m], mask, cond,
                                      sigma_data)
    diffusion = diffusion * (span / (2 * samples)) + dims * (
        _c_skip_sq_integral(sigma_max, sigma_data) - _c_skip_sq_integral(sigma_min, sigma_data))
    decoder = x0.new_zeros(x0.shape[0], dtype=torch.float64)
    at_min = x0.new_full((x0.shape[0],), sigma_min, dtype=torch.float64)
    for m in range(decoder_samples):
        eps = masked_normal(seeds, x0, mask, ELBO_DECODER_DRAW + m)
        decoder += excess_error(denoiser, x0, eps, at_min, mask, cond, sigma_data)
    decoder = 0.5 * (decoder / decoder_samples + _c_skip_sq(sigma_min, sigma_data) * dims) \
        + 0.5 * dims * math.log(2 * math.pi * sigma_min**2)
    prior = (x0.double() ** 2).sum((1, 2)) / (2 * sigma_max**2)
    return -(prior + decoder + diffusion)
