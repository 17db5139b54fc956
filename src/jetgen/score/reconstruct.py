"""Encode real jets to noise with the deterministic probability-flow ODE and decode them
back: how faithfully a solver, at a given number of steps, inverts itself on real data.

Both directions run the same registered sampler on the model's own σ grid: up along the
grid reversed (σ_min → σ_max, starting from the jet at σ_min) and down along it as in
sampling (σ_max → σ_min → 0). With exact ODE solves the round trip is the identity (up
to the last step into σ = 0, which returns D(x; σ_min)); what remains is discretisation
error, measured per jet by the jet-image L1 distance of :mod:`jetgen.score.images`.
"""

from __future__ import annotations

import numpy as np
import torch

from ..diffusion.samplers import SAMPLERS, Sampler, get_sampler
from ..diffusion.schedules import get_sigmas
from ..errors import UsageError
from ..jets import Jets
from ..models.jetmodel import JetModel
from .images import image_l1
from .likelihood import canonical_order, check_jets, check_scorable, fit_slots

#: Registered samplers that are not deterministic ODE solvers, and why.
NOT_ODE: dict[str, str] = {
    "euler_maruyama": "is a stochastic (SDE) sampler",
    "consistency": "jumps from noise to data in one map and has no ODE to run backwards",
}


def ode_samplers() -> tuple[str, ...]:
    """Names of the registered deterministic ODE solvers, in registry order."""
    return tuple(name for name in SAMPLERS if name not in NOT_ODE)


def check_ode_sampler(name: str) -> str:
    get_sampler(name)
    if name in NOT_ODE:
        raise UsageError(f"--sampler {name} {NOT_ODE[name]}; reconstruction needs a "
                         f"deterministic ODE solver: {', '.join(ode_samplers())}")
    return name


def _encoder(name: str) -> Sampler:
    # DDIM with η = 0 is exactly an Euler step of the ODE (x' = D + (σ'/σ)(x − D)), but
    # its implementation computes the ancestral noise scale with a square root that is
    # only real on decreasing grids, so the way up takes the identical Euler step.
    return get_sampler("euler" if name == "ddim" else name)


def reconstruction_grids(model: JetModel, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(up: σ_min → σ_max, down: σ_max → σ_min → 0) for ``steps`` sampling steps."""
    if steps < 2:
        raise UsageError(f"--steps must be at least 2 for a reconstruction (one step "
                         f"each way), got {steps}")
    cfg = model.config
    down = get_sigmas(cfg.schedule, steps, cfg.sigma_min, cfg.sigma_max, rho=cfg.rho)
    return down[:-1].flip(0), down


def reconstruct_batch(model: JetModel, jets: Jets, *, sampler: str, steps: int,
                      device: str | torch.device = "cpu") -> tuple[Jets, np.ndarray]:
    """(reconstructed jets in JetNet form, [N] jet-image L1 distance to the originals).

    Jets are conditioned on their recorded class and jet features, like the scores; the
    reconstructions keep those jet features and the constituent count.
    """
    check_ode_sampler(sampler)
    check_scorable(model, jets.jet_type)
    check_jets(jets)
    particles, mask = canonical_order(jets.particles, jets.mask)
    particles, mask = fit_slots(particles, mask, model.config.n_particles)
    up, down = reconstruction_grids(model, steps)
    with torch.inference_mode():
        t_mask = torch.as_tensor(mask, device=device)
        x = model.standardiser.particles_to_model(
            torch.as_tensor(particles, dtype=torch.float32, device=device), t_mask)
        cond = model.particle_cond(torch.as_tensor(jets.jet_type, dtype=torch.long,
                                                   device=device),
                                   torch.as_tensor(jets.jet, dtype=torch.float32,
                                                   device=device))
        extra = {"mask": t_mask, "cond": cond}
        latent = _encoder(sampler)(model.particle, x, up.to(device), extra_args=extra)
        x_hat = get_sampler(sampler)(model.particle, latent, down.to(device),
                                     extra_args=extra)
        out = model.standardiser.particles_from_model(x_hat, t_mask)
    recon = Jets(out.cpu().numpy(), mask, jets.jet.copy(), jets.jet_type.copy())
    distance = image_l1((jets.particles, jets.mask), (recon.particles, recon.mask))
    return recon, distance
