"""Likelihoods on data whose density and exact EDM denoiser are known in closed form.

Particles are i.i.d. x ~ N(μ, Σ) in 3 correlated features (correlations make Hutchinson's
estimate noisy, as on jets; a diagonal Jacobian would be traced exactly by any Rademacher
probe). Then D(x; σ) = μ + Σ(Σ + σ²)⁻¹(x − μ), the probability-flow map is linear, and
the density of the samplers' model (prior N(0, σ_max²) pushed through the exact flow) is
known exactly too; it differs from the data density only by the prior's approximation.
"""

import math

import pytest
import torch

from jetgen.diffusion.noise import JetNoise
from jetgen.score.elbo import elbo_log_likelihood
from jetgen.score.ode import ode_log_likelihood

SIGMA_MIN, SIGMA_MAX = 0.002, 80.0
MU = torch.tensor([0.5, -0.2, 0.1], dtype=torch.float64)
CHOL = torch.tensor([[0.3, 0.0, 0.0], [0.2, 0.4, 0.0], [-0.1, 0.3, 0.6]], dtype=torch.float64)
COV = CHOL @ CHOL.T
EVALS, EVECS = torch.linalg.eigh(COV)
N_JETS, N_SLOTS = 48, 5


def gaussian_denoiser(x, sigma, mask, cond=None):
    """Exact E[x₀ | x_σ] per particle, zero at padded slots (as EDMDenoiser)."""
    shrink = EVALS / (EVALS + sigma.double()[:, None] ** 2)  # [B, 3] in the eigenbasis
    y = ((x.double() - MU) @ EVECS) * shrink[:, None, :]
    return ((MU + y @ EVECS.T) * mask[..., None]).to(x.dtype)


def _log_normal_eigen(y, var):
    return -0.5 * ((y**2 / var).sum(-1) + torch.log(2 * math.pi * var).sum())


@pytest.fixture(scope="module")
def data():
    counts = torch.tensor([1, 2, 3, 5] * (N_JETS // 4))
    mask = torch.arange(N_SLOTS)[None, :] < counts[:, None]
    z = JetNoise(torch.arange(N_JETS) + 10_000).initial((N_SLOTS, 3), dtype=torch.float64)
    x = torch.where(mask[..., None], MU + z @ CHOL.T, 0.0)
    y = (x - MU) @ EVECS
    exact = (_log_normal_eigen(y, EVALS) * mask).sum(1)
    # The model's density: pull back N(0, σ_max²) through the exact flow σ_min → σ_max.
    scale = ((EVALS + SIGMA_MAX**2) / (EVALS + SIGMA_MIN**2)).sqrt()
    x_end = MU + (y * scale) @ EVECS.T
    prior = -0.5 * ((x_end**2).sum(-1) / SIGMA_MAX**2 + 3 * math.log(2 * math.pi * SIGMA_MAX**2))
    model = ((prior + scale.log().sum()) * mask).sum(1)
    return x, mask, exact, model


def _ode(x, mask, **kw):
    return ode_log_likelihood(gaussian_denoiser, x, mask, None, torch.arange(len(x)),
                              sigma_min=SIGMA_MIN, sigma_max=SIGMA_MAX, **kw)


def test_the_model_density_is_the_data_density_up_to_the_prior(data):
    _, _, exact, model = data
    assert (model - exact).abs().max() < 0.05


def test_ode_with_exact_trace_matches_the_exact_density(data):
    x, mask, exact, model = data
    ode = _ode(x, mask, steps=32, probes=0)
    # Up to 15 dimensions per jet: the RK4 solve leaves ~3e-3 nats per dimension.
    assert (ode - model).abs().max() < 0.06
    assert (ode - exact).abs().max() < 0.09
    finer = _ode(x, mask, steps=64, probes=0)
    assert (finer - model).abs().max() < (ode - model).abs().max() / 3


def test_hutchinson_is_unbiased_and_shrinks_with_probes(data):
    x, mask, _, _ = data
    reference = _ode(x, mask, steps=32, probes=0)
    errors = {}
    for k in (1, 16):
        err = _ode(x, mask, steps=32, probes=k) - reference
        assert abs(err.mean()) < 3 * err.std() / math.sqrt(len(err)) + 1e-3
        errors[k] = err.std().item()
    assert errors[16] < errors[1] / 3
    assert errors[16] < 0.15


def test_elbo_is_a_tight_lower_bound_within_monte_carlo_error(data):
    x, mask, exact, _ = data
    elbo = elbo_log_likelihood(gaussian_denoiser, x, mask, None, torch.arange(len(x)),
                               samples=128, sigma_min=SIGMA_MIN, sigma_max=SIGMA_MAX,
                               sigma_data=0.5)
    gap = elbo - exact
    error = gap.std().item() / math.sqrt(len(gap))
    assert gap.mean() < 3 * error  # a bound: never above the exact value beyond MC error
    assert gap.mean() > -max(3 * error, 0.05)  # and tight for the exact denoiser
    assert gap.std() < 0.5  # per-jet Monte-Carlo spread at 128 strata, up to 15 dims


def test_estimates_ignore_padded_slots_and_other_jets(data):
    x, mask, _, _ = data
    dirty = torch.where(mask[..., None], x, torch.full_like(x, 9.0))
    seeds = torch.arange(len(x))
    kw = {"sigma_min": SIGMA_MIN, "sigma_max": SIGMA_MAX}
    ode = ode_log_likelihood(gaussian_denoiser, x, mask, None, seeds, steps=8, probes=2, **kw)
    assert torch.equal(ode, ode_log_likelihood(gaussian_denoiser, dirty, mask, None, seeds,
                                               steps=8, probes=2, **kw))
    alone = ode_log_likelihood(gaussian_denoiser, x[5:6], mask[5:6], None, seeds[5:6],
                               steps=8, probes=2, **kw)
    assert torch.allclose(alone, ode[5:6], rtol=0, atol=1e-9)
    elbo = elbo_log_likelihood(gaussian_denoiser, dirty, mask, None, seeds, samples=8, **kw)
    alone = elbo_log_likelihood(gaussian_denoiser, x[5:6], mask[5:6], None, seeds[5:6],
                                samples=8, **kw)
    assert torch.allclose(alone, elbo[5:6], rtol=0, atol=1e-9)
