"""Per-jet seeds from a run seed: a hash of (run seed, jet index), so runs never overlap.

``seed + index`` would make ``--seed 1`` the run of ``--seed 0`` shifted by one jet (a batch
farm running ``--seed $TASK_ID`` would get nearly all jets twice). Mixing both through
splitmix64 makes every (seed, index) pair its own key: for one seed, distinct indices give
distinct keys (each step is a bijection of 2⁶⁴), and two runs of n jets share a key with
probability about n² / 2⁶⁴ (10⁻⁸ for two runs of 10⁶ jets).
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError

_MASK64 = (1 << 64) - 1
#: Run seeds accepted: any integer that fits 64 bits, signed or not (taken modulo 2⁶⁴).
SEED_MIN, SEED_MAX = -(1 << 63), (1 << 64) - 1

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
#: A second odd constant, so the seed's and the index's hashes are different functions.
_INDEX_SALT = np.uint64(0xD1B54A32D192ED03)


def _splitmix(x: np.ndarray) -> np.ndarray:
    # uint64 arrays wrap modulo 2⁶⁴ on overflow, which is what splitmix64 wants.
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def check_seed(seed: int) -> int:
    """``seed`` as its 64-bit pattern, or one clear line if it does not fit 64 bits."""
    if not SEED_MIN <= int(seed) <= SEED_MAX:
        raise UsageError(f"--seed {seed} does not fit 64 bits (use {SEED_MIN} … {SEED_MAX})")
    return int(seed) & _MASK64


def jet_seeds(seed: int, index: np.ndarray) -> np.ndarray:
    """[N] uint64 seeds of jets ``index`` (their positions in the run) for run ``seed``."""
    key = np.full(1, check_seed(seed), dtype=np.uint64)
    index = np.asarray(index).astype(np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix(_splitmix(key) ^ _splitmix(index * _INDEX_SALT))
