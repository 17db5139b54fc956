"""The JetNet metrics on precomputed features, reproducible for a fixed seed.

W1M, W1P, FPD and KPD call jetnet's own functions. W1EFP repeats jetnet's ``w1efp`` loop
(same draws from the same generator, same scipy W1) on EFPs computed once by
:mod:`.efps`, because jetnet's version recomputes the EFPs on every call. The
substructure W1s use the same bootstrap scheme.

jetnet's W1 functions draw their batches from ``jetnet.evaluation.gen_metrics.rng``, an
unseeded module-level generator; :func:`jetnet_rng` swaps in a seeded one for the call.
jetnet warns below 50,000 jets; evaluations on smaller samples are deliberate (tests,
quick checks) and record their sizes, so exactly that warning is silenced here (and
SciPy's deprecation of an argument jetnet passes to ``sqrtm``).
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

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
_SMALL_SAMPLE = r"Recommended number of (jets|samples) for"


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


@contextmanager
def jetnet_rng(seed: int) -> Iterator[None]:
    """Seed jetnet's module-level W1 generator for the block, restoring it afterwards."""
    from jetnet.evaluation import gen_metrics

    before = gen_metrics.rng
    gen_metrics.rng = np.random.default_rng(seed)
    try:
        yield
    finally:
        gen_metrics.rng = before


@contextmanager
def _quiet_small_sample() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_SMALL_SAMPLE, category=RuntimeWarning)
        # jetnet 0.2.5 calls scipy.linalg.sqrtm(..., disp=False), deprecated in SciPy 1.17:
        # jetnet's call, not ours, and harmless until SciPy 1.18 removes the argument.
        warnings.filterwarnings("ignore", message="The `disp` argument is deprecated",
                                category=DeprecationWarning)
        yield


def w1m(gen, real, settings: Settings, seed: int) -> tuple[float, float]:
    """jetnet W1M: W1 of the relative jet mass computed from the constituents."""
    from jetnet.evaluation import w1m as jetnet_w1m

    with jetnet_rng(seed), _quiet_small_sample():
        mean, std = jetnet_w1m(gen.particles, real.particles,
                               num_eval_samples=settings.w1_samples,
                               num_batches=settings.batches)
    return float(mean), float(std)


def w1p(gen, real, settings: Settings, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """jetnet W1P per feature (η_rel, φ_rel, pT_rel), masked particles excluded."""
    from jetnet.evaluation import w1p as jetnet_w1p

    with jetnet_rng(seed), _quiet_small_sample():
        means, stds = jetnet_w1p(gen.particles, real.particles, gen.mask, real.mask,
                                 num_eval_samples=settings.w1_samples,
                                 num_batches=settings.batches)
    return np.asarray(means, float), np.asarray(stds, float)


def w1_features(x1: np.ndarray, x2: np.ndarray, settings: Settings, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """jetnet's ``w1efp`` loop on given per-jet features: per-column mean and std of W1
    over ``batches`` resamples (with replacement) of ``w1_samples`` jets."""
    from scipy.stats import wasserstein_distance

    x1, x2 = np.atleast_2d(x1.T).T, np.atleast_2d(x2.T).T
    with jetnet_rng(seed):
        from jetnet.evaluation import gen_metrics

        rng = gen_metrics.rng
        w1s = []
        for _ in range(settings.batches):
            a = x1[rng.choice(len(x1), size=settings.w1_samples)]
            b = x2[rng.choice(len(x2), size=settings.w1_samples)]
            w1s.append([wasserstein_distance(a[:, i], b[:, i]) for i in range(x1.shape[1])])
    return np.mean(w1s, axis=0), np.std(w1s, axis=0)


def fpd(gen_efps: np.ndarray, real_efps: np.ndarray, settings: Settings, seed: int
        ) -> tuple[float, float]:
    """jetnet FPD on the 36 d ≤ 4 EFPs (normalised by the real sample's max-abs)."""
    from jetnet.evaluation import fpd as jetnet_fpd

    lo, hi = settings.fpd_samples
    with _quiet_small_sample():
        value, error = jetnet_fpd(real_efps, gen_efps, min_samples=lo, max_samples=hi,
                                  seed=seed)
    return float(value), float(error)


def kpd(gen_efps: np.ndarray, real_efps: np.ndarray, settings: Settings, seed: int
        ) -> tuple[float, float]:
    """jetnet KPD (median and half 16–84 % spread over 10 batches) on the same EFPs."""
    from jetnet.evaluation import kpd as jetnet_kpd

    with _quiet_small_sample():
        value, error = jetnet_kpd(real_efps, gen_efps, batch_size=settings.kpd_batch,
                                  seed=seed)
    return float(value), float(error)


def metric_seed(seed: int, *parts: int | str) -> int:
    """An independent seed per (metric, class, comparison): results do not depend on
    which other metrics ran or in what order."""
    words = [seed] + [p if isinstance(p, int) else zlib.crc32(p.encode()) for p in parts]
    return int(np.random.SeedSequence(words).generate_state(1)[0])
