"""Per-jet score tables on disk: a flat ROOT TTree (uproot) or HDF5 datasets, by suffix.

Written whole and atomically (temporary sibling, then rename): a score table is ~50 bytes
per jet, so even millions of jets fit in memory, and a crash never leaves half a file.
Provenance is stored as other jetgen outputs store it (ROOT: JSON ``jetgen_metadata``
beside the tree; HDF5: a ``provenance`` string dataset), so ``read_provenance`` reads it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np

from ..errors import JetgenError, nearest
from ..io import file_format
from ..io.atomic import check_output, commit, discard, temporary_sibling, write_failed
from ..io.provenance import dumps
from ..io.root import METADATA_KEY

TREE = "scores"


def write_table(path: str | Path, columns: dict[str, np.ndarray], provenance: dict,
                overwrite: bool = False) -> Path:
    """Write equal-length 1-D ``columns`` and ``provenance`` to ``path`` (.root or .h5)."""
    path = check_output(path, overwrite)
    kind = file_format(path)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of unequal length: { {k: len(v) for k, v in columns.items()} }")
    tmp = temporary_sibling(path)
    try:
        if kind == "root":
            _write_root(tmp, columns, provenance)
        else:
            _write_hdf5(tmp, columns, provenance)
    except OSError as err:
        discard(tmp)
        raise write_failed(path, err) from None
    except BaseException:
        discard(tmp)
        raise
    commit(tmp, path)
    return path


def _write_root(tmp: Path, columns: dict[str, np.ndarray], provenance: dict) -> None:
    import uproot

    with uproot.recreate(tmp) as f:
        tree = f.mktree(TREE, {k: v.dtype for k, v in columns.items()})
        if columns and len(next(iter(columns.values()))):
            tree.extend(columns)
        f[METADATA_KEY] = dumps(provenance)


def _write_hdf5(tmp: Path, columns: dict[str, np.ndarray], provenance: dict) -> None:
    import h5py

    with h5py.File(tmp, "w") as f:
        for key, value in columns.items():
            f.create_dataset(key, data=value, compression="gzip", compression_opts=4,
                             shuffle=True)
        for key, value in provenance.items():
            if isinstance(value, (str, int, float)):
                f.attrs[key] = value
        f.create_dataset("provenance", data=dumps(provenance))


def read_table(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """(columns, provenance) of a table written by :func:`write_table`."""
    path = Path(path)
    if not path.is_file():
        raise JetgenError(f"{path}: no such file")
    try:
        if file_format(path) == "root":
            return _read_root(path)
        return _read_hdf5(path)
    except OSError as err:
        raise JetgenError(f"{path}: not a readable score file ({err})") from None


def _read_root(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    import uproot

    with uproot.open(path) as f:
        keys = [k.split(";")[0] for k in f]
        if TREE not in keys:
            raise JetgenError(f"{path}: no tree {TREE!r}{nearest(TREE, keys)}")
        columns = {k: np.asarray(v) for k, v in f[TREE].arrays(library="np").items()}
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
