"""EFPs, substructure and the W1 bootstrap against jetnet / fastjet / brute force."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from jetgen.evaluation import metrics as m
from jetgen.evaluation.efp_graphs import w1efp_columns
from jetgen.evaluation.efps import efps
from jetgen.evaluation.substructure import substructure


def _need_jetnet():
    """The live cross-checks run wherever jetnet imports (test_jetnet_definitions.py
    covers the rest with recorded values)."""
    try:
        import jetnet  # noqa: F401
    except Exception:  # absent, or broken by a numpy-1 compiled dependency
        pytest.skip("jetnet does not import here")


def _jetnet_efps(jets, args=None):
    _need_jetnet()
    from jetnet.utils import efps as jetnet_efps

    kwargs = {} if args is None else {"efpset_args": args}
    return jetnet_efps(jets.particles, efp_jobs=1, **kwargs)


def test_efps_match_jetnet(samples):
    jets = samples.gen_t[:60]
    ours = efps(jets.particles, jets.mask)
    # jetnet/energyflow work in the input's float32; ours in float64
    np.testing.assert_allclose(ours, _jetnet_efps(jets, [("d<=", 4)]), rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(ours[:, w1efp_columns()], _jetnet_efps(jets), rtol=1e-4)


def test_w1efp_is_jetnets_loop(samples):
    """Our W1EFP on cached EFPs == jetnet.evaluation.w1efp with the same seeded draws."""
    _need_jetnet()
    from jetnet.evaluation import gen_metrics, w1efp

    a, b = samples.gen_g[:80], samples.ref_g[:80]
    settings = m.Settings(80)
    cols = w1efp_columns()
    ours = m.estimate_w1_features(efps(a.particles, a.mask)[:, cols],
                                  efps(b.particles, b.mask)[:, cols], settings, seed=7)
    before, gen_metrics.rng = gen_metrics.rng, np.random.default_rng(7)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended number", category=RuntimeWarning)
        theirs = w1efp(a.particles, b.particles, num_eval_samples=80, num_batches=5,
                       efp_jobs=1)
    gen_metrics.rng = before
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-3)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-2, atol=1e-9)


def _reference_substructure(parts, mask):
    """fastjet exclusive-kT axes (R = 1000, E-scheme) and a brute-force ECF triple loop."""
    import fastjet

    definition = fastjet.JetDefinition(fastjet.kt_algorithm, 1000.0)
    p = parts[mask].astype(float)
    ps = [fastjet.PseudoJet(float(pt * math.cos(ph)), float(pt * math.sin(ph)),
                            float(pt * math.sinh(eta)), float(pt * math.cosh(eta)))
          for eta, ph, pt in p]
    seq = fastjet.ClusterSequence(ps, definition)
    taus = []
    for n in (1, 2, 3):
        axes = list(seq.exclusive_jets(n)) if len(ps) >= n else ps
        taus.append(sum(q.pt() * min(q.delta_R(a) for a in axes) for q in ps))
    z = p[:, 2] / p[:, 2].sum()
    dr = np.array([[a.delta_R(b) for b in ps] for a in ps])
    e2 = sum(z[i] * z[j] * dr[i, j] for i in range(len(ps)) for j in range(i + 1, len(ps)))
    e3 = sum(z[i] * z[j] * z[k] * dr[i, j] * dr[i, k] * dr[j, k]
             for i in range(len(ps)) for j in range(i + 1, len(ps))
             for k in range(j + 1, len(ps)))
    return taus[1] / taus[0], taus[2] / taus[1] if taus[1] > 0 else 0.0, e3 / e2**3


def test_substructure_matches_fastjet(samples):
    jets = samples.gen_t[:25]
    mask = jets.mask.copy()
    mask[0, 4:] = False  # few-particle jets exercise the N ≥ n edge
    mask[1, 3:] = False
    ours = substructure(np.where(mask[..., None], jets.particles, 0.0), mask)
    ref = np.array([_reference_substructure(jets.particles[i], mask[i]) for i in range(25)])
    for k, name in enumerate(("tau21", "tau32", "d2")):
        np.testing.assert_allclose(ours[name], ref[:, k], rtol=1e-9, atol=1e-12)


def test_w1_bootstrap_is_seeded(samples):
    x = samples.gen_g.jet[:, 2:3].astype(float)
    y = samples.ref_g.jet[:, 2:3].astype(float)
    settings = m.Settings(len(x))
    first = m.estimate_w1_features(x, y, settings, 3)
    again = m.estimate_w1_features(x, y, settings, 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[0], m.estimate_w1_features(x, y, settings, 4)[0])


@pytest.mark.parametrize("n", [10, 5_000, 80_000])
def test_settings_follow_jetnet_at_50k(n):
    s = m.Settings(n)
    assert s.w1_samples == min(n, 50_000)
    lo, hi = s.fpd_samples
    assert lo <= hi <= n
    if n >= 50_000:
        assert (lo, hi, s.kpd_batch) == (20_000, 50_000, 5_000)
