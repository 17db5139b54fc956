"""ROOT TTrees via uproot (``mktree`` + ``extend``; never RNTuple, which ROOT < 6.36 and
most analysis chains cannot read).

Branches: ``npart`` counter with jagged ``part_etarel``, ``part_phirel``, ``part_ptrel``;
``jet_pt``, ``jet_eta``, ``jet_mass`` (float32), ``jet_nparticles``, ``jet_type`` (int32),
and every extra per-jet column (``jet_seed``, ``event`` …). Provenance is a JSON
TObjString ``jetgen_metadata`` beside the tree.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import JetgenError, nearest
from ..jets import PARTICLE_FEATURES, Jets
from .atomic import check_output, commit, discard, temporary_sibling
from .provenance import dumps

METADATA_KEY = "jetgen_metadata"
JET_BRANCHES = ("jet_pt", "jet_eta", "jet_mass", "jet_nparticles", "jet_type")
PART_BRANCHES = tuple(f"part_{name}" for name in PARTICLE_FEATURES)
#: Jets buffered per basket: ~100 kB+ per jagged branch keeps files compact and fast.
FLUSH_JETS = 20_000


class RootWriter:
    """Streaming TTree writer with the same interface as HDF5Writer."""

    def __init__(self, path, n_particles: int, provenance: dict, overwrite: bool = False,
                 tree: str = "tree"):
        import uproot

        self.path = check_output(path, overwrite)
        self.tmp = temporary_sibling(self.path)
        self.n_particles = n_particles
        self.tree_name = tree
        self.file = uproot.recreate(self.tmp)
        self.file[METADATA_KEY] = dumps(provenance)
        self.tree = None
        self.buffer: list[Jets] = []
        self.buffered = 0

    def write(self, jets: Jets) -> None:
        if jets.n_particles != self.n_particles:
            raise JetgenError(f"{self.path}: got jets with {jets.n_particles} particles, file "
                              f"holds {self.n_particles}")
        self.buffer.append(jets)
        self.buffered += len(jets)
        if self.buffered >= FLUSH_JETS:
            self._flush()

    def _flush(self) -> None:
        import awkward as ak

        if not self.buffer:
            return
        jets = Jets.concatenate(self.buffer)
        self.buffer, self.buffered = [], 0
        counts = jets.mask.sum(1)
        flat = jets.particles[jets.mask]
        data = {
            "part": ak.zip({name: ak.unflatten(flat[:, i], counts)
                            for i, name in enumerate(PARTICLE_FEATURES)}),
            "jet_pt": jets.jet[:, 0],
            "jet_eta": jets.jet[:, 1],
            "jet_mass": jets.jet[:, 2],
            "jet_nparticles": jets.jet[:, 3].astype(np.int32),
            "jet_type": jets.jet_type.astype(np.int32),
            **jets.extra,
        }
        if self.tree is None:
            types = {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()}
            self.tree = self.file.mktree(self.tree_name, types, counter_name=lambda _: "npart")
        self.tree.extend(data)

    def close(self) -> None:
        if self.tree is None and not self.buffer:
            self.buffer.append(Jets(np.zeros((0, self.n_particles, 3)),
                                    np.zeros((0, self.n_particles), bool), np.zeros((0, 4)),
                                    np.zeros(0, np.int32)))
        self._flush()
        self.file.close()
        commit(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.file.close()
        finally:
            discard(self.tmp)

    def __enter__(self) -> RootWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _open(path: Path):
    import uproot

    if not path.exists():
        raise JetgenError(f"{path}: no such file")
    try:
        return uproot.open(path)
    except Exception as err:  # uproot raises many types for non-ROOT or cut files
        raise JetgenError(f"{path}: not a readable ROOT file ({err.__class__.__name__})") from None


def _tree(file, path: Path, tree: str):
    keys = [k.split(";")[0] for k in file]
    if tree not in keys:
        raise JetgenError(f"{path}: no tree {tree!r}{nearest(tree, keys)}")
    obj = file[tree]
    if not hasattr(obj, "arrays"):
        raise JetgenError(f"{path}: {tree!r} is not a TTree")
    return obj


def read_provenance_root(path) -> dict:
    path = Path(path)
    with _open(path) as f:
        keys = [k.split(";")[0] for k in f]
        if METADATA_KEY not in keys:
            return {}
        return json.loads(str(f[METADATA_KEY]))


def count_root(path, tree: str = "tree") -> int:
    path = Path(path)
    with _open(path) as f:
        return int(_tree(f, path, tree).num_entries)


def read_root(path, start: int = 0, stop: int | None = None, tree: str = "tree",
              n_particles: int | None = None) -> Jets:
    """Jets from a jetgen-style TTree (npart + part_* + jet_* branches)."""
    import awkward as ak

    path = Path(path)
    with _open(path) as f:
        t = _tree(f, path, tree)
        names = list(t.keys())
        for needed in (*PART_BRANCHES, *JET_BRANCHES):
            if needed not in names:
                raise JetgenError(f"{path}: tree {tree!r} has no branch {needed!r}"
                                  f"{nearest(needed, names)}")
        extra_names = [n for n in names if n not in (*PART_BRANCHES, *JET_BRANCHES, "npart")]
        try:
            arrays = t.arrays([*PART_BRANCHES, *JET_BRANCHES, *extra_names], entry_start=start,
                              entry_stop=stop)
        except Exception as err:
            raise JetgenError(f"{path}: truncated or corrupted tree ({err.__class__.__name__})"
                              ) from None
    provenance_p = read_provenance_root(path).get("n_particles")
    counts = ak.to_numpy(ak.num(arrays[PART_BRANCHES[0]]))
    p = n_particles or provenance_p or (int(counts.max()) if len(counts) else 30)
    if len(counts) and counts.max() > p:
        raise JetgenError(f"{path}: jets have up to {counts.max()} particles, more than {p}")
    mask = np.arange(p)[None, :] < counts[:, None]
    particles = np.zeros((len(counts), p, 3), np.float32)
    for i, name in enumerate(PART_BRANCHES):
        particles[..., i][mask] = ak.to_numpy(ak.flatten(arrays[name]))
    jet = np.stack([ak.to_numpy(arrays[k]).astype(np.float32) for k in JET_BRANCHES[:4]], 1)
    extra = {k: ak.to_numpy(arrays[k]) for k in extra_names}
    return Jets(particles, mask, jet, ak.to_numpy(arrays["jet_type"]), extra)
