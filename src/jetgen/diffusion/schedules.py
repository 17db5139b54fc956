"""σ grids for sampling, selected by name."""

from __future__ import annotations

import math

import torch

from ..errors import UsageError, nearest


def karras_sigmas(n_steps: int, sigma_min: float, sigma_max: float, rho: float = 7.0):
    ramp = torch.linspace(0, 1, n_steps, dtype=torch.float64)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    sigmas = (hi + ramp * (lo - hi)) ** rho
    return torch.cat([sigmas, sigmas.new_zeros(1)]).float()


def exponential_sigmas(n_steps: int, sigma_min: float, sigma_max: float, **_):
    sigmas = torch.linspace(math.log(sigma_max), math.log(sigma_min), n_steps,
                            dtype=torch.float64).exp()
    return torch.cat([sigmas, sigmas.new_zeros(1)]).float()


def linear_sigmas(n_steps: int, sigma_min: float, sigma_max: float, **_):
    sigmas = torch.linspace(sigma_max, sigma_min, n_steps, dtype=torch.float64)
    return torch.cat([sigmas, sigmas.new_zeros(1)]).float()


_SCHEDULES = {"karras": karras_sigmas, "exponential": exponential_sigmas,
              "linear": linear_sigmas}
SCHEDULES = tuple(_SCHEDULES)


def get_sigmas(name: str, n_steps: int, sigma_min: float, sigma_max: float, **kw):
    """n_steps + 1 decreasing values ending in 0."""
    if name not in _SCHEDULES:
        raise UsageError(f"unknown σ schedule {name!r}{nearest(name, SCHEDULES)}")
    if n_steps < 1:
        raise UsageError(f"--steps must be at least 1, got {n_steps}")
    if name != "karras":
        kw.pop("rho", None)
    return _SCHEDULES[name](n_steps, sigma_min, sigma_max, **kw)
