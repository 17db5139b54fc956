"""The JetNet metrics on precomputed features, reproducible for a fixed seed.

W1M, W1P, W1EFP, FPD and KPD follow jetnet 0.2.5's definitions, reimplemented in
:mod:`.w1` and :mod:`.physics_distances` (same resampling, same SciPy routines), so
``jetgen eval`` needs neither jetnet nor energyflow; tests compare them with values
recorded from jetnet on fixed inputs and, wherever jetnet imports, with jetnet itself.
EFPs come once per sample from :mod:`.efps` (jetnet recomputes them on every call). The
substructure W1s use the same bootstrap. jetnet draws from an unseeded module-level
generator; here every metric gets its own ``default_rng(seed)``, which gives exactly
jetnet's numbers when jetnet's generator is seeded the same.

The functions here are named ``estimate_*``: they take feature samples, the sample sizes
and a seed, and return (value, error); jetnet's ``w1m``/``fpd``/… (and this package's
:mod:`.w1`/:mod:`.physics_distances`, which follow jetnet's signatures) take raw arrays.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from . import physics_distances as distances
from . import w1

#: PC-Droid reporting units: a value is printed as value / scale.
UNITS: dict[str, float] = {
    "w1m": 1e-4, "w1p": 1e-4, "w1p_eta": 1e-4, "w1p_phi": 1e-4, "w1p_pt": 1e-4,
    "w1efp": 1e-6, "fpd": 1e-3, "kpd": 1e-6, "fpnd_ref": 1.0, "fpnd_jetnet": 1.0,
    # Not in PC-Droid's table; 10⁻³ puts typical values in the units range.
    "w1_tau21": 1e-3, "w1_tau32": 1e-3, "w1_d2": 1e-3,
}
LABELS: dict[str, str] = {
    "w1m": "W1M", "w1p": "W1P", "w1p_eta": "W1P η_rel", "w1p_phi": "W1P φ_rel",
    "w1p_pt": "W1P pT_rel", "w1efp": "W1EFP", "fpd": "FPD", "kpd": "KPD", "fpnd_ref": "FPND_ref",
    "fpnd_jetnet": "FPND (jetnet)", "w1_tau21": "W1 τ21", "w1_tau32": "W1 τ32",
    "w1_d2": "W1 D2",
}


@dataclass(frozen=True)
class Settings:
    """Sample sizes of the bootstrap / batch estimators (jetnet defaults at n ≥ 50,000)."""

    n: int
    batches: int = 5

    @property
    def w1_samples(self) -> int:
        return min(50_000, self.n)

    @property
    def fpd_samples(self) -> tuple[int, int]:
        hi = min(50_000, self.n)
        return max(2, min(20_000, round(hi * 0.4))), hi

    @property
    def kpd_batch(self) -> int:
        return min(5_000, self.n)

    def as_dict(self) -> dict:
        lo, hi = self.fpd_samples
        return {"w1_eval_samples": self.w1_samples, "w1_batches": self.batches,
                "fpd_min_samples": lo, "fpd_max_samples": hi, "fpd_batches": 20,
                "fpd_points": 10, "kpd_batch_size": self.kpd_batch, "kpd_batches": 10}


def estimate_w1m(gen, real, settings: Settings, seed: int) -> tuple[float, float]:
    """jetnet W1M: W1 of the relative jet mass computed from the constituents."""
    return w1.w1m(gen.particles, real.particles, samples=settings.w1_samples,
                  batches=settings.batches, rng=np.random.default_rng(seed))


def estimate_w1p(gen, real, settings: Settings, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """jetnet W1P per feature (η_rel, φ_rel, pT_rel), masked particles excluded."""
    means, stds = w1.w1p(gen.particles, real.particles, gen.mask, real.mask,
                         samples=settings.w1_samples, batches=settings.batches,
                         rng=np.random.default_rng(seed))
    return np.asarray(means, float), np.asarray(stds, float)


def estimate_w1_features(x1: np.ndarray, x2: np.ndarray, settings: Settings, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """jetnet's ``w1efp`` loop on given per-jet features: per-column mean and std of W1
    over ``batches`` resamples (with replacement) of ``w1_samples`` jets."""
    return w1.w1_columns(x1, x2, samples=settings.w1_samples, batches=settings.batches,
                         rng=np.random.default_rng(seed))


def estimate_fpd(gen_efps: np.ndarray, real_efps: np.ndarray, settings: Settings, seed: int
        ) -> tuple[float, float]:
    """jetnet FPD on the 36 d ≤ 4 EFPs (normalised by the real sample's max-abs)."""
    lo, hi = settings.fpd_samples
    return distances.fpd(real_efps, gen_efps, min_samples=lo, max_samples=hi, seed=seed)


def estimate_kpd(gen_efps: np.ndarray, real_efps: np.ndarray, settings: Settings, seed: int
        ) -> tuple[float, float]:
    """jetnet KPD (median and half 16–84 % spread over 10 batches) on the same EFPs."""
    return distances.kpd(real_efps, gen_efps, batch_size=settings.kpd_batch, seed=seed)


def metric_seed(seed: int, *parts: int | str) -> int:
    """An independent seed per (metric, class, comparison): results do not depend on
    which other metrics ran or in what order."""
    words = [seed] + [p if isinstance(p, int) else zlib.crc32(p.encode()) for p in parts]
    return int(np.random.SeedSequence(words).generate_state(1)[0])
