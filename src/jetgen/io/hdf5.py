"""JetNet-layout HDF5: ``particle_features`` [N, P, 4], ``jet_features`` [N, 4], ``jet_type``.

Written in chunks along N into resizable datasets, so memory stays bounded however many
jets stream through.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import JetgenError, nearest
from ..jets import JET_FEATURES, JETNET_PARTICLE_FEATURES, Jets
from .atomic import check_output, commit, discard, temporary_sibling
from .provenance import dumps

REQUIRED = ("particle_features", "jet_features")
_CHUNK_JETS = 4096


class HDF5Writer:
    """Streaming writer; use as a context manager. Renamed into place on clean exit."""

    def __init__(self, path, n_particles: int, provenance: dict, overwrite: bool = False):
        import h5py

        self.path = check_output(path, overwrite)
        self.tmp = temporary_sibling(self.path)
        self.n_particles = n_particles
        self.n = 0
        self.file = h5py.File(self.tmp, "w")
        kw = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
        chunk = min(_CHUNK_JETS, max(1, 2**20 // (n_particles * 16)))
        self.particle = self.file.create_dataset(
            "particle_features", (0, n_particles, 4), "f4",
            maxshape=(None, n_particles, 4), chunks=(chunk, n_particles, 4), **kw,
        )
        self.jet = self.file.create_dataset(
            "jet_features", (0, 4), "f4", maxshape=(None, 4), chunks=(chunk, 4), **kw
        )
        self.jet_type = self.file.create_dataset(
            "jet_type", (0,), "i4", maxshape=(None,), chunks=(chunk,), **kw
        )
        self.particle.attrs["feature_names"] = JETNET_PARTICLE_FEATURES
        self.jet.attrs["feature_names"] = JET_FEATURES
        self.extra: dict = {}
        self.kw = kw
        self.chunk = chunk
        for key, value in provenance.items():
            if isinstance(value, (str, int, float)):
                self.file.attrs[key] = value
        # Attributes are capped at 64 kB: the full record goes in a string dataset.
        self.file.create_dataset("provenance", data=dumps(provenance))

    def write(self, jets: Jets) -> None:
        if jets.n_particles != self.n_particles:
            raise JetgenError(
                f"{self.path}: got jets with {jets.n_particles} particles, file holds "
                f"{self.n_particles}"
            )
        n0, n1 = self.n, self.n + len(jets)
        for ds, values in (
            (self.particle, jets.jetnet_array()),
            (self.jet, jets.jet),
            (self.jet_type, jets.jet_type),
        ):
            ds.resize(n1, axis=0)
            ds[n0:n1] = values
        for key, value in jets.extra.items():
            if key not in self.extra:
                if n0:
                    raise JetgenError(f"column {key!r} appeared after the first batch")
                self.extra[key] = self.file.create_dataset(
                    key, (0,), value.dtype, maxshape=(None,), chunks=(self.chunk,), **self.kw
                )
            self.extra[key].resize(n1, axis=0)
            self.extra[key][n0:n1] = value
        self.n = n1

    def close(self) -> None:
        self.file.close()
        commit(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.file.close()
        finally:
            discard(self.tmp)

    def __enter__(self) -> HDF5Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _open(path: Path):
    import h5py

    if not path.exists():
        raise JetgenError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise JetgenError(f"{path}: not a readable HDF5 file ({err.__class__.__name__})") from None


def read_provenance_hdf5(path) -> dict:
    path = Path(path)
    with _open(path) as f:
        if "provenance" in f:
            raw = f["provenance"][()]
            return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        return {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}


def read_hdf5(path, start: int = 0, stop: int | None = None) -> Jets:
    """Read a JetNet-layout file (jetgen's own or JetNet's) into :class:`Jets`."""
    path = Path(path)
    with _open(path) as f:
        for name in REQUIRED:
            if name not in f:
                raise JetgenError(
                    f"{path}: missing dataset {name!r}{nearest(name, list(f.keys()))}"
                )
        pf, jf = f["particle_features"], f["jet_features"]
        if pf.ndim != 3 or pf.shape[2] != 4 or jf.ndim != 2 or jf.shape[1] != 4:
            raise JetgenError(
                f"{path}: expected particle_features [N, P, 4] and jet_features [N, 4], got "
                f"{pf.shape} and {jf.shape}"
            )
        try:
            particles = pf[start:stop]
            jet = jf[start:stop]
            if "jet_type" in f:
                jet_type = f["jet_type"][start:stop]
            elif "jet_types" in f:
                jet_type = f["jet_types"][start:stop]
            else:
                jet_type = np.full(len(particles), _class_from_name(path), np.int32)
            extra = {
                k: f[k][start:stop]
                for k in f
                if k not in (*REQUIRED, "jet_type", "jet_types", "provenance", "config")
                and f[k].ndim == 1 and f[k].shape[0] == pf.shape[0]
            }
        except OSError as err:
            raise JetgenError(f"{path}: truncated or corrupted HDF5 ({err})") from None
    return Jets.from_jetnet_array(particles, jet, jet_type, extra)


def count_hdf5(path) -> int:
    path = Path(path)
    with _open(path) as f:
        if "particle_features" not in f:
            raise JetgenError(f"{path}: missing dataset 'particle_features'")
        return int(f["particle_features"].shape[0])


def _class_from_name(path: Path) -> int:
    """JetNet's own files carry no class column: ``t.hdf5`` / ``t150.hdf5`` name it."""
    from ..jets import CLASSES

    stem = path.stem.lower().removesuffix("150").removesuffix("30")
    if stem in CLASSES:
        return CLASSES.index(stem)
    raise JetgenError(f"{path}: no 'jet_type' dataset and the file name does not name a "
                      "JetNet class (g, q, t, w, z)")
