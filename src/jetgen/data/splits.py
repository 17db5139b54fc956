"""The train / validation / test convention every jetgen command shares, and the loader
that applies it to training files.

Within each class, jets keep file order: the first 70 % train, the next 15 % validate,
the last 15 % test (JetNet's own fractions). Generation blocks are independent Pythia
seeds, so contiguous ranges are independent samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import JetgenError, UsageError, nearest

if TYPE_CHECKING:
    from pathlib import Path

    from ..jets import Jets

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


def load_splits(paths: list[Path], n_particles: int, classes: list[str],
                val_paths: list[Path] | None = None) -> tuple[Jets, Jets]:
    """(train, val) jets of the given classes from jetgen/JetNet files: the train and val
    splits of ``paths`` (data/splits.py), or, with ``val_paths``, all of ``paths`` to
    train on and all of ``val_paths`` to validate on (files of independent seeds)."""
    if not paths:
        raise JetgenError("no training data given; pass --data FILE.h5 (make one with "
                          "`jetgen data generate`)")
    jets = _read_all(paths, n_particles, classes)
    if val_paths:
        return jets, _read_all(val_paths, n_particles, classes)
    return jets[split_mask(jets.jet_type, "train")], jets[split_mask(jets.jet_type, "val")]


def _read_all(paths: list[Path], n_particles: int, classes: list[str]) -> Jets:
    from ..io import read_jets
    from ..jets import CLASSES, Jets

    parts = []
    for path in paths:
        jets = read_jets(path)
        if jets.n_particles != n_particles:
            raise JetgenError(f"{path}: holds {jets.n_particles}-particle jets, the model is "
                              f"configured for {n_particles}")
        if not np.isfinite(jets.particles).all() or not np.isfinite(jets.jet).all():
            raise JetgenError(f"{path}: contains NaN or inf features")
        parts.append(jets)
    jets = Jets.concatenate(parts)
    wanted = [CLASSES.index(c) for c in classes]
    jets = jets[np.isin(jets.jet_type, wanted)]
    if not len(jets):
        raise JetgenError(f"no jets of class(es) {', '.join(classes)} in "
                          f"{', '.join(str(p) for p in paths)}")
    return jets


def jet_range(jets: Jets) -> dict[str, list[float]]:
    """Per-feature [min, max] of the training jets; `jetgen sample --conditions` warns when
    asked to go beyond it."""
    from ..jets import JET_FEATURES

    return {name: [float(col.min()), float(col.max())]
            for name, col in zip(JET_FEATURES, jets.jet.T, strict=True)}
