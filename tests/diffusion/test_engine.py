"""Samplers, noise and preconditioning on cases with a known answer."""

import math

import numpy as np
import pytest
import torch

from jetgen.diffusion.denoiser import EDMDenoiser
from jetgen.diffusion.losses import edm_loss
from jetgen.diffusion.noise import JetNoise, jet_noise
from jetgen.diffusion.samplers import SAMPLERS, get_sampler, nfe
from jetgen.diffusion.schedules import SCHEDULES, get_sigmas
from jetgen.errors import UsageError

MU, S = 0.5, 0.3
SIGMA_MAX = 20.0


def gaussian_denoiser(x, sigma, mask=None, cond=None):
    """Exact E[x0 | x_σ] for x0 ~ N(MU, S²) per element."""
    s = sigma[:, None, None]
    out = MU + S**2 / (S**2 + s**2) * (x - MU)
    return out if mask is None else out * mask[..., None]


def exact_ode_endpoint(x_start):
    # The probability-flow ODE for Gaussian data is linear: x(σ)−μ ∝ sqrt(S² + σ²).
    return MU + (x_start - MU) * S / math.sqrt(S**2 + SIGMA_MAX**2)


@pytest.mark.parametrize(("name", "steps", "tol"), [("euler", 200, 2e-2), ("heun", 100, 2e-3),
                                                      ("dpmpp_2m", 60, 5e-3)])
def test_ode_samplers_follow_the_exact_gaussian_flow(name, steps, tol):
    seeds = torch.arange(64)
    x = jet_noise(seeds, (5, 3), 0) * SIGMA_MAX
    sigmas = get_sigmas("karras", steps, 0.002, SIGMA_MAX)
    out = get_sampler(name)(gaussian_denoiser, x, sigmas)
    assert torch.allclose(out, exact_ode_endpoint(x), atol=tol)


def test_stochastic_heun_reproduces_the_data_distribution():
    seeds = torch.arange(4000)
    x = jet_noise(seeds, (1, 2), 0) * SIGMA_MAX
    sigmas = get_sigmas("karras", 40, 0.002, SIGMA_MAX)
    out = SAMPLERS["heun"](gaussian_denoiser, x, sigmas, noise=JetNoise(seeds), s_churn=20.0)
    assert abs(out.mean().item() - MU) < 0.02
    assert abs(out.std().item() - S) < 0.02


def test_stochastic_sampler_without_noise_source_is_an_error():
    x = torch.zeros(2, 3, 3)
    with pytest.raises(UsageError, match="noise"):
        SAMPLERS["heun"](gaussian_denoiser, x, get_sigmas("karras", 3, 0.01, 1.0), s_churn=5.0)


def test_padded_particles_stay_exactly_zero():
    seeds = torch.arange(8)
    mask = torch.arange(6)[None, :] < torch.tensor([1, 2, 3, 4, 5, 6, 6, 2])[:, None]
    x = jet_noise(seeds, (6, 3), 0) * SIGMA_MAX * mask[..., None]
    for name in SAMPLERS:
        out = get_sampler(name)(gaussian_denoiser, x, get_sigmas("karras", 5, 0.002, SIGMA_MAX),
                                extra_args={"mask": mask}, noise=JetNoise(seeds))
        assert (out[~mask] == 0).all(), name


def test_jet_noise_is_standard_normal_and_uncorrelated():
    from scipy import stats

    z = jet_noise(torch.arange(2000), (30, 3), 0).double()
    assert abs(z.mean().item()) < 0.01 and abs(z.std().item() - 1) < 0.01
    assert stats.kstest(z.flatten().numpy()[:20000], "norm").pvalue > 1e-3
    neighbours = np.corrcoef(z[:-1].flatten().numpy(), z[1:].flatten().numpy())[0, 1]
    assert abs(neighbours) < 0.01


def test_jet_noise_depends_on_the_jet_not_the_batch():
    seeds = torch.arange(100, 164)
    full = jet_noise(seeds, (30, 3), 3)
    for size in (7, 64):
        parts = torch.cat([jet_noise(seeds[i:i + size], (30, 3), 3) for i in range(0, 64, size)])
        assert torch.equal(parts, full)
    assert not torch.equal(jet_noise(seeds, (30, 3), 4), full)


def test_preconditioning_is_identity_at_small_sigma():
    net = lambda x, c_noise, mask, cond: torch.ones_like(x)  # noqa: E731
    denoiser = EDMDenoiser(net, sigma_data=0.5)
    x = torch.randn(3, 4, 3)
    mask = torch.ones(3, 4, dtype=torch.bool)
    out = denoiser(x, torch.full((3,), 1e-6), mask)
    assert torch.allclose(out, x, atol=1e-5)
    c_skip, _c_out, c_in, _ = denoiser.scalings(torch.tensor(0.5))
    assert math.isclose(c_skip.item(), 0.5)
    assert math.isclose(c_in.item(), 1 / math.sqrt(0.5), rel_tol=1e-6)


def test_loss_ignores_padded_particles():
    net = torch.nn.Linear(3, 3)
    denoiser = EDMDenoiser(lambda x, c, m, cond: net(x), 1.0)
    x0 = torch.randn(4, 5, 3)
    mask = torch.ones(4, 5, dtype=torch.bool)
    mask[:, 3:] = False
    sigma, noise = torch.ones(4), torch.randn(4, 5, 3)
    base = edm_loss(denoiser, x0 * mask[..., None], mask, None, sigma, noise)
    x0[:, 3:] += 100.0
    noise[:, 3:] += 100.0
    assert torch.allclose(edm_loss(denoiser, x0 * mask[..., None], mask, None, sigma, noise),
                          base)


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_decrease_to_zero(name):
    sigmas = get_sigmas(name, 10, 0.002, 80.0)
    assert len(sigmas) == 11 and sigmas[-1] == 0
    assert (sigmas[:-1] > sigmas[1:]).all()
    assert math.isclose(sigmas[0].item(), 80.0, rel_tol=1e-5)


def test_unknown_names_suggest_the_nearest():
    with pytest.raises(UsageError, match="heun"):
        get_sampler("huen")
    with pytest.raises(UsageError, match="karras"):
        get_sigmas("karas", 10, 0.1, 1.0)
    assert nfe("heun", 10) == 19 and nfe("euler", 10) == 10
