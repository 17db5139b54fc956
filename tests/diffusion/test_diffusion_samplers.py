"""Samplers on data whose exact denoiser E[x0 | x_σ] is known in closed form.

For x0 ~ N(μ, s²) per element the probability-flow ODE is linear and its solution is
x(σ) = μ + (x(σ_max) − μ) √(s² + σ²) / √(s² + σ_max²), so ODE samplers can be checked
point by point; a two-component Gaussian mixture checks distributions with a non-linear
denoiser.
"""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from jetgen.diffusion.denoiser import EDMDenoiser
from jetgen.diffusion.noise import JetNoise
from jetgen.diffusion.samplers import SAMPLERS, get_sampler, lms_coefficients, nfe
from jetgen.diffusion.schedules import get_sigmas
from jetgen.errors import UsageError

MU, S = 0.5, 0.3
SIGMA_MIN, SIGMA_MAX = 0.002, 80.0
# Mixture: weights, means, standard deviations.
W, M, SD = (torch.tensor(v, dtype=torch.float64) for v in ([0.3, 0.7], [-1.0, 1.0],
                                                            [0.2, 0.4]))

ODE_SAMPLERS = ("euler", "ddim", "heun", "rk4", "lms", "dpmpp_2m")
# name → keyword arguments that make it stochastic
STOCHASTIC = {"heun": {"s_churn": 40.0}, "euler_maruyama": {}, "ddim": {"eta": 1.0}}
OURS = ("euler", "heun", "euler_maruyama", "ddim", "dpmpp_2m", "rk4", "lms")


def gaussian_denoiser(x, sigma, mask=None, cond=None):
    """Exact E[x0 | x_σ] for x0 ~ N(MU, S²) per element; ignores the mask on purpose, so
    the tests see whether the samplers themselves keep padded particles at zero."""
    return MU + S**2 / (S**2 + sigma[:, None, None] ** 2) * (x - MU)


def mixture_denoiser(x, sigma, mask=None, cond=None):
    """Exact E[x0 | x_σ] for x0 ~ Σ_k W_k N(M_k, SD_k²) per element."""
    var = SD**2 + sigma.double()[:, None, None, None] ** 2
    xe = x.double()[..., None]
    log_w = W.log() - 0.5 * var.log() - (xe - M) ** 2 / (2 * var)
    posterior_mean = M + SD**2 / var * (xe - M)
    return (torch.softmax(log_w, -1) * posterior_mean).sum(-1).to(x.dtype)


def mixture_cdf(z):
    return (W.numpy() * stats.norm.cdf((z[:, None] - M.numpy()) / SD.numpy())).sum(1)


MIX_MEAN = float((W * M).sum())
MIX_STD = math.sqrt(float((W * (SD**2 + M**2)).sum()) - MIX_MEAN**2)


def sigmas64(steps):
    return get_sigmas("karras", steps, SIGMA_MIN, SIGMA_MAX).double()


def start(n_jets, shape=(4, 2), sigma_max=SIGMA_MAX):
    return JetNoise(torch.arange(n_jets)).initial(shape, dtype=torch.float64) * sigma_max


def exact_flow(x_start, sigma_from, sigma_to):
    return MU + (x_start - MU) * math.sqrt(S**2 + sigma_to**2) / math.sqrt(S**2 + sigma_from**2)


def ode_error(name, steps):
    x = start(256)
    out = get_sampler(name)(gaussian_denoiser, x, sigmas64(steps))
    return (out - exact_flow(x, SIGMA_MAX, 0.0)).abs().max().item()


@pytest.mark.parametrize(("name", "steps", "tol"), [
    ("euler", 100, 0.04), ("ddim", 100, 0.04), ("heun", 100, 2.5e-3), ("rk4", 50, 1e-4),
    ("lms", 100, 5e-4), ("dpmpp_2m", 100, 2.5e-3)])
def test_ode_samplers_follow_the_exact_gaussian_flow(name, steps, tol):
    assert ode_error(name, steps) < tol


@pytest.mark.parametrize(("name", "steps", "ratio"), [
    ("euler", 50, 1.8), ("heun", 50, 3.5), ("dpmpp_2m", 50, 3.5), ("lms", 50, 8.0),
    ("rk4", 10, 12.0)])
def test_convergence_order(name, steps, ratio):
    # Doubling the steps divides the error by ~2^order (1: Euler; 2: Heun, DPM++ 2M; more
    # for LMS-4 and RK4 until the final Euler step into σ = 0 dominates).
    assert ode_error(name, steps) / ode_error(name, 2 * steps) > ratio


