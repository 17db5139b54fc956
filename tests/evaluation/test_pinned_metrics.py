"""Every metric of ``jetgen eval``, end to end, equals its recorded value on fixed inputs.

The recording (``pinned_recorded.json``, see ``pinned.py``) was made by the code that
``test_jetnet_definitions.py`` checks against jetnet's own numbers, so a change in a metric,
in its inputs (EFPs, ParticleNet activations and its normalisation, substructure) or in the
pipeline's wiring (which sample is "real", which seed goes where) shows up here. Each
tolerance is the spread that rounding can cause on another CPU or thread count, from the
arithmetic where it can be bounded and from the measured response to input perturbations
where an iterative step (sqrtm, curve_fit) stands in the way; all are orders of magnitude
below what any change of definition does to these numbers.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from jetnet_fixed import U64, mass_rounding_bound, w1_rounding_bound
from pinned import BOOTSTRAP, RECORDED, SEED, N, evaluate_inputs, inputs, numbers

from jetgen.evaluation import metrics as m
from jetgen.evaluation import physics_distances
from jetgen.evaluation.efp_graphs import w1efp_columns
from jetgen.evaluation.efps import efps
from jetgen.evaluation.fpnd import fpnd_from_activations, frechet_distance


@pytest.fixture(scope="module")
def ours() -> dict[str, list[float]]:
    return numbers(evaluate_inputs())


@pytest.fixture(scope="module")
def recorded() -> dict[str, list[float]]:
    return json.loads(RECORDED.read_text())


@pytest.fixture(scope="module")
def features():
    gen, ref = inputs()
    return gen, ref, efps(gen.particles, gen.mask), efps(ref.particles, ref.mask)


def tolerances(features) -> dict[str, tuple[float, float]]:
    """metric → (rtol, atol) for [value, error, floor, floor error] on another machine."""
    gen, ref, gen_efps, ref_efps = features
    # W1M: masses in float64; two machines each within the float64 rounding bound of the
    # exact masses, W1 (and its mean/std over resamples) 1-Lipschitz in them; plus W1's
    # own float64 sums over 2N points.
    mass = 2 * w1_rounding_bound(mass_rounding_bound(gen.particles, U64),
                                 mass_rounding_bound(ref.particles, U64))
    # W1EFP: float64 EFPs are sums of non-negative terms, ≤ 170 roundings deep (see
    # test_jetnet_definitions.EFP_RTOL), the same Lipschitz argument column by column.
    cols = w1efp_columns()
    efp = 2 * 170 * U64 * float(np.max(np.abs(gen_efps[:, cols]).max(0)
                                       + np.abs(ref_efps[:, cols]).max(0)))
    w1_sums = 4 * N * U64
    return {
        "w1m": (w1_sums, mass),
        # W1P reads float32 inputs exactly; only float64 sums in a fixed order.
        "w1p": (w1_sums, 0.0), "w1p_eta": (w1_sums, 0.0), "w1p_phi": (w1_sums, 0.0),
        "w1p_pt": (w1_sums, 0.0),
        "w1efp": (w1_sums, efp),
        # FPD: EFPs perturbed by 1e-14 .. 1e-12 relative (float64 rounding scale) move the
        # value by ≤ 2e-8 and the fit error by ≤ 2e-7 relative, curve_fit's stopping rule
        # (xtol = ftol = 1e-8) and sqrtm of near-singular covariances dominating: 50× that.
        "fpd": (1e-5, 0.0),
        # KPD is a polynomial in the EFPs: float64 sums of N² kernel values ≤ 16 give
        # ~1e-13 absolute (measured response to 1e-12 input perturbations: 2e-13).
        "kpd": (0.0, 1e-11),
        # FPND: float32 activations (BLAS sums of ≤ 451 products: ≤ 451 u ≈ 3e-5 relative
        # worst case) moved the value by 6e-7 and the bootstrap error by 6e-6 relative
        # when perturbed by 1e-5: 10× that.
        "fpnd_ref": (6e-5, 0.0),
        "fpnd_jetnet": (1e-6, 0.0),
        # Substructure: float64 throughout, per-jet ratios ≤ 1 good to ~1e-13 (clustering
        # decisions flip only on ties, none within that in continuous random inputs).
        "w1_tau21": (w1_sums, 1e-10), "w1_tau32": (w1_sums, 1e-10),
        "w1_d2": (w1_sums, 1e-10),
    }


def test_every_metric_equals_its_recorded_value(ours, recorded, features):
    tol = tolerances(features)
    assert set(ours) == set(recorded) == set(tol) == set(m.UNITS)
    for metric, want in recorded.items():
        rtol, atol = tol[metric]
        np.testing.assert_allclose(ours[metric], want, rtol=rtol, atol=atol, err_msg=metric)


def test_tolerances_are_far_below_the_model_floor_gap(recorded, features):
    """Each tolerance is < 1 % of |model − floor| (or of the value): a pin that a wrong
    definition could slip through would have to move a metric by less than that."""
    for metric, (rtol, atol) in tolerances(features).items():
        value, _, floor, _ = recorded[metric]
        assert rtol * abs(value) + atol < 0.01 * max(abs(value - floor), abs(value)), metric


def test_fpd_and_kpd_normalise_by_the_real_sample(features):
    """jetnet's FPD/KPD divide both samples by the *real* sample's max |feature|: not
    symmetric. The pipeline's ``metrics.estimate_fpd(gen, real)`` passes them in jetnet's order."""
    *_, gen_efps, ref_efps = features
    real = ref_efps[:N]
    s = m.Settings(N, batches=BOOTSTRAP)
    lo, hi = s.fpd_samples
    direct = physics_distances.fpd(real, gen_efps, min_samples=lo, max_samples=hi, seed=SEED)
    assert m.estimate_fpd(gen_efps, real, s, SEED) == direct
    swapped = m.estimate_fpd(real, gen_efps, s, SEED)
    assert abs(swapped[0] - direct[0]) > 0.01 * direct[0]
    kpd = physics_distances.kpd(real, gen_efps, batch_size=s.kpd_batch, seed=SEED)
    assert m.estimate_kpd(gen_efps, real, s, SEED) == kpd
    assert abs(m.estimate_kpd(real, gen_efps, s, SEED)[0] - kpd[0]) > 0.01 * abs(kpd[0])
    # By definition: rescaling the generated sample alone changes FPD; rescaling both by
    # the same factor (a unit change) does not.
    x, y = physics_distances.normalise(real, gen_efps)
    np.testing.assert_allclose(x, real / np.abs(real).max(0), rtol=1e-15)
    np.testing.assert_allclose(y, gen_efps / np.abs(real).max(0), rtol=1e-15)


def test_fpnd_ref_draws_generated_then_real():
    """FD is symmetric, its bootstrap is not (the generated sample is resampled first):
    the value stays, the error changes when the arguments swap."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 8)), 1.2 * rng.normal(size=(300, 8))
    ab, ba = fpnd_from_activations(a, b, seed=1), fpnd_from_activations(b, a, seed=1)
    assert ab[0] == pytest.approx(ba[0], rel=1e-12)
    assert ab[0] == pytest.approx(frechet_distance(a.mean(0), np.cov(a, rowvar=False),
                                                   b.mean(0), np.cov(b, rowvar=False)))
    assert ab[1] != ba[1]

