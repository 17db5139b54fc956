"""Small exact cases of the metric building blocks, where the answer is known in closed form
(written for the survivors of a mutation run over evaluation/, see #24)."""

from __future__ import annotations

import numpy as np
import pytest

from jetgen.evaluation import metrics as m
from jetgen.evaluation import physics_distances as pd
from jetgen.evaluation import w1
from jetgen.evaluation.fpnd import fpnd_from_activations, frechet_distance

U64 = 2.0**-53


def spd(rng: np.random.Generator, d: int, floor: float = 0.1) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + floor * np.eye(d)


@pytest.mark.parametrize("fd", [pd.frechet_distance_sqrtm, frechet_distance])
def test_frechet_distance_closed_forms(fd):
    """FD(N(μ, Σ), N(μ, Σ)) = 0; FD(N(μ1, Σ), N(μ2, Σ)) = |μ1 − μ2|²; for commuting
    (diagonal) covariances FD = |Δμ|² + Σ_k (√s1_k − √s2_k)². Rounding: sqrtm/eigh of a
    36 × 36 matrix with eigenvalues in [0.1, ~5] is good to ~1e3 u relative to tr Σ."""
    rng = np.random.default_rng(3)
    d = 36
    s = spd(rng, d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    tol = 1e3 * U64 * np.trace(s) * 4
    assert abs(fd(mu1, s, mu1, s)) <= tol
    assert fd(mu1, s, mu2, s) == pytest.approx(np.sum((mu1 - mu2) ** 2), abs=tol)
    v1, v2 = rng.uniform(0.1, 2, d), rng.uniform(0.1, 2, d)
    want = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert fd(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(want, abs=tol)


def test_the_two_frechet_implementations_agree():
    rng = np.random.default_rng(4)
    d = 20
    s1, s2 = spd(rng, d), spd(rng, d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    a, b = pd.frechet_distance_sqrtm(mu1, s1, mu2, s2), frechet_distance(mu1, s1, mu2, s2)
    assert a == pytest.approx(b, rel=1e-10)


def test_normalise_divides_by_the_real_max_and_leaves_zero_features():
    real = np.array([[1.0, -4.0, 0.0], [-2.0, 2.0, 0.0]])
    gen = np.array([[4.0, 8.0, 3.0]])
    x, y = pd.normalise(real, gen)
    np.testing.assert_array_equal(x, [[0.5, -1.0, 0.0], [-1.0, 0.5, 0.0]])
    np.testing.assert_array_equal(y, [[2.0, 2.0, 3.0]])


def test_mmd_is_zero_in_expectation_and_exact_on_a_small_case():
    """Unbiased MMD² by hand on 2 + 2 points in 1-D: k(x, y) = (x y + 1)⁴."""
    x, y = np.array([[0.0], [1.0]]), np.array([[1.0], [2.0]])

    def k(a, b):
        return (a * b + 1.0) ** 4

    want = (2 * k(0, 1)) / 2 + (2 * k(1, 2)) / 2 - 2 * (k(0, 1) + k(0, 2) + k(1, 1)
                                                        + k(1, 2)) / 4
    assert pd.mmd_poly_unbiased(x, y) == pytest.approx(want, rel=1e-15)


def test_w1p_is_inf_where_a_draw_has_no_particles():
    jets = np.zeros((4, 3, 3), np.float32)
    full = np.ones((4, 3, 3), np.float32)
    with np.errstate(invalid="ignore"):  # the std of infs is nan, as in jetnet
        means, _ = w1.w1p(jets, full, None, None, samples=4, batches=2,
                          rng=np.random.default_rng(0))
    assert np.isinf(means).all()


def test_w1p_drops_all_zero_particles_whatever_the_mask_says():
    """jetnet's exclude_zeros: a particle of exactly zero features is padding even where
    the mask calls it real, so adding such particles changes nothing."""
    rng = np.random.default_rng(3)
    jets = rng.normal(0, 0.1, size=(40, 4, 3))
    padded = np.concatenate([jets, np.zeros((40, 2, 3))], axis=1)
    real = rng.normal(0, 0.1, size=(40, 6, 3))

    def w1p(x, mask):
        return w1.w1p(x, real, mask, None, samples=40, batches=2,
                      rng=np.random.default_rng(0))[0]

    np.testing.assert_array_equal(w1p(padded, np.ones((40, 6))), w1p(jets, np.ones((40, 4))))


def test_w1m_of_a_sample_with_itself_is_zero_and_masses_are_right():
    """Two massless particles with pT 1 at (η, φ) = (±a, 0): m² = 2 pT² (cosh 2a − 1)."""
    a = 0.3
    p = np.array([[[a, 0.0, 1.0], [-a, 0.0, 1.0]]])
    np.testing.assert_allclose(w1.jet_masses(p), np.sqrt(2 * (np.cosh(2 * a) - 1)),
                               rtol=1e-14)
    one_particle = np.array([[[0.4, 0.1, 0.7], [0.0, 0.0, 0.0]]])
    assert abs(w1.jet_masses(one_particle)[0]) <= 1e-7  # massless: √(rounding)
    rng = np.random.default_rng(0)
    jets = rng.normal(0, 0.1, size=(50, 5, 3))
    mean, _ = w1.w1m(jets, jets, samples=50, batches=3, rng=np.random.default_rng(1))
    assert mean > 0  # different resamples of the same jets
    # Constant samples: every resample is the same, W1 = the shift, its spread 0.
    mean, std = w1.w1_columns(np.ones(10), np.full(10, 3.0), samples=10, batches=3,
                              rng=np.random.default_rng(0))
    assert (mean[0], std[0]) == (2.0, 0.0)


def test_metric_seeds_are_independent_and_reproducible():
    assert m.metric_seed(0, "w1m", 1) == m.metric_seed(0, "w1m", 1)
    seeds = {m.metric_seed(s, name, c) for s in (0, 1) for name in ("w1m", "fpd")
             for c in (0, 1)}
    assert len(seeds) == 8


def test_fpnd_bootstrap_error_shrinks_with_the_sample_and_is_nan_without_bootstrap():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2000, 4)), rng.normal(size=(2000, 4)) + 0.5
    value, err = fpnd_from_activations(a, b, seed=0, bootstrap=8)
    small = fpnd_from_activations(a[:200], b[:200], seed=0, bootstrap=8)
    assert value == pytest.approx(4 * 0.25, rel=0.15)  # |Δμ|² = 4 × 0.5²
    assert 0 < err < small[1]
    assert np.isnan(fpnd_from_activations(a, b, seed=0, bootstrap=1)[1])


def test_settings_follow_jetnets_defaults_at_large_n():
    s = m.Settings(100_000)
    assert (s.w1_samples, s.fpd_samples, s.kpd_batch) == (50_000, (20_000, 50_000), 5_000)
    small = m.Settings(100)
    assert (small.w1_samples, small.fpd_samples, small.kpd_batch) == (100, (40, 100), 100)
    assert small.as_dict() == {"w1_eval_samples": 100, "w1_batches": 5,
                               "fpd_min_samples": 40, "fpd_max_samples": 100,
                               "fpd_batches": 20, "fpd_points": 10, "kpd_batch_size": 100,
                               "kpd_batches": 10}
