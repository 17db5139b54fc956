"""Per-jet score tables on disk: a flat TTree ``scores`` (.root) or HDF5 datasets (.h5),
written and read through :mod:`jetgen.io` (atomic; provenance as jet files carry it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import io

TREE = "scores"


def write_table(path: str | Path, columns: dict[str, np.ndarray], provenance: dict,
                overwrite: bool = False) -> Path:
    """Write equal-length 1-D ``columns`` and ``provenance`` to ``path`` (.root or .h5)."""
    return io.write_table(path, columns, provenance, tree=TREE, overwrite=overwrite)


def read_table(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """(columns, provenance) of a table written by :func:`write_table`."""
    return io.read_table(path, tree=TREE, what="score")
