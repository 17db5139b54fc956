"""FPD and KPD (Kansal et al. 2023) as jetnet 0.2.5 computes them, without jetnet.

Both normalise every feature by the real sample's max |value| (all-zero features left
alone), then:

* FPD: the Fréchet distance at ``num_points`` batch sizes spaced evenly in 1/N between
  ``min_samples`` and ``max_samples`` (``num_batches`` draws each, averaged), fitted by a
  straight line in 1/N with a non-negative intercept and slope; the intercept extrapolates
  to N → ∞ and its fit error is the error.
* KPD: the unbiased quadratic MMD² with the degree-4 polynomial kernel
  (x·y / dim + 1)⁴ on ``num_batches`` draws of ``batch_size`` jets, each drawn with its own
  generator ``default_rng(seed + 1000 i)``; median and half the 16.275–83.725 % spread.

Same generators, same draw order and the same SciPy routines as jetnet, so the numbers
agree with jetnet's to rounding (the recorded-value tests pin them).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.optimize import curve_fit
from scipy.stats import iqr


def normalise(real: np.ndarray, gen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    maxes = np.max(np.abs(real), axis=0)
    maxes[maxes == 0] = 1  # a feature that is identically 0 stays as it is
    return real / maxes, gen / maxes


def frechet_distance_sqrtm(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                           sigma2: np.ndarray, eps: float = 1e-6) -> float:
    """pytorch-fid's Fréchet distance via ``scipy.linalg.sqrtm`` of Σ1 Σ2, as jetnet's FPD.

    (FPND uses :func:`.fpnd.frechet_distance`, an eigenvalue form that is faster at 256
    dimensions; FPD keeps sqrtm so that near-singular EFP covariances round like jetnet's.)
    """
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        # pytorch-fid's fallback for a singular product: a small ridge on both.
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    # Rounding can leave a tiny imaginary part; jetnet keeps the real part.
    covmean = np.real(covmean)
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _line(x: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    return intercept + slope * x


def fpd(real: np.ndarray, gen: np.ndarray, *, min_samples: int = 20_000,
        max_samples: int = 50_000, num_batches: int = 20, num_points: int = 10,
        seed: int = 42) -> tuple[float, float]:
    """jetnet ``fpd``: (N → ∞ intercept, its fit error)."""
    x, y = normalise(np.asarray(real), np.asarray(gen))
    # jetnet truncates the evenly-in-1/N sizes to int32.
    sizes = (1 / np.linspace(1.0 / min_samples, 1.0 / max_samples, num_points)).astype("int32")
    rng = np.random.default_rng(seed)
    means = []
    for size in sizes:
        vals = []
        for _ in range(num_batches):
            a = x[rng.choice(len(x), size=size)]
            b = y[rng.choice(len(y), size=size)]
            vals.append(frechet_distance_sqrtm(a.mean(0), np.cov(a, rowvar=False),
                                               b.mean(0), np.cov(b, rowvar=False)))
        means.append(np.mean(vals))
    params, covs = curve_fit(_line, 1 / sizes, means, bounds=([0, 0], [np.inf, np.inf]))
    return float(params[0]), float(np.sqrt(np.diag(covs)[0]))


def mmd_poly_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 4) -> float:
    """Unbiased MMD² with the kernel (x·y / dim + 1)^degree (diagonal terms left out)."""
    gamma = 1.0 / x.shape[-1]
    kxx = (x @ x.T * gamma + 1.0) ** degree
    kyy = (y @ y.T * gamma + 1.0) ** degree
    kxy = (x @ y.T * gamma + 1.0) ** degree
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * np.mean(kxy))


def kpd(real: np.ndarray, gen: np.ndarray, *, num_batches: int = 10,
        batch_size: int = 5_000, seed: int = 42) -> tuple[float, float]:
    """jetnet ``kpd`` (its serial path, ``num_threads=None``): (median, half 16–84 % IQR)."""
    x, y = normalise(np.asarray(real), np.asarray(gen))
    vals = []
    for i in range(num_batches):
        # One generator per batch, seeded as jetnet seeds it (independent of the others).
        rng = np.random.default_rng(seed + i * 1000)
        a = x[rng.choice(len(x), size=batch_size)]
        b = y[rng.choice(len(y), size=batch_size)]
        vals.append(mmd_poly_unbiased(a, b))
    return float(np.median(vals)), float(iqr(vals, rng=(16.275, 83.725)) / 2)
