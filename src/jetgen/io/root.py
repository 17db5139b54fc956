"""ROOT TTrees via uproot (``mktree`` + ``extend``; never RNTuple, which ROOT < 6.36 and
most analysis chains cannot read).

Branches: ``npart`` counter with jagged ``part_etarel``, ``part_phirel``, ``part_ptrel``;
``jet_pt``, ``jet_eta``, ``jet_mass`` (float32), ``jet_nparticles``, ``jet_type`` (int32),
and every extra per-jet column (``jet_seed``, ``event`` …). Provenance is a JSON
TObjString ``jetgen_metadata`` beside the tree.

Large outputs roll over: once a file nears :data:`MAX_FILE_BYTES` the writer continues in
``out_1.root``, ``out_2.root`` … (uproot #1620: 32-bit TKey/TBasket fields break files
near 2 GB). Every part is a complete TTree of consecutive jets, and each part's metadata
lists the whole set, so ``read_jets("out.root")`` reads all parts in order; a part other
than the first reads on its own.
"""

from __future__ import annotations

import contextlib
import errno
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileMissingError, JetgenError, JetgenFileError, KeyInFileError, nearest
from ..jets import PARTICLE_FEATURES, Jets
from .atomic import discard, write_failed
from .provenance import dumps
from .writer import AtomicWriter

METADATA_KEY = "jetgen_metadata"
JET_BRANCHES = ("jet_pt", "jet_eta", "jet_mass", "jet_nparticles", "jet_type")
PART_BRANCHES = tuple(f"part_{name}" for name in PARTICLE_FEATURES)
#: Jets buffered per basket: ~100 kB+ per jagged branch keeps files compact and fast.
FLUSH_JETS = 20_000
#: ... at 30 particles: longer jets flush after as many jet-particles (4,000 jets at 150),
#: so the buffer and its awkward copies do not grow five-fold at 150.
FLUSH_PARTICLES = FLUSH_JETS * 30
#: Size at which a ROOT output continues in the next numbered file (see module docstring).
MAX_FILE_BYTES = 1_800_000_000
#: Room kept free in each part for what uproot writes on close (streamers, tree header,
#: metadata), so a part stays under the limit.
_CLOSE_RESERVE = 64 * 1024


def part_path(path: Path, k: int) -> Path:
    """Rollover file k of ``path``: ``out.root``, ``out_1.root``, ``out_2.root`` …"""
    return path if k == 0 else path.with_name(f"{path.stem}_{k}{path.suffix}")


@dataclass
class _Part:
    final: Path
    tmp: Path
    file: object
    tree: object = None
    entries: int = 0

    def size(self) -> int:
        return self.tmp.stat().st_size


