"""Flat per-jet tables (equal-length 1-D columns, e.g. per-jet scores) in jetgen's two file
formats, by suffix: a flat ROOT TTree (uproot) or HDF5 datasets.

Written whole and atomically: a table is tens of bytes per jet, so even millions of jets
fit in memory, and a crash never leaves half a file. Provenance is stored as in jet files
(ROOT: JSON ``jetgen_metadata`` beside the tree; HDF5: a ``provenance`` string dataset),
so :func:`jetgen.io.read_provenance` reads it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np

from ..errors import FileMissingError, JetgenError, JetgenFileError, KeyInFileError
from . import file_format
from .atomic import atomic_path, check_output, write_failed
from .provenance import dumps


def write_table(path: str | os.PathLike, columns: dict[str, np.ndarray], provenance: dict,
                *, tree: str, overwrite: bool = False) -> Path:
    """Write ``columns`` and ``provenance`` to ``path`` (.root: TTree ``tree``; .h5: one
    dataset per column)."""
    path = check_output(path, overwrite)
    kind = file_format(path)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of unequal length: { {k: len(v) for k, v in columns.items()} }")
    try:
        with atomic_path(path) as tmp:
            if kind == "root":
                _write_root(tmp, tree, columns, provenance)
            else:
                _write_hdf5(tmp, columns, provenance)
    except JetgenError:
        raise
    except OSError as err:
        raise write_failed(path, err) from None
    return path


def read_table(path: str | os.PathLike, *, tree: str,
               what: str = "table") -> tuple[dict[str, np.ndarray], dict]:
    """(columns, provenance) of a table written by :func:`write_table`; ``what`` names the
    kind of table in the message for an unreadable file."""
    path = Path(path)
    if not path.exists():
        raise FileMissingError(f"{path}: no such file", path=path)
    if not path.is_file():
        raise JetgenFileError(f"{path}: no such file", path=path)
    try:
        if file_format(path) == "root":
            return _read_root(path, tree)
        return _read_hdf5(path)
    except JetgenError:
        raise
    except OSError as err:
        raise JetgenFileError(f"{path}: not a readable {what} file ({err})", path=path,
                              errno=err.errno) from None


def _write_root(tmp: Path, tree: str, columns: dict[str, np.ndarray],
                provenance: dict) -> None:
    import uproot

    from .root import METADATA_KEY

    with uproot.recreate(tmp) as f:
        out = f.mktree(tree, {k: v.dtype for k, v in columns.items()})
        if columns and len(next(iter(columns.values()))):
            out.extend(columns)
        f[METADATA_KEY] = dumps(provenance)


def _write_hdf5(tmp: Path, columns: dict[str, np.ndarray], provenance: dict) -> None:
    import h5py

    from .hdf5 import write_attrs

    with h5py.File(tmp, "w") as f:
        for key, value in columns.items():
            f.create_dataset(key, data=value, compression="gzip", compression_opts=4,
                             shuffle=True)
        write_attrs(f, provenance)


def _read_root(path: Path, tree: str) -> tuple[dict[str, np.ndarray], dict]:
    import uproot

    from .root import METADATA_KEY

    with uproot.open(path) as f:
        keys = [k.split(";")[0] for k in f]
        if tree not in keys:
            raise KeyInFileError(tree, path=path, keys=keys, what="tree")
        columns = {k: np.asarray(v) for k, v in f[tree].arrays(library="np").items()}
        provenance = json.loads(str(f[METADATA_KEY])) if METADATA_KEY in keys else {}
    return columns, provenance


def _read_hdf5(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    import h5py

    with h5py.File(path, "r") as f:
        columns = {k: f[k][()] for k in f if k != "provenance"}
        provenance = {}
        if "provenance" in f:
            raw = f["provenance"][()]
            with contextlib.suppress(ValueError):
                provenance = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    return columns, provenance
