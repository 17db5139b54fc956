"""`jetgen merge`: join the shard files of one ``jetgen sample --shard i/N`` run.

The shards are checked first (same model file, seed, sampler, steps, classes, N, total,
precision and device kind; every
shard 0 … N-1 present once, ranges back to back), then copied in shard order a chunk at a
time (memory stays bounded) into one atomic output, which is then bit-identical to the
output of the same run without ``--shard``. Rolled-over ROOT shards (``s0.root``,
``s0_1.root`` …) count as one shard whichever of their files are named.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import JetgenError, UsageError
from ..io import count_jets, file_format, open_writer, read_jets, read_provenance
from ..io.atomic import check_output

#: Provenance fields on which all shards of one run agree: what picks the jets, and what
#: changes their bits (precision used, device kind, compute block, seed rule).
MUST_AGREE = ("model_sha256", "seed", "seed_rule", "sampler", "steps", "schedule",
              "n_particles", "jet_types", "n_per_class", "total_jets", "conditions",
              "precision", "device_kind", "compute_block", "backend")
#: Jet-particles read per chunk (~50 MB of arrays), whatever the size of a shard.
CHUNK_PARTICLES = 3_000_000


@dataclass
class _Piece:
    path: Path
    provenance: dict
    jets: int

    @property
    def shard(self) -> dict:
        return self.provenance["shard"]

    def label(self) -> str:
        return f"{self.shard['index']}/{self.shard['count']}"


def merge_shards(inputs: list[Path], output: Path, *, overwrite: bool = False,
                 tree: str | None = None, max_bytes: int | None = None,
                 on_progress: Callable[[int], None] | None = None) -> dict:
    """Check that ``inputs`` are all shards of one run and write them, in order, to
    ``output``. Returns {"jets", "shards", "output"}."""
    if not inputs:
        raise UsageError("no shard files given")
    output = check_output(output, overwrite)
    file_format(output)
    pieces = check_shards(inputs, tree)
    for piece in pieces:
        if piece.path.resolve() == output.resolve():
            raise UsageError(f"{output}: is one of the shards; write the merge elsewhere")
    first = pieces[0].provenance
    record = {k: v for k, v in first.items() if k not in ("shard", "rollover")}
    record["merged"] = {
        "shards": [{"file": p.path.name, "shard": p.label(), "jets": p.jets} for p in pieces],
        "command": " ".join(sys.argv),
        "utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    n_particles = int(first["n_particles"])
    out_tree = tree or _tree_of(pieces[0].path)
    chunk = max(1, CHUNK_PARTICLES // n_particles)
    with open_writer(output, n_particles, record, overwrite=overwrite, tree=out_tree,
                     max_bytes=max_bytes) as writer:
        for piece in pieces:
            for lo in range(0, piece.jets, chunk):
                jets = read_jets(piece.path, lo, min(piece.jets, lo + chunk), tree=tree)
                writer.write(jets)
                if on_progress is not None:
                    on_progress(len(jets))
    return {"jets": sum(p.jets for p in pieces), "shards": len(pieces), "output": str(output)}


def _tree_of(path: Path) -> str:
    """The merged file keeps the shards' TTree name (HDF5 shards: jetgen's "tree")."""
    from ..io import tree_name

    return tree_name(path) or "tree"


def check_shards(inputs: list[Path], tree: str | None = None) -> list[_Piece]:
    """The shards in order, or a one-line error saying why they do not make one run."""
    pieces: dict[Path, _Piece] = {}
    for path in map(Path, inputs):
        provenance = read_provenance(path, tree)
        roll = provenance.get("rollover")
        if roll and roll.get("part", 0) > 0:
            path = path.with_name(roll["files"][0])
            provenance = read_provenance(path, tree)
        if path.resolve() in pieces:
            continue
        if not isinstance(provenance.get("shard"), dict):
            raise JetgenError(f"{path}: not a shard of a `jetgen sample --shard i/N` run (its "
                              "provenance has no shard record)")
        piece = _Piece(path, provenance, count_jets(path, tree))
        expected = piece.shard["stop"] - piece.shard["start"]
        if piece.jets != expected:
            raise JetgenError(f"{path}: holds {piece.jets} jets, shard {piece.label()} should "
                              f"hold {expected} (truncated or altered)")
        pieces[path.resolve()] = piece
    ordered = sorted(pieces.values(), key=lambda p: p.shard["index"])
    head = ordered[0]
    for piece in ordered[1:]:
        sizes = head.provenance.get("n_particles"), piece.provenance.get("n_particles")
        if sizes[0] != sizes[1]:
            # Said first and plainly: jets of different lengths cannot share one file, and
            # "differ in model_sha256" would hide the reason.
            raise JetgenError(f"{head.path.name} holds {sizes[0]}-particle jets, "
                              f"{piece.path.name} {sizes[1]}-particle jets: shards of one run "
                              "have one particle count")
        for key in (*MUST_AGREE, "count"):
            mine = piece.shard.get(key) if key == "count" else piece.provenance.get(key)
            theirs = head.shard.get(key) if key == "count" else head.provenance.get(key)
            if mine != theirs:
                name = "N" if key == "count" else key
                raise JetgenError(f"{head.path.name} and {piece.path.name} differ in {name} "
                                  f"({theirs!r} vs {mine!r}): not shards of one run")
    count = head.shard["count"]
    seen: dict[int, _Piece] = {}
    for piece in ordered:
        index = piece.shard["index"]
        if index in seen:
            raise JetgenError(f"shard {piece.label()} given twice ({seen[index].path.name} and "
                              f"{piece.path.name})")
        seen[index] = piece
    missing = [f"{i}/{count}" for i in range(count) if i not in seen]
    if missing:
        raise JetgenError(f"missing shard(s) {', '.join(missing)} of the {count}; have "
                          f"{', '.join(p.label() for p in ordered)}")
    position = 0
    for piece in ordered:
        if piece.shard["start"] != position:
            raise JetgenError(f"{piece.path.name}: shard {piece.label()} starts at jet "
                              f"{piece.shard['start']}, expected {position} (gap or overlap)")
        position = piece.shard["stop"]
    if position != head.shard["total_jets"]:
        raise JetgenError(f"shards end at jet {position} of {head.shard['total_jets']}")
    return ordered
