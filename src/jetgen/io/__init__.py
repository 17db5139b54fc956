"""Jet files: ROOT TTrees and JetNet-layout HDF5, chosen by extension.

The functions here are the entry points other modules use: ``read_jets`` /
``open_writer`` (jets), ``read_provenance``, ``count_jets``, ``particles_in``,
``read_conditions``, ``tree_name`` (a ROOT file's TTree), ``write_table`` / ``read_table``
(flat per-jet tables). Beside them: :mod:`.atomic` (the one write-then-rename),
:mod:`.digest` (the one file checksum), :mod:`.cache` (the one per-user cache dir).
Errors are :mod:`jetgen.errors`' types: ``JetgenFileError`` (an ``OSError``) for a file
that is missing or unreadable, ``KeyInFileError`` (a ``KeyError``) for a dataset, tree
or branch it lacks.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import JetgenError
from ..jets import Jets

ROOT_SUFFIXES = (".root",)
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")


def file_format(path) -> str:
    """'root' or 'hdf5' from the extension; anything else is refused with the choices."""
    suffix = Path(path).suffix.lower()
    if suffix in ROOT_SUFFIXES:
        return "root"
    if suffix in HDF5_SUFFIXES:
        return "hdf5"
    raise JetgenError(
        f"{path}: unknown file type {suffix or '(no extension)'!r}; use .root, .h5 or .hdf5"
    )


def read_jets(path, start: int = 0, stop: int | None = None, tree: str | None = None) -> Jets:
    """All jets (or rows ``start:stop``) of a jetgen/JetNet file (of a whole rolled-over
    ROOT set when ``path`` is its first file). ``tree``: the TTree of a ROOT file, or None
    for its only TTree (an error names them when there are several)."""
    if file_format(path) == "root":
        from .root import read_root

        return read_root(path, start=start, stop=stop, tree=tree)
    from .hdf5 import read_hdf5

    return read_hdf5(path, start=start, stop=stop)


def read_provenance(path, tree: str | None = None) -> dict:
    """The provenance record a jetgen file carries ({} for files from elsewhere)."""
    if file_format(path) == "root":
        from .root import read_provenance_root

        return read_provenance_root(path)
    from .hdf5 import read_provenance_hdf5

    return read_provenance_hdf5(path)


def open_writer(path, n_particles: int, provenance: dict, overwrite: bool = False,
                tree: str = "tree", max_bytes: int | None = None):
    """A streaming writer (context manager with ``write(jets)``), atomic on close.

    ROOT output continues in ``out_1.root``, ``out_2.root`` … past ``max_bytes``
    (default :data:`jetgen.io.root.MAX_FILE_BYTES`); ``read_jets("out.root")`` reads the set.
    """
    if file_format(path) == "root":
        from .root import RootWriter

        return RootWriter(path, n_particles, provenance, overwrite=overwrite, tree=tree,
                          max_bytes=max_bytes)
    from .hdf5 import HDF5Writer

    return HDF5Writer(path, n_particles, provenance, overwrite=overwrite)


def tree_name(path, tree: str | None = None) -> str | None:
    """The TTree a read of a ROOT file uses (``tree`` if it has it, else its only one);
    None for HDF5, which has no trees."""
    if file_format(path) != "root":
        return None
    from .root import tree_name as root_tree_name

    return root_tree_name(path, tree)


def rollover_path(path, k: int) -> Path:
    """File ``k`` of a ROOT output that rolled over (``out.root``, ``out_1.root`` …)."""
    from .root import part_path

    return part_path(Path(path), k)


def write_table(path, columns: dict, provenance: dict, *, tree: str,
                overwrite: bool = False) -> Path:
    """Equal-length 1-D ``columns`` as a flat TTree ``tree`` (.root) or datasets (.h5),
    written atomically with ``provenance``."""
    from .table import write_table as write

    return write(path, columns, provenance, tree=tree, overwrite=overwrite)


def read_table(path, *, tree: str, what: str = "table") -> tuple[dict, dict]:
    """(columns, provenance) of a file written by :func:`write_table`."""
    from .table import read_table as read

    return read(path, tree=tree, what=what)


def count_jets(path, tree: str | None = None) -> int:
    """Number of jets in a file without reading them."""
    if file_format(path) == "root":
        from .root import count_root

        return count_root(path, tree=tree)
    from .hdf5 import count_hdf5

    return count_hdf5(path)


def particles_in(path, tree: str | None = None) -> int:
    """Constituent slots per jet of a file, from its shape (or a jetgen ROOT file's record)
    without reading its jets: what decides a new model's particle count."""
    if file_format(path) == "root":
        from .root import read_provenance_root

        recorded = read_provenance_root(path).get("n_particles")
        return int(recorded) if recorded else read_jets(path, tree=tree).n_particles
    from .hdf5 import particles_hdf5

    return particles_hdf5(path)


def read_conditions(path, tree: str | None = None):
    """(jet_type [N], kinematics [N, 4] = pT, η, mass, n) from the jet-level columns alone:
    a user's ntuple need not hold constituents in jetgen's format."""
    if file_format(path) == "root":
        from .root import read_root_conditions

        return read_root_conditions(path, tree=tree)
    from .hdf5 import read_hdf5_conditions

    return read_hdf5_conditions(path)
