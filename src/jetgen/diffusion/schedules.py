"""σ grids for sampling, selected by name.

Every schedule returns ``n_steps + 1`` strictly decreasing float32 values, from σ_max to
σ_min followed by a final 0 (the clean sample). Values are computed in float64 first so
long schedules stay strictly monotone after rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..errors import UsageError, nearest


def _check(n_steps: int, sigma_min: float, sigma_max: float) -> None:
    if n_steps < 1:
        raise UsageError(f"--steps must be at least 1, got {n_steps}")
    if not 0 < sigma_min < sigma_max:
        raise UsageError(f"need 0 < sigma_min < sigma_max, got {sigma_min} and {sigma_max}")


def _finish(sigmas: torch.Tensor) -> torch.Tensor:
    return torch.cat([sigmas, sigmas.new_zeros(1)]).float()


def karras_sigmas(n_steps: int, sigma_min: float, sigma_max: float,
                  rho: float = 7.0) -> torch.Tensor:
    """EDM's schedule: uniform in σ^(1/ρ), which spends more steps at low noise for ρ > 1."""
    _check(n_steps, sigma_min, sigma_max)
    ramp = torch.linspace(0, 1, n_steps, dtype=torch.float64)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    return _finish((hi + ramp * (lo - hi)) ** rho)


def exponential_sigmas(n_steps: int, sigma_min: float, sigma_max: float,
                       **_: float) -> torch.Tensor:
    """Uniform in log σ (geometric), the VE schedule of Song et al. in EDM's table 1."""
    _check(n_steps, sigma_min, sigma_max)
    log_sigmas = torch.linspace(math.log(sigma_max), math.log(sigma_min), n_steps,
                                dtype=torch.float64)
    return _finish(log_sigmas.exp())


def linear_sigmas(n_steps: int, sigma_min: float, sigma_max: float,
                  **_: float) -> torch.Tensor:
    """Uniform in σ: σ(t) = t with equal time steps (VE-style, crude at low noise)."""
    _check(n_steps, sigma_min, sigma_max)
    return _finish(torch.linspace(sigma_max, sigma_min, n_steps, dtype=torch.float64))


def karras_student_sigmas(n_steps: int, sigma_min: float, sigma_max: float,
                          rho: float = 7.0) -> torch.Tensor:
    """Karras levels for few-step students: the first ``n_steps`` levels of the
    ``n_steps + 1`` grid, then 0, so every step does work (the plain grid spends its last
    step going from σ_min to 0, half the budget of a 2-step sampler). Grids for n and 2n
    steps nest (every other level of 2n is a level of n), as progressive distillation
    needs."""
    return torch.cat([karras_sigmas(n_steps + 1, sigma_min, sigma_max, rho)[:n_steps],
                      torch.zeros(1)])


_SCHEDULES: dict[str, Callable[..., torch.Tensor]] = {
    "karras": karras_sigmas,
    "karras_student": karras_student_sigmas,
    "exponential": exponential_sigmas,
    "linear": linear_sigmas,
}
SCHEDULES: tuple[str, ...] = tuple(_SCHEDULES)


def get_sigmas(name: str, n_steps: int, sigma_min: float, sigma_max: float,
               **kw: float) -> torch.Tensor:
    """``n_steps + 1`` decreasing σ values ending in 0, from the schedule called ``name``.

    Extra keywords (``rho``) go to schedules that use them and are ignored by the others,
    so callers can always pass the model's ``rho``.
    """
    if name not in _SCHEDULES:
        raise UsageError(f"unknown σ schedule {name!r}{nearest(name, SCHEDULES)}")
    if not name.startswith("karras"):
        kw.pop("rho", None)
    return _SCHEDULES[name](n_steps, sigma_min, sigma_max, **kw)
