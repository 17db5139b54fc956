"""ODE/SDE samplers as plain functions (k-diffusion style).

``model(x, sigma[B], **extra_args)`` returns the denoised estimate. When ``extra_args``
has a ``mask``, padded particles are held at exactly zero. ``callback`` gets a dict after
every step; ``noise(x, draw)`` supplies per-jet noise to the stochastic samplers.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import UsageError, nearest


def _d(x, sigma, denoised):
    return (x - denoised) / sigma


def _masked(x: torch.Tensor, extra_args: dict) -> torch.Tensor:
    mask = extra_args.get("mask")
    return x if mask is None else x * mask[..., None].to(x.dtype)


def _call(model, x, sigma, extra_args):
    return model(x, sigma * x.new_ones(x.shape[0]), **extra_args)


def _need_noise(noise, name):
    if noise is None:
        raise UsageError(f"sampler {name!r} is stochastic and needs a noise source")
    return noise


def _report(callback, i, x, sigma, denoised):
    if callback is not None:
        callback({"i": i, "x": x, "sigma": sigma, "denoised": denoised})


@torch.no_grad()
def sample_euler(model, x, sigmas, *, extra_args=None, callback=None, noise=None):
    extra_args = extra_args or {}
    for i in range(len(sigmas) - 1):
        denoised = _call(model, x, sigmas[i], extra_args)
        x = _masked(x + _d(x, sigmas[i], denoised) * (sigmas[i + 1] - sigmas[i]), extra_args)
        _report(callback, i, x, sigmas[i], denoised)
    return x


@torch.no_grad()
def sample_heun(model, x, sigmas, *, extra_args=None, callback=None, noise=None,
                s_churn: float = 0.0, s_tmin: float = 0.0, s_tmax: float = float("inf"),
                s_noise: float = 1.0):
    """EDM Algorithm 2; with ``s_churn > 0`` it is the stochastic EDM sampler."""
    extra_args = extra_args or {}
    n = len(sigmas) - 1
    for i in range(n):
        sigma = sigmas[i]
        gamma = min(s_churn / n, 2**0.5 - 1) if s_tmin <= sigma <= s_tmax else 0.0
        sigma_hat = sigma * (1 + gamma)
        if gamma > 0:
            eps = _need_noise(noise, "heun with churn")(x, i + 1) * s_noise
            x = _masked(x + eps * (sigma_hat**2 - sigma**2).sqrt(), extra_args)
        denoised = _call(model, x, sigma_hat, extra_args)
        d = _d(x, sigma_hat, denoised)
        dt = sigmas[i + 1] - sigma_hat
        if sigmas[i + 1] == 0:
            x = x + d * dt
        else:
            x_2 = x + d * dt
            d_2 = _d(x_2, sigmas[i + 1], _call(model, x_2, sigmas[i + 1], extra_args))
            x = x + (d + d_2) / 2 * dt
        x = _masked(x, extra_args)
        _report(callback, i, x, sigma, denoised)
    return x


@torch.no_grad()
def sample_dpmpp_2m(model, x, sigmas, *, extra_args=None, callback=None, noise=None):
    """DPM-Solver++(2M): second order from the previous step's denoised estimate."""
    extra_args = extra_args or {}
    old = None
    for i in range(len(sigmas) - 1):
        denoised = _call(model, x, sigmas[i], extra_args)
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            t, t_next = -sigmas[i].log(), -sigmas[i + 1].log()
            h = t_next - t
            if old is None:
                d = denoised
            else:
                r = (t - (-sigmas[i - 1].log())) / h
                d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old
            x = (sigmas[i + 1] / sigmas[i]) * x - torch.expm1(-h) * d
        x = _masked(x, extra_args)
        old = denoised
        _report(callback, i, x, sigmas[i], denoised)
    return x


SAMPLERS: dict[str, Callable] = {
    "euler": sample_euler,
    "heun": sample_heun,
    "dpmpp_2m": sample_dpmpp_2m,
}


def _register_consistency() -> None:
    # Imported here because consistency.py builds on denoiser.py, not on this module.
    from .consistency import sample_consistency

    SAMPLERS["consistency"] = sample_consistency


_register_consistency()


def get_sampler(name: str) -> Callable:
    if name not in SAMPLERS:
        raise UsageError(f"unknown sampler {name!r}{nearest(name, SAMPLERS)}")
    return SAMPLERS[name]


def nfe(name: str, n_steps: int) -> int:
    """Network evaluations per jet; Heun's last step (to σ = 0) is a single Euler step."""
    return 2 * n_steps - 1 if name == "heun" else n_steps
