"""Which jets a sampling run makes: ``n`` of each class, or the rows of a --conditions file
(class and jet kinematics), and how those rows compare with what the model was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import JetgenError, UsageError, warn
from ..io import read_conditions
from ..jets import CLASSES, JET_FEATURES
from ..models.checkpoint import read_metadata


@dataclass
class Jobs:
    """Which jets a run makes, without per-jet arrays for --n (which may be huge)."""

    total: int
    classes: list[int]
    n: int | None = None
    given_types: np.ndarray | None = None
    kin: np.ndarray | None = None

    def jet_type(self, index: np.ndarray) -> np.ndarray:
        if self.given_types is not None:
            return self.given_types[index]
        assert self.n is not None  # jets by class: n of each
        return np.asarray(self.classes, np.int32)[index // self.n]

    def conditions(self, index: np.ndarray) -> np.ndarray | None:
        return None if self.kin is None else self.kin[index]


def list_jobs(classes: Sequence[int] | None, n: int | None, conditions: Path | None,
              conditions_tree: str | None = None) -> Jobs:
    """``n`` jets of each class, or the (first ``n``) jets of a file (only its jet-level
    columns are read: class, pT, η, mass, n)."""
    if n is not None and n <= 0:
        raise UsageError(f"--n must be a positive number of jets, got {n}")
    if conditions is not None:
        jet_type, kin = read_conditions(conditions, conditions_tree)
        if not len(jet_type):
            raise JetgenError(f"{conditions}: holds no jets")
        if not np.isfinite(kin).all():
            bad = int((~np.isfinite(kin)).any(1).sum())
            raise JetgenError(f"{conditions}: {bad} jets have NaN/inf kinematics")
        unknown = sorted(set(jet_type.tolist()) - set(range(len(CLASSES))))
        if unknown:
            raise JetgenError(f"{conditions}: jet_type values {unknown} are not JetNet classes "
                              f"(0-{len(CLASSES) - 1} = {', '.join(CLASSES)})")
        if classes is not None:
            keep = np.isin(jet_type, classes)
            jet_type, kin = jet_type[keep], kin[keep]
            if not len(jet_type):
                names = ", ".join(CLASSES[c] for c in classes)
                raise JetgenError(f"{conditions}: no jets of class(es) {names}")
        if n is not None:
            jet_type, kin = jet_type[:n], kin[:n]
        jet_type = jet_type.astype(np.int32)
        return Jobs(len(jet_type), sorted(set(jet_type.tolist())), n, jet_type,
                    kin.astype(np.float32))
    if classes is None:
        raise UsageError("pass --jet (g, q, t, w, z, names or all) or --conditions FILE")
    if n is None:
        raise UsageError("pass --n, the number of jets per class")
    return Jobs(n * len(classes), list(classes), n)


def clamp_multiplicity(kin: np.ndarray, n_particles: int, source: object) -> None:
    """n of --conditions rounded and clamped to [1, the model's particles] in place, with
    a warning that counts the jets changed (a jet cannot have 0 or more constituents than
    the model generates)."""
    n = np.rint(kin[:, 3])
    low, high = int((n < 1).sum()), int((n > n_particles).sum())
    if low or high:
        warn(f"{source}: {low} jets with n < 1 and {high} with n > {n_particles} (the "
             f"model's particles); their n is clamped to 1…{n_particles}")
    kin[:, 3] = np.clip(n, 1, n_particles)


def training_range(meta: dict) -> dict | None:
    """Per-feature [min, max] of the training jets, from the model or else its teacher
    (models trained before this was recorded have none: no check then)."""
    ranges = meta.get("training_jet_range")
    teacher = meta.get("teacher")
    if ranges is None and isinstance(teacher, str) and Path(teacher).is_file():
        try:
            ranges = read_metadata(teacher).get("training_jet_range")
        except JetgenError:
            return None
    return ranges


def range_warning(kin: np.ndarray, ranges: dict | None) -> str | None:
    """One line saying how many conditioning jets lie outside the training range, and how
    far (in the feature's units and as a fraction of the training range), or None."""
    if not ranges:
        return None
    outside = np.zeros(len(kin), bool)
    parts = []
    for i, name in enumerate(JET_FEATURES):
        if name not in ranges:
            continue
        lo, hi = ranges[name]
        width = max(hi - lo, 1e-12)
        below, above = kin[:, i] < lo, kin[:, i] > hi
        outside |= below | above
        if above.any():
            far = float((kin[above, i] - hi).max())
            parts.append(f"{name} above {hi:.4g} by up to {far:.4g} ({far / width:.0%} of "
                         "the range)")
        if below.any():
            far = float((lo - kin[below, i]).max())
            parts.append(f"{name} below {lo:.4g} by up to {far:.4g} ({far / width:.0%} of "
                         "the range)")
    if not parts:
        return None
    return (f"{int(outside.sum())} of {len(kin)} conditioning jets lie outside the training "
            f"range: {'; '.join(parts)}; the model extrapolates there")
