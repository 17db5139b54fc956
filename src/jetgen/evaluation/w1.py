"""jetnet 0.2.5's W1 estimators (W1M, W1P, W1EFP), reimplemented without jetnet.

Each one draws ``batches`` resamples (with replacement) of ``samples`` jets from each side,
takes SciPy's 1-D Wasserstein distance per feature and returns the mean and std over the
resamples. The draws come from the generator passed in, in jetnet's order (side 1 then
side 2, per batch), so a ``default_rng(seed)`` gives exactly the numbers jetnet gives with
its module-level ``rng`` seeded the same way.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance


def jet_masses(particles: np.ndarray) -> np.ndarray:
    """Relative jet mass from (η_rel, φ_rel, pT_rel) constituents, as jetnet computes it.

    jetnet sums massless four-vectors with coffea/scikit-hep ``vector``; the same formulas
    are repeated here, with the sums running sequentially over the particles (as awkward's
    do). Spacelike sums (rounding) get a negative mass, as ``vector`` returns them.

    Always in float64, whatever the input's precision: jetnet works in the input's float32,
    where E² − p² cancels (m ≈ 0.1 E) and the result then depends on the CPU's float32
    sin/cos/exp (numpy picks SIMD kernels per CPU: W1M's error moved by 2e-6 relative
    on an AVX2-only machine). In float64 the CPU-dependent part is ~1e-12 relative; the
    difference from jetnet's float32 numbers is bounded by float32 rounding (see the tests).
    """
    p = np.asarray(particles, dtype=np.float64)
    eta, phi, pt = p[..., 0], p[..., 1], p[..., 2]
    x, y, z = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    # vector's energy for (pT, η, m = 0): sqrt(max(m² + pT² / sin²θ, 0)), 1/sinθ via exp(-η).
    expm = np.exp(-eta)
    inv_sin = 0.5 * (1 + expm**2) / expm
    t = np.sqrt(np.maximum(pt**2 * inv_sin**2, 0))
    # Sequential sums (cumsum's last entry), not numpy's pairwise reduction.
    sx, sy, sz, st = (np.cumsum(c, axis=1)[:, -1] for c in (x, y, z, t))
    m2 = st**2 - (sx**2 + sy**2 + sz**2)
    return np.nan_to_num(np.copysign(np.sqrt(np.abs(m2)), m2))


def w1_columns(x1: np.ndarray, x2: np.ndarray, *, samples: int, batches: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """jetnet's ``w1efp`` (and ``w1m``) loop on per-jet features [N] or [N, F]."""
    x1, x2 = np.atleast_2d(np.asarray(x1).T).T, np.atleast_2d(np.asarray(x2).T).T
    w1s = []
    for _ in range(batches):
        a = x1[rng.choice(len(x1), size=samples)]
        b = x2[rng.choice(len(x2), size=samples)]
        w1s.append([wasserstein_distance(a[:, i], b[:, i]) for i in range(x1.shape[1])])
    return np.mean(w1s, axis=0), np.std(w1s, axis=0)


def w1m(particles1: np.ndarray, particles2: np.ndarray, *, samples: int, batches: int,
        rng: np.random.Generator) -> tuple[float, float]:
    """jetnet ``w1m``: W1 of :func:`jet_masses` (all particle slots, as jetnet sums them)."""
    means, stds = w1_columns(jet_masses(particles1), jet_masses(particles2),
                             samples=samples, batches=batches, rng=rng)
    return float(means[0]), float(stds[0])


def _particle_mask(jets: np.ndarray, mask: np.ndarray | None, n_features: int) -> np.ndarray:
    # jetnet's exclude_zeros=True: a particle whose features are all exactly 0 is padding,
    # whatever the mask says.
    keep = np.linalg.norm(jets[:, :, :n_features], axis=2) != 0
    if mask is not None:
        keep &= np.asarray(mask).reshape(jets.shape[:2]).astype(bool)
    return keep


def w1p(jets1: np.ndarray, jets2: np.ndarray, mask1: np.ndarray | None,
        mask2: np.ndarray | None, *, samples: int, batches: int, rng: np.random.Generator
        ) -> tuple[np.ndarray, np.ndarray]:
    """jetnet ``w1p``: per particle feature, W1 over the real particles of the drawn jets
    (inf where a draw has none, as jetnet)."""
    jets1, jets2 = np.asarray(jets1), np.asarray(jets2)
    nf = jets1.shape[2]
    keep1, keep2 = _particle_mask(jets1, mask1, nf), _particle_mask(jets2, mask2, nf)
    w1s = []
    for _ in range(batches):
        r1 = rng.choice(len(jets1), size=samples)
        r2 = rng.choice(len(jets2), size=samples)
        parts1 = jets1[r1][:, :, :nf][keep1[r1]]
        parts2 = jets2[r2][:, :, :nf][keep2[r2]]
        if len(parts1) == 0 or len(parts2) == 0:
            w1s.append([np.inf] * 3)
        else:
            w1s.append([wasserstein_distance(parts1[:, i], parts2[:, i]) for i in range(nf)])
    return np.mean(w1s, axis=0), np.std(w1s, axis=0)
