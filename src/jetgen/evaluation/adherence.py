"""Conditional adherence: do generated jets have the kinematics they were asked for?

A conditional model is given a jet pT and mass (file columns ``cond_pt``, ``cond_mass``)
and generates constituents. What counts is the jet the constituents make, so pT and mass
are recomputed from them: massless 4-vectors from (η_rel, φ_rel, pT_rel × jet pT), summed.
(``jet_features`` of a generated file just repeat the request.) Mass is boost invariant and
pT does not depend on η, so η_rel suffices; the scale is the file's jet pT, which is what
pT_rel is relative to.

The truth floor is the same quantity on the reference: its leading constituents (at most
P of them) against its recorded full-jet pT and mass, which they cannot reproduce exactly.
"""

from __future__ import annotations

import numpy as np

from ..jets import Jets

COLUMNS = {"pt": "cond_pt", "mass": "cond_mass"}


def constituent_kinematics(jets: Jets) -> tuple[np.ndarray, np.ndarray]:
    """(pT, mass) of the constituent sum, in the file's units (GeV)."""
    eta, phi = jets.particles[..., 0].astype(float), jets.particles[..., 1].astype(float)
    pt = np.where(jets.mask, jets.particles[..., 2], 0.0) * jets.jet[:, :1].astype(float)
    px, py = (pt * np.cos(phi)).sum(1), (pt * np.sin(phi)).sum(1)
    pz, e = (pt * np.sinh(eta)).sum(1), (pt * np.cosh(eta)).sum(1)
    m2 = e**2 - px**2 - py**2 - pz**2
    return np.hypot(px, py), np.sqrt(np.clip(m2, 0.0, None))


def _summary(rel: np.ndarray) -> dict:
    rel = rel[np.isfinite(rel)]
    return {"mean": float(rel.mean()) if len(rel) else float("nan"),
            "std": float(rel.std()) if len(rel) else float("nan"),
            "median": float(np.median(rel)) if len(rel) else float("nan"),
            "n": len(rel)}


def adherence(generated: Jets, reference: Jets | None = None) -> dict | None:
    """Mean, spread (std) and median of (constituent − requested) / requested for jet pT
    and mass; ``None`` when the file carries no requested kinematics."""
    if not any(col in generated.extra for col in COLUMNS.values()):
        return None
    pt, mass = constituent_kinematics(generated)
    got = {"pt": pt, "mass": mass}
    out: dict = {"definition": "(constituent-sum - requested) / requested"}
    floor = None
    if reference is not None and len(reference):
        rpt, rmass = constituent_kinematics(reference)
        floor = {"pt": (rpt, reference.jet[:, 0]), "mass": (rmass, reference.jet[:, 2])}
    for name, col in COLUMNS.items():
        if col not in generated.extra:
            continue
        want = np.asarray(generated.extra[col], float)
        with np.errstate(divide="ignore", invalid="ignore"):
            entry = {"model": _summary((got[name] - want) / want)}
            if floor is not None:
                have, recorded = floor[name]
                recorded = np.asarray(recorded, float)
                entry["floor"] = _summary((have - recorded) / recorded)
        out[name] = entry
    return out
