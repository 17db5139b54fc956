"""jetgen's W1M, W1P, W1EFP, EFPs, FPD and KPD equal jetnet 0.2.5's on fixed inputs.

The first tests compare with values recorded from jetnet (they run everywhere, jetnet or
not); the last ones recompute with jetnet itself wherever it imports, so a stale recording
or a changed jetnet shows up.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from jetnet_fixed import (
    FPD,
    KPD_BATCH,
    RECORDED,
    SEEDS,
    U32,
    W1,
    mass_rounding_bound,
    record,
    samples,
    w1_rounding_bound,
)

from jetgen.evaluation import metrics as m
from jetgen.evaluation import physics_distances, w1
from jetgen.evaluation.efp_graphs import w1efp_columns
from jetgen.evaluation.efps import efps


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads(RECORDED.read_text())


@pytest.fixture(scope="module")
def inputs():
    gen, gen_mask, real, real_mask = samples()
    return gen, gen_mask, real, real_mask, efps(gen, gen_mask), efps(real, real_mask)


def rng(name: str) -> np.random.Generator:
    return np.random.default_rng(SEEDS[name])


def w1m_tolerance(gen: np.ndarray, real: np.ndarray) -> float:
    """jetnet's masses are float32 (its input's precision), jetgen's float64: they differ
    by at most the float32 rounding bound per jet, so W1M's mean and std by at most
    max δ_gen + max δ_real (~6e-4 here, 2 % of W1M; the actual float32 errors are ~100×
    smaller, the bound being worst case; the float64 value is pinned tightly elsewhere)."""
    return w1_rounding_bound(mass_rounding_bound(gen, U32), mass_rounding_bound(real, U32))


def test_w1m_equals_jetnet(inputs, recorded):
    gen, _, real, *_ = inputs
    ours = w1.w1m(gen, real, samples=W1[0], batches=W1[1], rng=rng("w1m"))
    np.testing.assert_allclose(ours, recorded["w1m"], rtol=0, atol=w1m_tolerance(gen, real))


def test_w1p_equals_jetnet(inputs, recorded):
    # W1P reads the float32 inputs exactly and sorts/sums them in float64 in a fixed order:
    # nothing CPU-dependent, so jetnet's numbers up to float64 rounding of the final sums.
    gen, gen_mask, real, real_mask, *_ = inputs
    ours = w1.w1p(gen, real, gen_mask, real_mask, samples=W1[0], batches=W1[1],
                  rng=rng("w1p"))
    np.testing.assert_allclose(ours, recorded["w1p"], rtol=1e-12)


#: energyflow's float32 EFPs vs jetgen's float64: every term is ≥ 0 (z_i, θ_ij), so the
#: float32 result's relative error is at most the number of roundings on the longest
#: path: ≤ 5 pairwise contractions summing ≤ 30 products each, plus ≤ 9 products and
#: θ's sqrt: ~170 u ≈ 1.0e-5.
EFP_RTOL = 170 * U32


def test_efps_equal_jetnet(inputs, recorded):
    np.testing.assert_allclose(inputs[4][:20], recorded["efps_first20"], rtol=EFP_RTOL,
                               atol=0)


def test_w1efp_equals_jetnet(inputs, recorded):
    """W1 is 1-Lipschitz in the values: per column, jetnet's W1EFP differs from jetgen's by
    ≤ EFP_RTOL × (max |EFP| of the generated + of the real sample), mean and std alike."""
    cols = w1efp_columns()
    gen, real = inputs[4][:, cols], inputs[5][:, cols]
    ours = w1.w1_columns(gen, real, samples=W1[0], batches=W1[1], rng=rng("w1efp"))
    atol = EFP_RTOL * (np.abs(gen).max(0) + np.abs(real).max(0))
    for i in (0, 1):
        assert np.all(np.abs(ours[i] - recorded["w1efp"][i]) <= atol), (ours[i], atol)


def kpd_rounding_bound(real: np.ndarray, gen: np.ndarray, rel: float, u: float) -> float:
    """Bound on |KPD(real(1 + η), gen(1 + η')) − KPD(real, gen)| for |η| ≤ ``rel``, the MMD
    computed with unit roundoff ``u``, on jetnet's draws (``default_rng(seed + 1000 i)``).

    Normalised features x = e / max|e_real| move by ≤ 2 rel + u relative; c = x·y / d by
    ≤ (2 (2 rel + u) + d u) Σ|x_k y_k| / d (a d-term dot product); the kernel (c + 1)⁴ by
    ≤ 4 |c + 1|³ |Δc| + 4 u (c + 1)⁴; each batch's MMD² by the mean of those (xx, yy and
    twice xy) plus 40 u × the kernel means (numpy's pairwise sums). The median and the
    16–84 % percentiles are 1-Lipschitz in the batch values: both outputs move by ≤ the
    largest batch bound.
    """
    x, y = physics_distances.normalise(real, gen)
    d = x.shape[1]
    r = 2 * rel + u
    worst = 0.0
    for i in range(10):
        draw = np.random.default_rng(SEEDS["kpd"] + 1000 * i)
        a = x[draw.choice(len(x), size=KPD_BATCH)]
        b = y[draw.choice(len(y), size=KPD_BATCH)]
        total = 0.0
        for p, q, weight in ((a, a, 1), (b, b, 1), (a, b, 2)):
            c = p @ q.T / d
            dc = (2 * r + d * u) * (np.abs(p) @ np.abs(q).T) / d
            k = (c + 1) ** 4
            dk = 4 * np.abs(c + 1) ** 3 * dc * 1.001 + 4 * u * k
            total += weight * (dk.mean() + 40 * u * np.abs(k).mean())
        worst = max(worst, total)
    return worst


def test_fpd_and_kpd_equal_jetnet(inputs, recorded):
    gen_efps, real_efps = inputs[4], inputs[5]
    fpd = physics_distances.fpd(real_efps, gen_efps, min_samples=FPD[0], max_samples=FPD[1],
                                seed=SEEDS["fpd"])
    kpd = physics_distances.kpd(real_efps, gen_efps, batch_size=KPD_BATCH, seed=SEEDS["kpd"])
    # FPD has no useful a-priori bound (sqrtm of near-singular covariances, an iterative
    # bounded fit): EFPs perturbed at random by up to ±EFP_RTOL moved it by ≤ 7e-6
    # relative (value and fit error); jetnet's float32 EFPs moved it by 1e-7 / 1e-6.
    np.testing.assert_allclose(fpd, recorded["fpd"], rtol=1e-4)
    # KPD is a polynomial in the EFPs: the bound above, jetnet's arithmetic in float32.
    atol = kpd_rounding_bound(real_efps, gen_efps, EFP_RTOL, U32)
    np.testing.assert_allclose(kpd, recorded["kpd"], rtol=0, atol=atol)


def test_pipeline_functions_use_these_definitions(inputs, recorded):
    """metrics.estimate_w1m / estimate_w1p are what ``jetgen eval`` calls: same numbers for
    the same seed."""
    from jetgen.jets import Jets

    gen, gen_mask, real, real_mask, *_ = inputs
    n = len(gen)
    a = Jets(gen, gen_mask, np.zeros((n, 4), np.float32), np.zeros(n, np.int64))
    b = Jets(real, real_mask, np.zeros((n, 4), np.float32), np.zeros(n, np.int64))
    settings = m.Settings(W1[0], batches=W1[1])
    np.testing.assert_allclose(m.estimate_w1m(a, b, settings, SEEDS["w1m"]),
                               w1.w1m(gen, real, samples=W1[0], batches=W1[1],
                                      rng=rng("w1m")), rtol=0, atol=0)
    # W1P reads the float32 inputs exactly and sorts/sums them in float64 in a fixed order:
    # no CPU-dependent step, so jetnet's numbers to float64 rounding of the final sums.
    np.testing.assert_allclose(m.estimate_w1p(a, b, settings, SEEDS["w1p"]), recorded["w1p"],
                               rtol=1e-12)


def test_recording_is_jetnets_own(inputs):
    """Where jetnet imports, its numbers on the fixed inputs are still the recorded ones
    (to twice the float32 bounds above: the recording came from another CPU)."""
    try:
        import jetnet  # noqa: F401
    except Exception:  # absent, or broken by a numpy-1 compiled dependency
        pytest.skip("jetnet does not import here")
    gen, _, real, _, gen_efps, real_efps = inputs
    cols = w1efp_columns()
    efp_cols = EFP_RTOL * (np.abs(gen_efps[:, cols]).max(0) + np.abs(real_efps[:, cols]).max(0))
    kpd = kpd_rounding_bound(real_efps, gen_efps, EFP_RTOL, U32)
    tolerance = {"w1m": (0, w1m_tolerance(gen, real)), "w1p": (1e-12, 0),
                 "w1efp": (0, efp_cols), "efps_first20": (EFP_RTOL, 0),
                 "fpd": (1e-4, 0), "kpd": (0, kpd)}
    fresh, stored = record(), json.loads(RECORDED.read_text())
    for key, (rtol, atol) in tolerance.items():
        np.testing.assert_allclose(np.asarray(fresh[key], float),
                                   np.asarray(stored[key], float), rtol=2 * rtol,
                                   atol=2 * atol, err_msg=key)


def test_vendored_fpnd_statistics_are_jetnets():
    try:
        from importlib import resources

        root = resources.files("jetnet.evaluation").joinpath("fpnd_resources", "jetnet",
                                                             "30_particles")
    except Exception:
        pytest.skip("jetnet does not import here")
    from jetgen.evaluation.fpnd import JETNET_STORED, _stored_stats

    for c in JETNET_STORED:
        mu, sigma = _stored_stats(c)
        np.testing.assert_array_equal(mu, np.loadtxt(str(root.joinpath(f"{c}_mu.txt"))))
        np.testing.assert_array_equal(sigma, np.loadtxt(str(root.joinpath(f"{c}_sigma.txt"))))
