"""ODE/SDE samplers as plain functions (k-diffusion style), for any denoiser.

Every sampler has the signature ``sample_x(model, x, sigmas, *, extra_args=None,
callback=None, noise=None, **options) -> x0`` where

* ``model(x, sigma[B], **extra_args)`` returns the denoised estimate D(x; σ) (e.g. an
  :class:`~jetgen.diffusion.denoiser.EDMDenoiser`, with ``extra_args = {"mask", "cond"}``);
* ``x`` is the starting point at ``sigmas[0]`` (noise already scaled by σ_max);
* ``sigmas`` is a decreasing grid, normally ending in 0 (a grid that stops above 0, as in
  distillation, takes the same steps and stops there);
* ``callback(record)`` gets ``{"i", "x", "sigma", "denoised"}`` after every step (``sigma``
  a float: the level of step i), which is what progress bars hook into;
* ``noise(x, draw)`` returns standard normal noise shaped like ``x`` for draw 1, 2, …
  (a :class:`~jetgen.diffusion.noise.JetNoise`); only stochastic samplers need it.

When ``extra_args`` has a ``mask``, padded particles are held at exactly zero throughout.
The ODE is the probability flow of EDM (σ(t) = t, s(t) = 1): dx/dσ = (x − D(x; σ)) / σ.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ..errors import UsageError, nearest
from .denoiser import zero_padded

Model = Callable[..., torch.Tensor]
Callback = Callable[[dict[str, Any]], None]
Noise = Callable[[torch.Tensor, int], torch.Tensor]
Sampler = Callable[..., torch.Tensor]


class _Run:
    """Shared plumbing of one sampler call: σ as floats, masking, model calls, callback."""

    def __init__(self, model: Model, x: torch.Tensor, sigmas: torch.Tensor | Sequence[float],
                 extra_args: dict[str, Any] | None, callback: Callback | None):
        self.model = model
        self.extra = extra_args or {}
        self.mask = self.extra.get("mask")
        self.callback = callback
        # Control flow and step sizes use Python floats: one device sync for the whole run
        # instead of one per comparison, and no dtype promotion against ``x``.
        self.sigmas = sigmas.tolist() if isinstance(sigmas, torch.Tensor) else [
            float(s) for s in sigmas]
        self.steps = len(self.sigmas) - 1
        self.start = self.zero(x)

    def zero(self, x: torch.Tensor) -> torch.Tensor:
        return zero_padded(x, self.mask)

    def denoise(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        return self.model(x, x.new_full((x.shape[0],), sigma), **self.extra)

    def derivative(self, x: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(dx/dσ, denoised) of the probability-flow ODE."""
        denoised = self.denoise(x, sigma)
        return (x - denoised) / sigma, denoised

    def report(self, i: int, x: torch.Tensor, denoised: torch.Tensor) -> None:
        if self.callback is not None:
            self.callback({"i": i, "x": x, "sigma": self.sigmas[i], "denoised": denoised})


def _need_noise(noise: Noise | None, what: str) -> Noise:
    # Checked before the first step so a misconfigured run fails at once, not at step k.
    if noise is None:
        raise UsageError(f"{what} is stochastic and needs a noise source "
                         "(pass noise=JetNoise(seeds))")
    return noise


@torch.no_grad()
def sample_euler(model: Model, x: torch.Tensor, sigmas: torch.Tensor, *,
                 extra_args: dict[str, Any] | None = None, callback: Callback | None = None,
                 noise: Noise | None = None) -> torch.Tensor:
    """First-order Euler steps of the probability-flow ODE (1 NFE per step)."""
    run = _Run(model, x, sigmas, extra_args, callback)
    x, s = run.start, run.sigmas
    for i in range(run.steps):
        d, denoised = run.derivative(x, s[i])
        x = run.zero(x + d * (s[i + 1] - s[i]))
        run.report(i, x, denoised)
    return x


@torch.no_grad()
def sample_heun(model: Model, x: torch.Tensor, sigmas: torch.Tensor, *,
                extra_args: dict[str, Any] | None = None, callback: Callback | None = None,
                noise: Noise | None = None, s_churn: float = 0.0, s_tmin: float = 0.0,
                s_tmax: float = float("inf"), s_noise: float = 1.0) -> torch.Tensor:
    """EDM Algorithm 2: Heun's 2nd-order method; a step into σ = 0 is a plain Euler step.

    With ``s_churn > 0`` it is EDM's stochastic sampler: before each step with
    s_tmin ≤ σ ≤ s_tmax, noise raises σ to σ̂ = σ(1 + γ), γ = min(s_churn/N, √2 − 1), with
    ``s_noise`` slightly above 1 compensating for detail lost by the denoiser.
    """
    run = _Run(model, x, sigmas, extra_args, callback)
    if s_churn > 0:
        noise = _need_noise(noise, "heun with s_churn > 0")
    x, s = run.start, run.sigmas
    gamma_max = min(s_churn / max(run.steps, 1), math.sqrt(2) - 1)
    for i in range(run.steps):
        gamma = gamma_max if s_tmin <= s[i] <= s_tmax else 0.0
        sigma_hat = s[i] * (1 + gamma)
        if gamma > 0 and noise is not None:
            eps = noise(x, i + 1) * s_noise
            x = run.zero(x + eps * math.sqrt(sigma_hat**2 - s[i] ** 2))
        d, denoised = run.derivative(x, sigma_hat)
        dt = s[i + 1] - sigma_hat
        x_next = x + d * dt
        if s[i + 1] > 0:
            # The trapezoidal correction needs D at the end point, undefined at σ = 0.
            d_next, _ = run.derivative(run.zero(x_next), s[i + 1])
            x_next = x + (d + d_next) * (dt / 2)
        x = run.zero(x_next)
        run.report(i, x, denoised)
    return x


