"""The train / validation / test convention every jetgen command shares.

Within each class, jets keep file order: the first 70 % train, the next 15 % validate,
the last 15 % test (JetNet's own fractions). Generation blocks are independent Pythia
seeds, so contiguous ranges are independent samples.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError, nearest

FRACTIONS = {"train": 0.70, "val": 0.15, "test": 0.15}
SPLITS = ("train", "val", "test", "all")


def split_mask(jet_type: np.ndarray, split: str) -> np.ndarray:
    """Boolean mask selecting ``split`` of every class present in ``jet_type``."""
    if split not in SPLITS:
        raise UsageError(f"unknown split {split!r}{nearest(split, SPLITS)}")
    if split == "all":
        return np.ones(len(jet_type), bool)
    out = np.zeros(len(jet_type), bool)
    lo_frac = {"train": 0.0, "val": FRACTIONS["train"], "test": 1 - FRACTIONS["test"]}[split]
    hi_frac = lo_frac + FRACTIONS[split]
    for cls in np.unique(jet_type):
        idx = np.flatnonzero(jet_type == cls)
        lo, hi = round(lo_frac * len(idx)), round(hi_frac * len(idx))
        out[idx[lo:hi]] = True
    return out
