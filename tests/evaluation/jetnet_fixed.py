"""Fixed inputs for comparing jetgen's JetNet metrics with jetnet, and the recorder.

The inputs are made from a seeded generator (no files), so the values jetnet gave on them
(``jetnet_recorded.json``) pin jetgen's reimplementation on machines where jetnet does not
import. Re-record, where jetnet imports, with:

    python tests/evaluation/jetnet_fixed.py
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

RECORDED = Path(__file__).with_name("jetnet_recorded.json")
N_JETS, N_PARTICLES = 400, 30
#: (samples, batches) of the W1 estimators, FPD's (min, max) samples, KPD's batch size.
W1 = (300, 5)
FPD = (100, 400)
KPD_BATCH = 200
SEEDS = {"w1m": 11, "w1p": 12, "w1efp": 13, "fpd": 14, "kpd": 15}


def jets(seed: int, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Jet-like clouds: 5–30 particles, pT_rel falling and summing to 1, zero padding."""
    rng = np.random.default_rng(seed)
    parts = np.zeros((N_JETS, N_PARTICLES, 3), np.float32)
    mask = np.zeros((N_JETS, N_PARTICLES), bool)
    for i in range(N_JETS):
        n = rng.integers(5, N_PARTICLES + 1)
        pt = np.sort(rng.exponential(1.0, n))[::-1]
        parts[i, :n, 0] = rng.normal(0, width, n)
        parts[i, :n, 1] = rng.normal(0, width, n)
        parts[i, :n, 2] = pt / pt.sum()
        mask[i, :n] = True
    return parts, mask


def samples():
    """(gen particles, gen mask, real particles, real mask)."""
    return (*jets(1, 0.12), *jets(2, 0.10))


#: Unit roundoff of float32 and float64, and the error allowed to numpy's sin/cos/sinh/exp
#: (4 ulp, i.e. 8 u relative: numpy documents ≤ 4 ulp for its SIMD float32 kernels; glibc
#: and SVML float64 are within that too).
U32, U64 = 2.0**-24, 2.0**-53
ULPS_PER_FUNCTION = 8


def mass_rounding_bound(particles: np.ndarray, u: float) -> np.ndarray:
    """Per jet, a bound on |jet mass computed with unit roundoff ``u`` − exact jet mass|.

    Standard first-order error analysis of the formulas in ``w1.jet_masses``: each
    term x_i = pT·cos φ etc. carries a relative error ≤ 3f + 6u (f per function call, the
    energy's exp/square/divide/sqrt chain being the longest); a sequential sum of n terms
    adds (n − 1)u Σ|x_i|; squaring and the four-term difference m² = E² − p² add
    2|s|δs + δs² + 4u Σ s²; then |√a − √â| ≤ |a − â| / √a (or ≤ 2√(2δ) when m² is within
    δ of 0), plus u for the square root itself. The exact values are taken in float64 (their
    own rounding, ~1e-16, is covered by the 1.001 factor).
    """
    p = np.asarray(particles, np.float64)
    n = p.shape[1]
    eta, phi, pt = p[..., 0], p[..., 1], p[..., 2]
    terms = (pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta))
    per_term = 3 * ULPS_PER_FUNCTION * u + 6 * u
    sums = [t.sum(1) for t in terms]
    errs = [(per_term + (n - 1) * u) * np.abs(t).sum(1) * 1.001 for t in terms]
    m2 = sums[3] ** 2 - sums[0] ** 2 - sums[1] ** 2 - sums[2] ** 2
    d = (sum(2 * np.abs(s) * e + e**2 for s, e in zip(sums, errs, strict=True))
         + 4 * u * sum(s**2 for s in sums) + u * np.abs(m2))
    a = np.abs(m2)
    dm = np.where(a > d, d / np.sqrt(np.maximum(a, d)), 2 * np.sqrt(2 * d))
    return dm + u * np.sqrt(a + d)


def w1_rounding_bound(per_jet_1: np.ndarray, per_jet_2: np.ndarray) -> float:
    """W1 is 1-Lipschitz in each sample's values (a coupling moves each point by its
    error), so a W1 between perturbed samples moves by ≤ max δ1 + max δ2; so do the mean
    and the (population) std over resamples, both 1-Lipschitz in the sup norm."""
    return float(np.max(per_jet_1) + np.max(per_jet_2))


def record() -> dict:
    from jetnet.evaluation import fpd, gen_metrics, kpd, w1efp, w1m, w1p
    from jetnet.utils import efps

    gen, gen_mask, real, real_mask = samples()
    out: dict = {"jetnet": __import__("jetnet").__version__}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen_metrics.rng = np.random.default_rng(SEEDS["w1m"])
        out["w1m"] = [float(v) for v in w1m(gen, real, num_eval_samples=W1[0],
                                             num_batches=W1[1])]
        gen_metrics.rng = np.random.default_rng(SEEDS["w1p"])
        out["w1p"] = [np.asarray(v, float).tolist() for v in w1p(
            gen, real, gen_mask, real_mask, num_eval_samples=W1[0], num_batches=W1[1])]
        gen_metrics.rng = np.random.default_rng(SEEDS["w1efp"])
        out["w1efp"] = [np.asarray(v, float).tolist() for v in w1efp(
            gen, real, num_eval_samples=W1[0], num_batches=W1[1], efp_jobs=1)]
        gen_efps = efps(gen, efpset_args=[("d<=", 4)], efp_jobs=1)
        real_efps = efps(real, efpset_args=[("d<=", 4)], efp_jobs=1)
        out["efps_first20"] = np.asarray(gen_efps[:20], float).tolist()
        out["fpd"] = [float(v) for v in fpd(real_efps, gen_efps, min_samples=FPD[0],
                                             max_samples=FPD[1], seed=SEEDS["fpd"])]
        out["kpd"] = [float(v) for v in kpd(real_efps, gen_efps, batch_size=KPD_BATCH,
                                             seed=SEEDS["kpd"])]
    return out


if __name__ == "__main__":
    RECORDED.write_text(json.dumps(record(), indent=1) + "\n")
    print(f"wrote {RECORDED}")
