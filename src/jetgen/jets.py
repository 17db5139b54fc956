"""The in-memory jet container and the names everything else agrees on.

Particle clouds are kept padded (``[N, P, 3]`` + mask) because that is what networks
and the JetNet metrics eat; awkward arrays are produced at the edges (files, users).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # awkward is imported lazily (slow import)
    import awkward as ak

from .errors import UsageError, nearest

#: JetNet class order; ``jet_type`` integers index into this.
CLASSES: tuple[str, ...] = ("g", "q", "t", "w", "z")
CLASS_LONG: dict[str, str] = {"g": "gluon", "q": "quark", "t": "top", "w": "W", "z": "Z"}
_ALIASES: dict[str, str] = {
    **{c: c for c in CLASSES},
    **{v.lower(): k for k, v in CLASS_LONG.items()},
    "gluons": "g",
    "quarks": "q",
    "tops": "t",
}

PARTICLE_FEATURES: list[str] = ["etarel", "phirel", "ptrel"]
JETNET_PARTICLE_FEATURES: list[str] = ["etarel", "phirel", "ptrel", "mask"]
JET_FEATURES: list[str] = ["pt", "eta", "mass", "num_particles"]


def parse_class(name: str) -> int:
    """``'top'``, ``'t'``, ``'T'`` → 2. Unknown names suggest the nearest valid one."""
    key = name.strip().lower()
    if key not in _ALIASES:
        raise UsageError(f"unknown jet class {name!r}{nearest(key, _ALIASES)}")
    return CLASSES.index(_ALIASES[key])


def parse_classes(names: list[str] | str) -> list[int]:
    """Several names, comma lists, or ``all`` → sorted unique class indices."""
    items = [names] if isinstance(names, str) else list(names)
    out: set[int] = set()
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            if part.strip().lower() == "all":
                out.update(range(len(CLASSES)))
            else:
                out.add(parse_class(part))
    if not out:
        raise UsageError("no jet class given (use g, q, t, w, z, their names, or 'all')")
    return sorted(out)


@dataclass
class Jets:
    """A batch of jets in JetNet form.

    ``particles`` [N, P, 3] float32 (etarel, phirel, ptrel), zero where ``mask`` is False;
    ``mask`` [N, P] bool; ``jet`` [N, 4] float32 (pt, eta, mass, num_particles);
    ``jet_type`` [N] int32; ``extra`` holds optional per-jet columns (``jet_seed``,
    ``event``, requested kinematics ``cond_pt`` / ``cond_mass`` …) that files carry along.
    """

    particles: np.ndarray
    mask: np.ndarray
    jet: np.ndarray
    jet_type: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.particles = np.ascontiguousarray(self.particles, dtype=np.float32)
        self.mask = np.ascontiguousarray(self.mask, dtype=bool)
        self.jet = np.ascontiguousarray(self.jet, dtype=np.float32)
        self.jet_type = np.ascontiguousarray(self.jet_type, dtype=np.int32)
        n, p = self.mask.shape
        if self.particles.shape != (n, p, 3) or self.jet.shape != (n, 4):
            raise ValueError(
                f"inconsistent jet arrays: particles {self.particles.shape}, mask "
                f"{self.mask.shape}, jet {self.jet.shape}"
            )
        if self.jet_type.shape != (n,):
            raise ValueError(f"jet_type has shape {self.jet_type.shape}, expected ({n},)")
        for key, value in self.extra.items():
            if len(value) != n:
                raise ValueError(f"extra column {key!r} has {len(value)} rows, expected {n}")

    def __len__(self) -> int:
        return int(self.mask.shape[0])

    @property
    def n_particles(self) -> int:
        return int(self.mask.shape[1])

    def __getitem__(self, index: slice | np.ndarray) -> Jets:
        return Jets(
            self.particles[index],
            self.mask[index],
            self.jet[index],
            self.jet_type[index],
            {k: v[index] for k, v in self.extra.items()},
        )

    def of_class(self, class_index: int) -> Jets:
        return self[self.jet_type == class_index]

    def jetnet_array(self) -> np.ndarray:
        """[N, P, 4] in JetNet order (etarel, phirel, ptrel, mask)."""
        return np.concatenate([self.particles, self.mask[..., None].astype(np.float32)], -1)

    @classmethod
    def from_jetnet_array(
        cls,
        particle_features: np.ndarray,
        jet_features: np.ndarray,
        jet_type: np.ndarray,
        extra: dict[str, np.ndarray] | None = None,
    ) -> Jets:
        mask = particle_features[..., 3] > 0.5
        particles = np.where(mask[..., None], particle_features[..., :3], 0.0)
        return cls(particles, mask, jet_features, jet_type, dict(extra or {}))

    @classmethod
    def concatenate(cls, parts: list[Jets]) -> Jets:
        if not parts:
            raise ValueError("nothing to concatenate")
        keys = set(parts[0].extra).intersection(*(p.extra for p in parts[1:]))
        return cls(
            np.concatenate([p.particles for p in parts]),
            np.concatenate([p.mask for p in parts]),
            np.concatenate([p.jet for p in parts]),
            np.concatenate([p.jet_type for p in parts]),
            {k: np.concatenate([p.extra[k] for p in parts]) for k in sorted(keys)},
        )

    def to_awkward(self) -> ak.Array:
        import awkward as ak

        counts = self.mask.sum(1)
        flat = self.particles[self.mask]
        part = ak.zip(
            {
                name: ak.unflatten(flat[:, i], counts)
                for i, name in enumerate(PARTICLE_FEATURES)
            }
        )
        fields = {"part": part, "jet_type": self.jet_type}
        for i, name in enumerate(("jet_pt", "jet_eta", "jet_mass", "jet_nparticles")):
            fields[name] = self.jet[:, i]
        fields.update(self.extra)
        return ak.zip(fields, depth_limit=1)