@torch.no_grad()
def sample_euler_maruyama(model: Model, x: torch.Tensor, sigmas: torch.Tensor, *,
                          extra_args: dict[str, Any] | None = None,
                          callback: Callback | None = None,
                          noise: Noise | None = None) -> torch.Tensor:
    """Euler–Maruyama on the reverse-time SDE (1 NFE per step, stochastic).

    In the time variable t = σ² the forward process is plain Brownian motion, so the
    reverse SDE is dx = −∇log p(x; σ) dt + dW̄ with ∇log p = (D − x)/σ². One step from σ
    to σ' is x' = x + (σ² − σ'²)(D − x)/σ² + √(σ² − σ'²) ε: the drift is evaluated at
    the start (Euler) and the noise has exactly the variance the step removes. The final
    step into σ = 0 returns D without adding noise.
    """
    run = _Run(model, x, sigmas, extra_args, callback)
    noise = _need_noise(noise, "euler_maruyama")
    x, s = run.start, run.sigmas
    for i in range(run.steps):
        denoised = run.denoise(x, s[i])
        if s[i + 1] > 0:
            dt = s[i] ** 2 - s[i + 1] ** 2
            x = x + (denoised - x) * (dt / s[i] ** 2) + noise(x, i + 1) * math.sqrt(dt)
        else:
            x = denoised
        x = run.zero(x)
        run.report(i, x, denoised)
    return x


@torch.no_grad()
def sample_ddim(model: Model, x: torch.Tensor, sigmas: torch.Tensor, *,
                extra_args: dict[str, Any] | None = None, callback: Callback | None = None,
                noise: Noise | None = None, eta: float = 0.0) -> torch.Tensor:
    """DDIM in EDM's σ parameterisation (1 NFE per step).

    ``eta = 0`` is deterministic (and equals an Euler step of the ODE: x' = D +
    (σ'/σ)(x − D)). ``eta > 0`` is ancestral: the step lands at σ_down < σ' and fresh
    noise of scale σ_up brings it back up to σ', σ_down² + σ_up² = σ'²; ``eta = 1`` is
    DDPM-like ancestral sampling.
    """
    run = _Run(model, x, sigmas, extra_args, callback)
    if eta > 0:
        noise = _need_noise(noise, "ddim with eta > 0")
    x, s = run.start, run.sigmas
    for i in range(run.steps):
        denoised = run.denoise(x, s[i])
        # Deterministic steps skip the ancestral split: on a rising grid (encoding a jet
        # to noise) its square root would be of a negative number.
        sigma_up = 0.0 if eta == 0 else min(
            s[i + 1], eta * math.sqrt(s[i + 1] ** 2 * (s[i] ** 2 - s[i + 1] ** 2) / s[i] ** 2))
        sigma_down = math.sqrt(s[i + 1] ** 2 - sigma_up**2)
        x = denoised + (x - denoised) * (sigma_down / s[i])
        if sigma_up > 0 and noise is not None:
            x = x + noise(x, i + 1) * sigma_up
        x = run.zero(x)
        run.report(i, x, denoised)
    return x


@torch.no_grad()
def sample_dpmpp_2m(model: Model, x: torch.Tensor, sigmas: torch.Tensor, *,
                    extra_args: dict[str, Any] | None = None,
                    callback: Callback | None = None,
                    noise: Noise | None = None) -> torch.Tensor:
    """DPM-Solver++(2M) (Lu et al. 2022): exact in the linear part, second order from the
    previous step's denoised estimate, in log-σ time λ = −log σ (1 NFE per step)."""
    run = _Run(model, x, sigmas, extra_args, callback)
    x, s = run.start, run.sigmas
    old: torch.Tensor | None = None
    for i in range(run.steps):
        denoised = run.denoise(x, s[i])
        if s[i + 1] == 0:
            x = denoised
        else:
            h = math.log(s[i]) - math.log(s[i + 1])
            d = denoised
            if old is not None:
                r = (math.log(s[i - 1]) - math.log(s[i])) / h
                d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old
            x = (s[i + 1] / s[i]) * x - math.expm1(-h) * d
        x = run.zero(x)
        old = denoised
        run.report(i, x, denoised)
    return x