def test_heun_and_rk4_agree_on_one_trajectory():
    x = start(64)
    heun = get_sampler("heun")(gaussian_denoiser, x, sigmas64(200))
    rk4 = get_sampler("rk4")(gaussian_denoiser, x, sigmas64(50))
    assert (heun - rk4).abs().max() < 1e-3
    # Non-linear denoiser: no closed form, but two converged solvers must agree.
    heun = get_sampler("heun")(mixture_denoiser, x, sigmas64(400))
    rk4 = get_sampler("rk4")(mixture_denoiser, x, sigmas64(100))
    assert (heun - rk4).abs().max() < 1e-3


@pytest.mark.parametrize("name", ODE_SAMPLERS)
def test_grid_that_stops_above_zero(name):
    # Distillation steps between two noise levels: the sampler must stop at the last σ.
    sigmas = torch.linspace(2.0, 1.0, 41, dtype=torch.float64)
    x = start(32, sigma_max=2.0)
    out = get_sampler(name)(gaussian_denoiser, x, sigmas)
    tol = 2e-3 if name in ("euler", "ddim") else 1e-5
    assert torch.allclose(out, exact_flow(x, 2.0, 1.0), atol=tol)


CASES = [(name, {}, 0.02, 0.015, {"euler": 200, "ddim": 200, "rk4": 25}.get(name, 50))
         for name in ODE_SAMPLERS]
CASES += [(name, kw, 0.04, 0.025, 200 if name != "heun" else 100)
          for name, kw in STOCHASTIC.items()]


@pytest.mark.parametrize(("name", "kw", "tol", "ks_tol", "steps"), CASES,
                         ids=[f"{c[0]}{'-stochastic' if c[1] or c[0] == 'euler_maruyama' else ''}"
                              for c in CASES])
def test_samples_follow_the_data_distribution(name, kw, tol, ks_tol, steps):
    noise = JetNoise(torch.arange(4000))
    sigmas = get_sigmas("karras", steps, SIGMA_MIN, SIGMA_MAX)
    x = noise.initial((1, 2)) * sigmas[0]
    sampler = get_sampler(name)
    gauss = sampler(gaussian_denoiser, x, sigmas, noise=noise, **kw).double()
    assert abs(gauss.mean().item() - MU) < tol / 2
    assert abs(gauss.std().item() - S) < tol / 2
    mix = sampler(mixture_denoiser, x, sigmas, noise=noise, **kw).flatten().double()
    assert abs(mix.mean().item() - MIX_MEAN) < tol
    assert abs(mix.std().item() - MIX_STD) < tol
    assert abs((mix < 0).double().mean().item() - W[0].item()) < tol  # mode weights
    assert stats.kstest(mix.numpy(), mixture_cdf).statistic < ks_tol


def _masked_batch(n_jets=8, n_particles=6):
    counts = torch.tensor([0, 1, 2, 3, 4, 5, 6, 6])[:n_jets]
    mask = torch.arange(n_particles)[None, :] < counts[:, None]
    noise = JetNoise(torch.arange(n_jets))
    clean = noise.initial((n_particles, 3)) * SIGMA_MAX * mask[..., None]
    return mask, noise, clean


@pytest.mark.parametrize("name", OURS)
def test_padded_particles_stay_exactly_zero(name):
    mask, noise, clean = _masked_batch()
    dirty = torch.where(mask[..., None], clean, torch.full_like(clean, 123.0))
    sigmas = get_sigmas("karras", 6, SIGMA_MIN, SIGMA_MAX)
    kw = STOCHASTIC.get(name, {})
    seen = []
    out = get_sampler(name)(gaussian_denoiser, dirty, sigmas, extra_args={"mask": mask},
                            noise=noise, callback=lambda r: seen.append(r["x"]), **kw)
    for x in [*seen, out]:
        assert (x[~mask] == 0).all() and not x[~mask].signbit().any()
    # What sat in the padded slots changes nothing for the real particles.
    ref = get_sampler(name)(gaussian_denoiser, clean, sigmas, extra_args={"mask": mask},
                            noise=noise, **kw)
    assert torch.equal(out, ref)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_registered_sampler_masks_with_a_denoiser(name):
    mask, noise, clean = _masked_batch()
    denoiser = EDMDenoiser(lambda x, c, m, cond: torch.zeros_like(x), sigma_data=0.5)
    out = get_sampler(name)(denoiser, clean, get_sigmas("karras", 4, SIGMA_MIN, SIGMA_MAX),
                            extra_args={"mask": mask, "cond": None}, noise=noise)
    assert out.shape == clean.shape and (out[~mask] == 0).all()
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", OURS)
def test_same_seeds_same_jets_in_any_batch(name):
    seeds = torch.arange(500, 564)
    sigmas = get_sigmas("karras", 8, SIGMA_MIN, SIGMA_MAX)
    kw = STOCHASTIC.get(name, {})

    def run(part):
        noise = JetNoise(part)
        x = noise.initial((5, 3)) * sigmas[0]
        return get_sampler(name)(gaussian_denoiser, x, sigmas, noise=noise, **kw)

    full = run(seeds)
    for size in (7, 64):
        assert torch.equal(torch.cat([run(seeds[i:i + size]) for i in range(0, 64, size)]),
                           full)
    assert torch.equal(run(seeds[10:17]), full[10:17])


