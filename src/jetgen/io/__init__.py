"""Jet files: ROOT TTrees and JetNet-layout HDF5, chosen by extension.

``read_jets`` / ``open_writer`` are the only entry points other modules use.
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
