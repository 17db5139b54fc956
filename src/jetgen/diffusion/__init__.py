"""EDM diffusion (Karras et al. 2022) in k-diffusion style: preconditioning, losses, σ
schedules, per-jet noise and samplers are independent pieces; samplers are plain functions
that any denoiser can drive."""

from __future__ import annotations

from .denoiser import EDMDenoiser, zero_padded
from .losses import edm_loss, sample_training_sigmas
from .noise import JetNoise, jet_noise
from .samplers import (
    SAMPLERS,
    get_sampler,
    nfe,
    sample_ddim,
    sample_dpmpp_2m,
    sample_euler,
    sample_euler_maruyama,
    sample_heun,
    sample_lms,
    sample_rk4,
)
from .schedules import (
    SCHEDULES,
    exponential_sigmas,
    get_sigmas,
    karras_sigmas,
    linear_sigmas,
)

__all__ = [
    "SAMPLERS",
    "SCHEDULES",
    "EDMDenoiser",
    "JetNoise",
    "edm_loss",
    "exponential_sigmas",
    "get_sampler",
    "get_sigmas",
    "jet_noise",
    "karras_sigmas",
    "linear_sigmas",
    "nfe",
    "sample_ddim",
    "sample_dpmpp_2m",
    "sample_euler",
    "sample_euler_maruyama",
    "sample_heun",
    "sample_lms",
    "sample_rk4",
    "sample_training_sigmas",
    "zero_padded",
]
