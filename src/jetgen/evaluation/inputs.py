"""Loading and checking the two sides of an evaluation: which reference, which split,
and the bad-input rules (particle counts, missing classes, non-finite values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import JetgenError, UsageError
from ..jets import CLASS_LONG, CLASSES, Jets

#: Provenance paths with this prefix name a file in jetgen's shipped weights folder.
SHIPPED_PREFIX = "jetgen:"
#: Shipped reference files under their former names, as older files' provenance records them.
RENAMED_REFERENCES = {"jetnet30-reference.h5": "pythia30-reference.h5"}
BUILT_NOTE = ("the built evaluation reference (Pythia, its own seed: no shipped model has "
              "seen these jets; made by `jetgen data reference` or by `jetgen eval` on "
              "first use), used in place of the small shipped one")
SPLIT_NOTE = "the reference is jetgen training data: its held-out test split is used"


@dataclass
class Side:
    """One side of the comparison: jets plus where they came from."""

    jets: Jets
    label: str
    paths: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    split: str = "all"
    note: str = ""
    content_hash: str = ""
    #: Jets per class in the whole file, where only some were read (load_generated).
    available: dict = field(default_factory=dict)


#: Jet-particles read per block when a generated file is streamed (~40 MB of arrays).
BLOCK_PARTICLES = 3_000_000


def load_generated(generated: Jets | str | Path, tree: str | None = None,
                   n_jets: int | None = None, seed: int = 0) -> Side:
    """The generated side. With ``n_jets``, a file is streamed in blocks and only the jets
    the evaluation can use are kept: per class all of them, or (more than ``n_jets``) the
    subsample the pipeline would draw, so memory stays flat in the file's size (1,000,000
    jets at 150 particles are 2.4 GB of arrays) and the numbers are the same. Every block
    is checked for NaN and inf, kept or not."""
    if isinstance(generated, Jets):
        return Side(generated, "generated jets")
    from ..io import read_jets, read_provenance

    path = str(generated)
    if n_jets is None or not _knows_particles(path, tree):
        jets = read_jets(path, tree=tree)
        return Side(jets, path, [path], read_provenance(path))
    from ..io import read_conditions

    jet_type = read_conditions(path, tree)[0]
    keep = np.zeros(len(jet_type), bool)
    available = {}
    for c in np.unique(jet_type).tolist():
        rows = np.flatnonzero(jet_type == c)
        available[c] = len(rows)
        keep[subsample(rows, n_jets, seed, c)] = True
    side = Side(Jets.concatenate(list(_kept_blocks(path, tree, keep))), path, [path],
                read_provenance(path))
    side.available = available
    return side


def _knows_particles(path: str, tree: str | None) -> bool:
    """Blocks of a file agree on the particle count: HDF5's is its shape, a ROOT file's its
    jetgen record (another ROOT file's is its longest jet, known only once all are read)."""
    from ..io import file_format, read_provenance

    return file_format(path) != "root" or bool(read_provenance(path, tree).get("n_particles"))


def subsample(rows: np.ndarray, n: int, seed: int, c: int) -> np.ndarray:
    """``n`` of ``rows`` (all if fewer), sorted: the pipeline's draw for class ``c``."""
    from .metrics import metric_seed

    if len(rows) <= n:
        return rows
    rng = np.random.default_rng(metric_seed(seed, "subsample", c))
    return rows[np.sort(rng.choice(len(rows), n, replace=False))]


def _kept_blocks(path: str, tree: str | None, keep: np.ndarray):
    from ..io import particles_in, read_jets

    block = max(1, BLOCK_PARTICLES // particles_in(path, tree))
    bad, first = 0, None
    for lo in range(0, max(len(keep), 1), block):
        jets = read_jets(path, lo, min(len(keep), lo + block), tree=tree)
        rows = bad_rows(jets)
        if rows.any():
            bad += int(rows.sum())
            first = lo + int(np.flatnonzero(rows)[0]) if first is None else first
        yield jets[keep[lo:lo + len(jets)]]
    if bad:
        raise JetgenError(f"{path}: {bad} jet(s) have NaN or infinite features (first: jet "
                          f"{first})")


def _reference_dir() -> Path:
    from ..data.reference import reference_dir

    return reference_dir()


def shipped_reference(generated: Side) -> Path | None:
    """The shipped reference file when that is what the generated file's provenance names
    (then `default_reference` picks a large enough one); else None."""
    entry = generated.provenance.get("reference")
    paths = entry.get("path") if isinstance(entry, dict) else entry
    if isinstance(paths, list) and len(paths) == 1:
        paths = paths[0]
    if not isinstance(paths, str) or not paths.startswith(SHIPPED_PREFIX):
        return None
    from ..registry import weights_dir

    shipped = paths[len(SHIPPED_PREFIX):]
    return weights_dir() / RENAMED_REFERENCES.get(shipped, shipped)


def resolve_reference(reference, generated: Side) -> tuple[list[str] | Jets, str | None]:
    """``reference`` argument, else the generated file's provenance; (paths or jets, split)."""
    if isinstance(reference, Jets):
        return reference, None
    if isinstance(reference, (list, tuple)):
        return [str(p) for p in reference], None
    if reference is not None:
        return [str(reference)], None
    entry = generated.provenance.get("reference")
    if not entry:
        where = (f"{generated.label} records no reference sample" if generated.paths
                 else "no reference given for the generated jets")
        raise UsageError(f"{where}; pass one with --reference REF.h5 (e.g. the training "
                         "data's file: its test split is used)")
    if isinstance(entry, (str, list)):
        entry = {"path": entry}
    paths = entry.get("path")
    paths = [paths] if isinstance(paths, str) else list(paths or [])
    base = Path(generated.paths[0]).parent if generated.paths else Path.cwd()
    found = []
    for p in paths:
        # Provenance paths are as typed at training time: relative to that working
        # directory, which is often also where the generated file sits.
        candidates = [Path(p), base / p]
        if str(p).startswith(SHIPPED_PREFIX):
            # A reference sample shipped beside the models: found wherever jetgen is
            # installed, so files sampled on one machine evaluate on another.
            from ..registry import weights_dir

            shipped = str(p)[len(SHIPPED_PREFIX):]
            candidates = [weights_dir() / RENAMED_REFERENCES.get(shipped, shipped)]

        hit = next((c for c in candidates if c.exists()), None)
        if hit is None:
            raise JetgenError(
                f"reference {p} (recorded in {generated.label}'s provenance) not found; "
                "pass it with --reference")
        found.append(str(hit))
    if not found:
        raise UsageError(f"{generated.label}: provenance reference has no path; pass "
                         "--reference")
    return found, entry.get("split")


def load_reference(reference, generated: Side, split: str | None, *,
                   n_jets: int | None = None, build: bool = False, workers: int = 1,
                   on_notice=None, on_progress=None) -> Side:
    """Read the reference (one or several files) and apply the split rule. Where the
    generated file's provenance names the small shipped reference and ``n_jets`` is
    given, `default_reference` chooses (``build``: generate a larger one on first use)."""
    from ..data.splits import split_mask

    shipped = shipped_reference(generated) if reference is None and not split else None
    if shipped is not None and n_jets is not None and shipped.exists():
        from .default_reference import default_reference

        return default_reference(generated, shipped, n_jets=n_jets, build=build,
                                 workers=workers, on_notice=on_notice,
                                 on_progress=on_progress)
    target, recorded_split = resolve_reference(reference, generated)
    if isinstance(target, Jets):
        side = Side(target, "reference jets", split=split or "all")
        if side.split != "all":
            side.jets = side.jets[split_mask(side.jets.jet_type, side.split)]
        return side
    from ..io import read_jets, read_provenance

    parts, provs, notes = [], [], set()
    chosen = split
    for path in target:
        prov = read_provenance(path)
        jets = read_jets(path)
        use = split or recorded_split
        if Path(path).parent == _reference_dir():
            notes.add(BUILT_NOTE)
        if use is None and prov.get("kind") == "training data":
            use = "test"
            notes.add(SPLIT_NOTE)
        use = use or "all"
        if use != "all":
            jets = jets[split_mask(jets.jet_type, use)]
        parts.append(jets)
        provs.append(prov)
        chosen = use
    jets = parts[0] if len(parts) == 1 else _concatenate(parts, target)
    return Side(jets, ", ".join(target), list(target), provs[0] if len(provs) == 1 else
                {"files": provs}, chosen or "all", "; ".join(sorted(notes)))


def _concatenate(parts: list[Jets], paths: list[str]) -> Jets:
    sizes = {p.n_particles for p in parts}
    if len(sizes) > 1:
        raise JetgenError(f"reference files {', '.join(paths)} hold jets with different "
                          f"particle counts ({', '.join(map(str, sorted(sizes)))})")
    return Jets.concatenate(parts)


def check_particles(gen: Side, ref: Side, n_particles: int | None) -> int:
    """Both sides must have the same particle count (and equal ``--particles`` if given)."""
    pg, pr = gen.jets.n_particles, ref.jets.n_particles
    if n_particles is not None:
        for side, p in ((gen, pg), (ref, pr)):
            if p != n_particles:
                raise JetgenError(f"{side.label} holds {p}-particle jets, not --particles "
                                  f"{n_particles}")
    if pg != pr:
        raise JetgenError(
            f"mismatched particle counts: {gen.label} has {pg}-particle jets, reference "
            f"{ref.label} {pr}-particle jets; compare files made with the same --particles")
    return pg


def bad_rows(j: Jets) -> np.ndarray:
    """Jets with NaN or inf anywhere a metric reads."""
    bad_p = ~np.isfinite(j.particles).all(-1) & j.mask
    bad = bad_p.any(1) | ~np.isfinite(j.jet[:, :3]).all(1)
    for key in ("cond_pt", "cond_mass"):
        if key in j.extra:
            bad |= ~np.isfinite(np.asarray(j.extra[key], float))
    return bad


def check_finite(side: Side) -> None:
    """NaN or inf anywhere a metric reads → one line naming the first bad jet."""
    bad = bad_rows(side.jets)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise JetgenError(f"{side.label}: {int(bad.sum())} jet(s) have NaN or infinite "
                          f"features (first: jet {first})")


def select_classes(gen: Side, ref: Side, classes: list[int] | None) -> list[int]:
    """Classes to evaluate: the requested ones (or all present in the generated jets)."""
    present = sorted(set(np.unique(gen.jets.jet_type).tolist()))
    if classes is None:
        if not present:
            raise JetgenError(f"{gen.label} holds no jets")
        classes = present
    for c in classes:
        if c not in present:
            raise JetgenError(f"{gen.label} has no {CLASS_LONG[CLASSES[c]]} ({CLASSES[c]}) "
                              f"jets; it holds: {_names(present) or 'none'}")
        n_ref = int((ref.jets.jet_type == c).sum())
        if n_ref < 4:
            held = sorted(set(np.unique(ref.jets.jet_type).tolist()))
            raise JetgenError(
                f"reference {ref.label} ({ref.split} split) has {n_ref} "
                f"{CLASS_LONG[CLASSES[c]]} ({CLASSES[c]}) jets, too few for a comparison and "
                f"its two-halves truth floor; it holds: {_names(held) or 'none'}")
    return list(classes)


def _names(indices) -> str:
    return ", ".join(CLASSES[i] for i in indices)