@pytest.mark.parametrize(("name", "kw"), [(n, {}) for n in OURS if n != "euler_maruyama"]
                         + list(STOCHASTIC.items()))
def test_callback_and_nfe(name, kw):
    calls, records = [], []

    def model(x, sigma, **extra):
        assert set(extra) == {"mask", "cond"} and sigma.shape == (x.shape[0],)
        calls.append(sigma[0].item())
        return gaussian_denoiser(x, sigma)

    steps = 7
    sigmas = get_sigmas("karras", steps, SIGMA_MIN, SIGMA_MAX)
    x = torch.randn(3, 2, 2) * SIGMA_MAX
    extra = {"mask": torch.ones(3, 2, dtype=torch.bool), "cond": None}
    get_sampler(name)(model, x, sigmas, extra_args=extra, callback=records.append,
                      noise=JetNoise(torch.arange(3)), **kw)
    assert len(calls) == nfe(name, steps)
    assert 0 not in calls  # σ = 0 is never passed to the network
    assert [r["i"] for r in records] == list(range(steps))
    assert [r["sigma"] for r in records] == pytest.approx(sigmas[:-1].tolist())
    assert all(set(r) == {"i", "x", "sigma", "denoised"} for r in records)


def test_nfe_and_names():
    assert nfe("heun", 10) == 19 and nfe("rk4", 10) == 37
    assert nfe("euler", 10) == nfe("lms", 10) == nfe("dpmpp_2m", 10) == 10
    assert nfe("heun", 1) == 1
    assert set(OURS) <= set(SAMPLERS)
    with pytest.raises(UsageError, match="did you mean 'heun'"):
        get_sampler("huen")
    with pytest.raises(UsageError, match="euler_maruyama"):
        nfe("euler_maruyam", 10)


@pytest.mark.parametrize(("name", "kw"), list(STOCHASTIC.items()))
def test_stochastic_sampler_without_noise_source_is_an_error(name, kw):
    x = torch.zeros(2, 3, 3)
    with pytest.raises(UsageError, match="noise"):
        get_sampler(name)(gaussian_denoiser, x, get_sigmas("karras", 3, 0.01, 1.0), **kw)


def test_deterministic_ddim_is_euler():
    x = start(16)
    sigmas = sigmas64(20)
    ddim = get_sampler("ddim")(gaussian_denoiser, x, sigmas)
    assert torch.allclose(ddim, get_sampler("euler")(gaussian_denoiser, x, sigmas))


def test_lms_coefficients_match_quadrature():
    sigmas = tuple(get_sigmas("karras", 10, SIGMA_MIN, SIGMA_MAX).double().tolist())
    coeffs = lms_coefficients(sigmas, 4)
    assert [len(c) for c in coeffs] == [1, 2, 3, 4, 4, 4, 4, 4, 4, 4]
    for i, row in enumerate(coeffs):
        # The Lagrange basis sums to one, so the weights sum to the step.
        assert sum(row) == pytest.approx(sigmas[i + 1] - sigmas[i], rel=1e-9)
        points = [sigmas[i - j] for j in range(len(row))]
        for j, c in enumerate(row):
            def basis(tau, j=j, points=points):
                return np.prod([(tau - p) / (points[j] - p)
                                for k, p in enumerate(points) if k != j])
            want = integrate.quad(basis, sigmas[i], sigmas[i + 1], epsrel=1e-12)[0]
            assert c == pytest.approx(want, rel=1e-8, abs=1e-10)


def test_deterministic_ddim_runs_on_a_rising_grid_like_euler():
    """Encoding (σ increasing) must work for eta = 0, where DDIM is the Euler step."""
    from jetgen.diffusion.samplers import sample_ddim, sample_euler

    def denoiser(x, sigma, mask=None, cond=None):
        return 0.5 * x

    x = torch.randn(4, 5, 3, generator=torch.Generator().manual_seed(3))
    rising = torch.tensor([0.01, 0.1, 1.0, 10.0])
    out = sample_ddim(denoiser, x, rising)
    torch.testing.assert_close(out, sample_euler(denoiser, x, rising))
    assert torch.isfinite(out).all()