@torch.no_grad()
def sample_rk4(model: Model, x: torch.Tensor, sigmas: torch.Tensor, *,
               extra_args: dict[str, Any] | None = None, callback: Callback | None = None,
               noise: Noise | None = None) -> torch.Tensor:
    """Classical 4th-order Runge–Kutta on the ODE (4 NFE per step); like Heun, the step
    into σ = 0 is a single Euler step because D at σ = 0 is undefined."""
    run = _Run(model, x, sigmas, extra_args, callback)
    x, s = run.start, run.sigmas
    for i in range(run.steps):
        h = s[i + 1] - s[i]
        k1, denoised = run.derivative(x, s[i])
        if s[i + 1] > 0:
            mid = s[i] + h / 2
            k2, _ = run.derivative(run.zero(x + k1 * (h / 2)), mid)
            k3, _ = run.derivative(run.zero(x + k2 * (h / 2)), mid)
            k4, _ = run.derivative(run.zero(x + k3 * h), s[i + 1])
            x = x + (k1 + 2 * k2 + 2 * k3 + k4) * (h / 6)
        else:
            x = x + k1 * h
        x = run.zero(x)
        run.report(i, x, denoised)
    return x


@functools.lru_cache(maxsize=32)
def lms_coefficients(sigmas: tuple[float, ...], order: int = 4) -> tuple[tuple[float, ...], ...]:
    """Adams–Bashforth weights on a non-uniform σ grid, one tuple per step.

    Step i uses the derivatives at σ_i, σ_{i−1}, … (newest first, up to ``order`` of
    them); weight j is ∫_{σ_i}^{σ_{i+1}} ℓ_j(τ) dτ for the Lagrange basis polynomial ℓ_j
    through those points. The integrand is a polynomial of degree < order, so
    Gauss–Legendre with ``order`` nodes integrates it exactly. Cached: a schedule is
    reused for every batch of a run.
    """
    nodes, weights = np.polynomial.legendre.leggauss(order)
    out = []
    for i in range(len(sigmas) - 1):
        a, b = sigmas[i], sigmas[i + 1]
        taus = (b - a) / 2 * nodes + (a + b) / 2
        points = [sigmas[i - j] for j in range(min(i + 1, order))]
        coeffs = []
        for j, pj in enumerate(points):
            basis = np.ones_like(taus)
            for k, pk in enumerate(points):
                if k != j:
                    basis *= (taus - pk) / (pj - pk)
            coeffs.append(float((b - a) / 2 * np.dot(weights, basis)))
        out.append(tuple(coeffs))
    return tuple(out)


@torch.no_grad()
def sample_lms(model: Model, x: torch.Tensor, sigmas: torch.Tensor, *,
               extra_args: dict[str, Any] | None = None, callback: Callback | None = None,
               noise: Noise | None = None, order: int = 4) -> torch.Tensor:
    """Linear multistep (Adams–Bashforth) of ``order`` on the ODE, 1 NFE per step; the
    first steps use the lower orders that the available history allows."""
    if order < 1:
        raise UsageError(f"lms order must be at least 1, got {order}")
    run = _Run(model, x, sigmas, extra_args, callback)
    x, s = run.start, run.sigmas
    coeffs = lms_coefficients(tuple(s), order)
    history: list[torch.Tensor] = []  # newest derivative first
    for i in range(run.steps):
        d, denoised = run.derivative(x, s[i])
        history = [d, *history[: order - 1]]
        x = run.zero(x + sum(c * dj for c, dj in zip(coeffs[i], history, strict=True)))
        run.report(i, x, denoised)
    return x


SAMPLERS: dict[str, Sampler] = {
    "euler": sample_euler,
    "heun": sample_heun,
    "euler_maruyama": sample_euler_maruyama,
    "ddim": sample_ddim,
    "dpmpp_2m": sample_dpmpp_2m,
    "rk4": sample_rk4,
    "lms": sample_lms,
}

#: (network evaluations per step, evaluations saved on the final step into σ = 0)
_NFE: dict[str, tuple[int, int]] = {"heun": (2, 1), "rk4": (4, 3)}


def _register_consistency() -> None:
    # consistency.py builds on denoiser.py, not on this module, so no import cycle; it
    # lives there because it needs the consistency parameterisation.
    from .consistency import sample_consistency

    SAMPLERS["consistency"] = sample_consistency


_register_consistency()


def get_sampler(name: str) -> Sampler:
    """The sampler function registered as ``name`` (UsageError naming the nearest)."""
    if name not in SAMPLERS:
        raise UsageError(f"unknown sampler {name!r}{nearest(name, SAMPLERS)}")
    return SAMPLERS[name]


def nfe(name: str, n_steps: int) -> int:
    """Network evaluations per jet for ``n_steps`` steps on a grid ending in σ = 0.

    Heun and RK4 take a single Euler evaluation on the last step: 2n − 1 and 4n − 3.
    """
    get_sampler(name)
    per_step, saved = _NFE.get(name, (1, 0))
    return per_step * n_steps - saved if n_steps > 0 else 0