class RootWriter(AtomicWriter):
    """Streaming TTree writer with the same interface as HDF5Writer.

    ``max_bytes`` overrides :data:`MAX_FILE_BYTES` (tests use a tiny limit).
    """

    def __init__(self, path, n_particles: int, provenance: dict, overwrite: bool = False,
                 tree: str = "tree", max_bytes: int | None = None):
        super().__init__(path, n_particles, overwrite)
        self.tree_name = tree
        self.provenance = provenance
        self.max_bytes = max_bytes or MAX_FILE_BYTES
        self.parts: list[_Part] = []
        #: Rollover parts of an overwritten, longer set: removed once the new set is in.
        self._stale: list[Path] = []
        self.buffer: list[Jets] = []
        self.buffered = 0
        self.flush_jets = min(FLUSH_JETS, max(1, FLUSH_PARTICLES // max(1, n_particles)))
        self._open_part()

    def _open_part(self) -> None:
        import uproot

        final = part_path(self.path, len(self.parts))
        if self.parts:
            if final.exists() and not self.overwrite:
                raise JetgenFileError(f"{self.path}: output passed {_human(self.max_bytes)} "
                                      f"and would continue in {final.name}, which exists; "
                                      "pass --overwrite or choose another -o", path=final,
                                      errno=errno.EEXIST)
            print(f"jetgen: {self.parts[-1].final.name} reached the {_human(self.max_bytes)} "
                  f"file limit; continuing in {final.name} (read the set via "
                  f"{self.path.name})", file=sys.stderr)
        tmp = self._temporary(final)
        try:
            self.parts.append(_Part(final, tmp, uproot.recreate(tmp)))
        except BaseException as err:  # a signal too: the caller's `with` may not have begun
            self._pending.pop()
            discard(tmp)
            if isinstance(err, OSError):
                raise write_failed(final, err) from None
            raise

    def _append(self, jets: Jets) -> None:
        self.buffer.append(jets)
        self.buffered += len(jets)
        if self.buffered >= self.flush_jets:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        jets = Jets.concatenate(self.buffer)
        self.buffer, self.buffered = [], 0
        # Uncompressed bytes bound what a basket can add, so a part never passes the limit.
        per_jet = max(1.0, _raw_bytes(jets) / max(1, len(jets)))
        start = 0
        while start < len(jets) or self.parts[-1].tree is None:
            part = self.parts[-1]
            room = self.max_bytes - _CLOSE_RESERVE - part.size()
            take = min(len(jets) - start, int(room // per_jet))
            if take <= 0 and part.entries:
                self._open_part()
                continue
            # A fresh part takes at least one jet (or creates the empty tree) whatever the limit.
            take = max(take, min(1, len(jets) - start))
            self._extend(part, jets[start:start + take])
            start += take

    def _extend(self, part: _Part, jets: Jets) -> None:
        import awkward as ak

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
        try:
            if part.tree is None:
                types = {k: (v.type if isinstance(v, ak.Array) else v.dtype)
                         for k, v in data.items()}
                part.tree = part.file.mktree(self.tree_name, types,
                                             counter_name=lambda _: "npart")
            part.tree.extend(data)
        except OSError as err:
            raise write_failed(part.final, err) from None
        part.entries += len(jets)

    def close(self) -> None:
        super().close()
        for path in self._stale:
            discard(path)

    def _finish(self) -> None:
        if self.parts[-1].tree is None and not self.buffer:
            self.buffer.append(Jets(np.zeros((0, self.n_particles, 3)),
                                    np.zeros((0, self.n_particles), bool), np.zeros((0, 4)),
                                    np.zeros(0, np.int32)))
        self._flush()
        names = [p.final.name for p in self.parts]
        self._stale = _stale_parts(self.path, names) if self.overwrite else []
        try:
            for k, part in enumerate(self.parts):
                # The padded width is not in the tree (jagged branches): record it, or jets
                # that all fall short of it would read back narrower.
                record = {"n_particles": self.n_particles, **self.provenance}
                if len(self.parts) > 1:
                    record["rollover"] = {"part": k, "files": names,
                                          "entries": [p.entries for p in self.parts]}
                part.file[METADATA_KEY] = dumps(record)
                part.file.close()
        except OSError as err:
            raise write_failed(self.path, err) from None
        # The base commits the parts last to first: whoever opens out.root sees the old
        # set or the whole new one.

    def _close_quietly(self) -> None:
        for part in self.parts:
            # Already failing (a full disk fails the close too); the temp file goes anyway.
            with contextlib.suppress(Exception):
                part.file.close()


def _human(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:.3g} GB" if n_bytes >= 1e8 else f"{n_bytes / 1e3:.0f} kB"


def _raw_bytes(jets: Jets) -> float:
    """Uncompressed size: 3 float32 per particle, the fixed jet columns and the extras, plus
    a 4-byte entry offset per jagged branch."""
    per_jet = 4 + 5 * 4 + 3 * 4 + sum(v.dtype.itemsize for v in jets.extra.values())
    return float(jets.mask.sum()) * 12 + len(jets) * per_jet


def _stale_parts(path: Path, keep: list[str]) -> list[Path]:
    """Rollover parts an overwritten set had beyond the new one's (they would mislead)."""
    if not path.exists():
        return []
    try:
        old = read_provenance_root(path).get("rollover") or {}
    except JetgenError:
        return []
    ours = {part_path(path, k).name for k in range(1, len(old.get("files", [])))}
    return [path.with_name(name) for name in old.get("files", [])
            if name in ours and name not in keep]


def _open(path: Path):
    import uproot

    if not path.exists():
        raise FileMissingError(f"{path}: no such file", path=path)
    if path.is_dir():
        raise JetgenFileError(f"{path}: is a directory, expected a ROOT file", path=path,
                              errno=errno.EISDIR)
    try:
        return uproot.open(path)
    except PermissionError as err:
        raise JetgenFileError(f"{path}: permission denied", path=path,
                              errno=err.errno) from None
    except Exception as err:  # uproot raises many types for non-ROOT or cut files
        raise JetgenFileError(f"{path}: not a readable ROOT file ({err.__class__.__name__})",
                              path=path) from None


#: Classes uproot reads as a TTree (TNtuple and TNtupleD are TTrees too).
TTREE_CLASSES = ("TTree", "TNtuple", "TNtupleD")


def ttree_names(file) -> list[str]:
    """Names (with any directory, without cycle) of the TTrees in an open file."""
    names: list[str] = []
    for key, classname in file.classnames().items():
        name = key.rsplit(";", 1)[0]
        if classname in TTREE_CLASSES and name not in names:
            names.append(name)
    return names


def _tree(file, path: Path, tree: str | None):
    """The TTree ``tree``, or the file's only TTree when ``tree`` is None."""
    return file[_resolve(file, path, tree)]


def _resolve(file, path: Path, tree: str | None) -> str:
    names = ttree_names(file)
    if tree is None:
        if len(names) == 1:
            return names[0]
        if names:
            raise JetgenError(f"{path} has {len(names)} TTrees ({', '.join(names)}); pick "
                              "one with --tree")
        held = ", ".join(f"{k.rsplit(';', 1)[0]} ({c})" for k, c in file.classnames().items())
        raise JetgenFileError(f"{path}: holds no TTree (it holds: {held or 'nothing'})",
                              path=path)
    if tree not in names:
        raise KeyInFileError(tree, path=path, keys=names, what="TTree")
    return tree


def tree_name(path, tree: str | None = None) -> str:
    """The TTree a read of ``path`` uses: ``tree`` if the file has it, else its only one."""
    path = Path(path)
    with _open(path) as f:
        return _resolve(f, path, tree)


def list_ttrees(path) -> list[str]:
    path = Path(path)
    with _open(path) as f:
        return ttree_names(f)

def read_provenance_root(path) -> dict:
    path = Path(path)
    with _open(path) as f:
        keys = [k.split(";")[0] for k in f]
        if METADATA_KEY not in keys:
            return {}
        try:
            return json.loads(str(f[METADATA_KEY]))
        except Exception as err:  # a cut file can fail inside uproot's object reader
            raise JetgenFileError(f"{path}: truncated or corrupted ROOT file (metadata "
                                  f"unreadable: {err.__class__.__name__})", path=path) from None


def part_files(path) -> list[Path]:
    """All files of the set ``path`` heads (just ``[path]`` for a file that did not roll
    over, or for a later part read on its own)."""
    path = Path(path)
    roll = read_provenance_root(path).get("rollover")
    if not roll or roll.get("part") != 0:
        return [path]
    files = [path.with_name(name) for name in roll["files"]]
    for part in files[1:]:
        if not part.exists():
            raise FileMissingError(f"{path}: first file of a rolled-over set of {len(files)}, "
                                   f"but {part.name} is missing", path=part)
    return files


def count_root(path, tree: str | None = None) -> int:
    files = part_files(path)
    # Resolved once on the first file: every part of a set holds the same tree.
    tree = tree_name(files[0], tree)
    total = 0
    for part in files:
        with _open(part) as f:
            total += int(_tree(f, part, tree).num_entries)
    return total


def read_root(path, start: int = 0, stop: int | None = None, tree: str | None = None,
              n_particles: int | None = None) -> Jets:
    """Jets from a jetgen-style TTree (npart + part_* + jet_* branches); rows
    ``start:stop`` count across all files of a rolled-over set. ``tree``: the TTree's
    name, or None for the file's only TTree."""
    files = part_files(path)
    tree = tree_name(files[0], tree)
    if len(files) == 1:
        return _read_one(files[0], start, stop, tree, n_particles)
    total = count_root(path, tree)
    start, stop, _ = slice(start, stop).indices(total)
    pieces, offset = [], 0
    for part in files:
        with _open(part) as f:
            entries = int(_tree(f, part, tree).num_entries)
        lo, hi = max(start, offset), min(stop, offset + entries)
        if hi > lo:
            pieces.append(_read_one(part, lo - offset, hi - offset, tree, n_particles))
        offset += entries
    return Jets.concatenate(pieces or [_read_one(files[0], 0, 0, tree, n_particles)])


def _read_one(path: Path, start: int, stop: int | None, tree: str | None,
              n_particles: int | None) -> Jets:
    import awkward as ak

    with _open(path) as f:
        t = _tree(f, path, tree)
        names = list(t.keys())
        for needed in (*PART_BRANCHES, *JET_BRANCHES):
            if needed not in names:
                raise KeyInFileError(needed, path=path, keys=names,
                                     message=f"{path}: tree {tree!r} has no branch {needed!r}"
                                     f"{nearest(needed, names)}")
        extra_names = [n for n in names if n not in (*PART_BRANCHES, *JET_BRANCHES, "npart")]
        try:
            arrays = t.arrays([*PART_BRANCHES, *JET_BRANCHES, *extra_names], entry_start=start,
                              entry_stop=stop)
        except Exception as err:
            raise JetgenFileError(f"{path}: truncated or corrupted tree "
                                  f"({err.__class__.__name__})", path=path) from None
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



def read_root_conditions(path, tree: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Only the jet-level branches (JET_BRANCHES) of every file of a set."""
    files = part_files(path)
    name = tree_name(files[0], tree)
    types, kin = [], []
    for part in files:
        with _open(part) as f:
            t = f[name]
            have = list(t.keys())
            for needed in JET_BRANCHES:
                if needed not in have:
                    raise KeyInFileError(
                        needed, path=part, keys=have,
                        message=f"{part}: TTree {name!r} has no branch {needed!r}"
                        f"{nearest(needed, have)}; --conditions needs {', '.join(JET_BRANCHES)}")
            arrays = t.arrays(list(JET_BRANCHES), library="np")
        types.append(arrays["jet_type"].astype(np.int32))
        kin.append(np.stack([arrays[k].astype(np.float32) for k in JET_BRANCHES[:4]], 1))
    return np.concatenate(types), np.concatenate(kin)
