"""JetNet-layout HDF5: ``particle_features`` [N, P, 4], ``jet_features`` [N, 4], ``jet_type``.

Written in chunks along N into resizable datasets, so memory stays bounded however many
jets stream through.
"""

from __future__ import annotations

import contextlib
import errno
import json
from pathlib import Path

import numpy as np

from ..errors import FileMissingError, JetgenError, JetgenFileError, KeyInFileError, nearest
from ..jets import JET_FEATURES, JETNET_PARTICLE_FEATURES, Jets
from .atomic import discard, write_failed
from .provenance import dumps
from .writer import AtomicWriter

REQUIRED = ("particle_features", "jet_features")
_CHUNK_JETS = 4096


class HDF5Writer(AtomicWriter):
    """Streaming writer; use as a context manager. Renamed into place on clean exit."""

    def __init__(self, path, n_particles: int, provenance: dict, overwrite: bool = False):
        import h5py

        super().__init__(path, n_particles, overwrite)
        self.tmp = self._temporary(self.path)
        self.n = 0
        try:
            self.sink = _FailSafeFile(self.tmp)
        except OSError as err:
            discard(self.tmp)
            raise write_failed(self.path, err) from None
        try:
            self.file = h5py.File(self.sink, "w")
            self._create(n_particles, provenance)
        except BaseException:  # a signal or error before the caller's `with` took over
            self.abort()
            raise

    def _create(self, n_particles: int, provenance: dict) -> None:
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
        write_attrs(self.file, provenance)

    def _append(self, jets: Jets) -> None:
        try:
            self._write(jets)
        except (OSError, RuntimeError) as err:
            raise write_failed(self.path, self.sink.error or err) from None
        if self.sink.error is not None:
            raise write_failed(self.path, self.sink.error)

    def _write(self, jets: Jets) -> None:
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

    def _finish(self) -> None:
        try:
            self.file.close()
        except (OSError, RuntimeError) as err:
            raise write_failed(self.path, self.sink.error or err) from None
        finally:
            self.sink.close()
        if self.sink.error is not None:
            raise write_failed(self.path, self.sink.error)

    def _close_quietly(self) -> None:
        # Already failing (a full disk fails the close too); the temp file goes anyway.
        with contextlib.suppress(Exception):
            self.file.close()
        self.sink.close()


def write_attrs(file, provenance: dict) -> None:
    """Provenance as jetgen's HDF5 files carry it: scalar fields as attributes (for
    h5dump), the full record as a JSON string dataset (attributes are capped at 64 kB)."""
    for key, value in provenance.items():
        if isinstance(value, (str, int, float)):
            file.attrs[key] = value
    file.create_dataset("provenance", data=dumps(provenance))


class _FailSafeFile:
    """The temporary file as HDF5 sees it. After the first failed write (disk full) later
    writes are dropped and reported done, so HDF5 can still close the file: a close that
    fails inside HDF5 leaves an ID that crashes the interpreter at exit (h5py #914, #2160).
    The writer raises the stored error and deletes the file."""

    def __init__(self, path: Path):
        # Unbuffered: a buffered file would fail later, inside seek or flush.
        self.raw = open(path, "w+b", buffering=0)  # noqa: SIM115  (closed by the writer)
        self.error: OSError | None = None

    def _guard(self, call, *args, default):
        if self.error is None:
            try:
                return call(*args)
            except OSError as err:
                self.error = err
        return default

    def write(self, data) -> int:
        size = memoryview(data).nbytes
        done = self._guard(self.raw.write, data, default=size)
        return size if done is None else done

    def truncate(self, size: int | None = None) -> int:
        return self._guard(self.raw.truncate, size, default=size)

    def flush(self) -> None:
        self._guard(self.raw.flush, default=None)

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(size)

    def readinto(self, buffer) -> int:
        return self.raw.readinto(buffer)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.raw.close()


def _open(path: Path):
    import h5py

    if not path.exists():
        raise FileMissingError(f"{path}: no such file", path=path)
    if path.is_dir():
        raise JetgenFileError(f"{path}: is a directory, expected an HDF5 file", path=path,
                              errno=errno.EISDIR)
    try:
        return h5py.File(path, "r")
    except PermissionError as err:
        raise JetgenFileError(f"{path}: permission denied", path=path,
                              errno=err.errno) from None
    except OSError as err:
        reason = "truncated" if "truncated" in str(err) else "not HDF5, or corrupted"
        raise JetgenFileError(f"{path}: not a readable HDF5 file ({reason})",
                              path=path) from None


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
                raise _missing(path, f, name)
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
            raise JetgenFileError(f"{path}: truncated or corrupted HDF5 ({err})",
                                  path=path) from None
    return Jets.from_jetnet_array(particles, jet, jet_type, extra)


def read_hdf5_conditions(path) -> tuple[np.ndarray, np.ndarray]:
    """(jet_type, jet_features [N, 4]) without touching particle_features."""
    path = Path(path)
    with _open(path) as f:
        if "jet_features" not in f:
            raise _missing(path, f, "jet_features", "; --conditions needs jet_features [N, 4] "
                           "(pT, eta, mass, n) and jet_type")
        jet = np.asarray(f["jet_features"][()], np.float32)
        if jet.ndim != 2 or jet.shape[1] != 4:
            raise JetgenError(f"{path}: expected jet_features [N, 4], got {jet.shape}")
        name = "jet_type" if "jet_type" in f else "jet_types" if "jet_types" in f else None
        jet_type = (np.asarray(f[name][()], np.int32) if name else
                    np.full(len(jet), _class_from_name(path), np.int32))
    return jet_type, jet


def count_hdf5(path) -> int:
    path = Path(path)
    with _open(path) as f:
        if "particle_features" not in f:
            raise KeyInFileError("particle_features", path=path, keys=list(f.keys()),
                                 message=f"{path}: missing dataset 'particle_features'")
        return int(f["particle_features"].shape[0])


def particles_hdf5(path) -> int:
    path = Path(path)
    with _open(path) as f:
        if "particle_features" not in f:
            raise KeyInFileError("particle_features", path=path, keys=list(f.keys()),
                                 message=f"{path}: missing dataset 'particle_features' "
                                 "[N, P, 3 or 4]")
        if f["particle_features"].ndim != 3:
            raise JetgenError(f"{path}: missing dataset 'particle_features' [N, P, 3 or 4]")
        return int(f["particle_features"].shape[1])


def _missing(path: Path, file, name: str, hint: str = "") -> KeyInFileError:
    """The error for a dataset ``file`` lacks, naming the nearest it has."""
    keys = list(file.keys())
    return KeyInFileError(name, path=path, keys=keys,
                          message=f"{path}: missing dataset {name!r}{nearest(name, keys)}{hint}")


def _class_from_name(path: Path) -> int:
    """JetNet's own files carry no class column: ``t.hdf5`` / ``t150.hdf5`` name it."""
    from ..jets import CLASSES

    stem = path.stem.lower().removesuffix("150").removesuffix("30")
    if stem in CLASSES:
        return CLASSES.index(stem)
    raise JetgenError(f"{path}: no 'jet_type' dataset and the file name does not name a "
                      "JetNet class (g, q, t, w, z)")
