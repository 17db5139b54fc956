"""From noise to jets: the jet-level model draws (pT, η, mass, n) unless the user gives
them, then the particle model draws the constituents. Plain functions over a loaded
:class:`~jetgen.models.jetmodel.JetModel`; the CLI and benchmarks drive them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..diffusion.noise import JetNoise
from ..diffusion.samplers import get_sampler
from ..diffusion.schedules import get_sigmas
from ..jets import Jets
from ..models.jetmodel import JetModel

#: The jet-level model draws its noise from a separate stream of each jet's generator,
#: so giving kinematics via --conditions leaves the particle noise of a jet unchanged.
JET_LEVEL_DRAW_OFFSET = 1 << 20


def _sigmas(model: JetModel, steps: int, schedule: str, device) -> torch.Tensor:
    c = model.config
    return get_sigmas(schedule, steps, c.sigma_min, c.sigma_max, rho=c.rho).to(device)


@torch.inference_mode()
def sample_jet_kinematics(model: JetModel, jet_type: torch.Tensor, seeds: torch.Tensor,
                          sampler: str, steps: int, schedule: str) -> torch.Tensor:
    """[B, 4] (pt, eta, mass, n) for each jet's class."""
    device = jet_type.device
    sigmas = _sigmas(model, steps, schedule, device)
    noise = JetNoise(seeds, draw_offset=JET_LEVEL_DRAW_OFFSET)
    z = noise.initial((1, 4), device) * sigmas[0]
    ones = torch.ones(len(seeds), 1, dtype=torch.bool, device=device)
    z = get_sampler(sampler)(
        model.jet, z, sigmas, extra_args={"mask": ones, "cond": model.class_onehot(jet_type)},
        noise=noise,
    )
    return model.standardiser.jets_from_model(z[:, 0])


@torch.inference_mode()
def sample_particles(model: JetModel, jet_type: torch.Tensor, jet: torch.Tensor,
                     seeds: torch.Tensor, sampler: str, steps: int, schedule: str,
                     callback: Callable | None = None,
                     precision: str = "fp32") -> tuple[torch.Tensor, torch.Tensor]:
    """Constituents given the jets: ([B, P, 3] JetNet features, [B, P] mask).

    ``precision`` (jetgen.device) applies to the particle network only: noise and solver
    state stay fp32, and the jet-level model always runs in fp32 (it is cheap, and the jet
    mass and pT it sets are what analyses cut on)."""
    device = jet.device
    mask = model.particle_mask(jet)
    sigmas = _sigmas(model, steps, schedule, device)
    noise = JetNoise(seeds)
    x = noise.initial((model.config.n_particles, 3), device) * sigmas[0] * mask[..., None]
    cond = model.particle_cond(jet_type, jet)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        x = get_sampler(sampler)(
            model.particle, x, sigmas, extra_args={"mask": mask, "cond": cond}, noise=noise,
            callback=callback,
        )
    x = x.float()
    return model.standardiser.particles_from_model(x, mask), mask


@torch.inference_mode()
def generate_batch(model: JetModel, jet_type: np.ndarray, seeds: np.ndarray, *,
                   sampler: str, steps: int, schedule: str = "karras",
                   conditions: np.ndarray | None = None, device: str | torch.device = "cpu",
                   callback: Callable | None = None, precision: str = "fp32") -> Jets:
    """One batch of jets; jet i depends only on (model, seeds[i], jet_type[i], conditions[i])."""
    t_type = torch.as_tensor(jet_type, dtype=torch.long, device=device)
    t_seeds = torch.as_tensor(seeds.astype(np.int64), device=device)
    extra: dict[str, np.ndarray] = {"jet_seed": seeds.astype(np.uint64)}
    if conditions is None:
        c = model.config
        jet = sample_jet_kinematics(model, t_type, t_seeds, c.jet_sampler, c.jet_steps,
                                    c.jet_schedule)
    else:
        jet = torch.as_tensor(conditions, dtype=torch.float32, device=device).clone()
        jet[:, 3] = jet[:, 3].round().clamp(1, model.config.n_particles)
        extra.update(cond_pt=conditions[:, 0].astype(np.float32),
                     cond_mass=conditions[:, 2].astype(np.float32))
    particles, mask = sample_particles(model, t_type, jet, t_seeds, sampler, steps, schedule,
                                       callback, precision)
    jet[:, 3] = mask.sum(1)
    return Jets(particles.cpu().numpy(), mask.cpu().numpy(), jet.cpu().numpy(),
                np.asarray(jet_type, np.int32), extra)
