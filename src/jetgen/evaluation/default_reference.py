"""The reference `jetgen eval` uses when the user names none and the jets' provenance names
the small reference shipped with jetgen: big enough for the evaluation's n, built once.

The shipped file holds 4,000 jets per class (at most 2,000 vs 2,000, with the truth floor
from two disjoint halves). A comparison at n jets needs 2n reference jets of the class, so
when the shipped file is short and no built reference in the cache covers the class,
the class's part of the built reference (Pythia, `REFERENCE_SEED`, `REFERENCE_N` jets:
a floor at 10,000 vs 10,000) is generated into the cache, once, with a time estimate up
front. The same jets as `jetgen data reference` makes (blocks are seeded per class), so
everyone's eval agrees whichever way the reference was built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..jets import CLASSES, Jets
from .inputs import BUILT_NOTE, Side

Notice = Callable[[str], None]
ProgressFn = Callable[[str, int, int], None]

SHIPPED_NOTE = ("the small reference shipped with jetgen ({n:,} jets per class: at most "
                "{half:,} vs {half:,}); `jetgen data reference` builds {big:,} per class")
BUILT_NOW_NOTE = "built now into the cache (once; later evaluations reuse it)"


def needed_per_class(generated: Side, n_jets: int, cap: int) -> dict[str, int]:
    """Reference jets each generated class needs: 2 × its n (two disjoint halves), ≤ cap."""
    counts = dict(generated.available) or _class_counts(generated.jets.jet_type)
    return {CLASSES[int(c)]: min(2 * min(n_jets, int(k)), cap) for c, k in counts.items()}


def _class_counts(jet_type: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(jet_type, return_counts=True)
    return {int(c): int(k) for c, k in zip(values, counts, strict=True)}


def plan_default_reference(need: dict[str, int], shipped: dict[str, int],
                           built: dict[str, int]) -> tuple[str, list[str]]:
    """("built" | "shipped" | "build", classes to build) from jets per class on each side.

    Built files win where they cover every class (their seed is no model's training
    seed); the shipped file where it covers every class; else the short classes are built.
    """
    if all(built.get(c, 0) >= k for c, k in need.items()):
        return "built", []
    if all(shipped.get(c, 0) >= k for c, k in need.items()):
        return "shipped", []
    return "build", sorted(c for c, k in need.items() if built.get(c, 0) < k)


def default_reference(generated: Side, shipped: Path, *, n_jets: int, build: bool = True,
                      workers: int = 1, cache_dir: Path | None = None,
                      on_notice: Notice | None = None,
                      on_progress: ProgressFn | None = None) -> Side:
    """The reference side for ``generated`` (see the module docstring); ``build=False``
    falls back to the shipped file with a note saying how to get a larger one."""
    from ..data.reference import (
        REFERENCE_N,
        REFERENCE_SEED,
        build_class_reference,
        build_seconds,
        built_per_class,
    )
    from ..io import read_conditions

    n_particles = int(generated.provenance.get("n_particles") or generated.jets.n_particles)
    need = needed_per_class(generated, n_jets, REFERENCE_N)
    shipped_types = read_conditions(str(shipped))[0]
    shipped_counts = {CLASSES[c]: k for c, k in _class_counts(shipped_types).items()}
    files = built_per_class(n_particles, cache_dir)
    choice, missing = plan_default_reference(need, shipped_counts,
                                             {c: n for c, (_, n) in files.items()})
    small = SHIPPED_NOTE.format(n=min(shipped_counts.values(), default=0),
                                half=min(shipped_counts.values(), default=0) // 2,
                                big=REFERENCE_N)
    if choice == "shipped" or (choice == "build" and not build):
        side = _read_side([(shipped, None)])
        side.note = small
        return side
    notes = [BUILT_NOTE]
    if missing:
        total = REFERENCE_N * len(missing)
        if on_notice is not None:
            minutes = build_seconds(total, workers) / 60
            on_notice(f"building the evaluation reference once: {total:,} Pythia jets "
                      f"({', '.join(missing)}; seed {REFERENCE_SEED}) into the cache, about "
                      f"{minutes:.0f} min on {workers} core{'s' * (workers > 1)}; later "
                      "evaluations reuse it (--reference FILE uses your own)")
        done = 0
        for c in missing:
            def tick(k: int, _c: str = c) -> None:
                nonlocal done
                done += k
                if on_progress is not None:
                    on_progress(f"building the {_c} reference (once)", done, total)

            path = build_class_reference(c, n_particles, REFERENCE_N, workers=workers,
                                         cache_dir=cache_dir, on_progress=tick)
            files[c] = (path, REFERENCE_N)
        notes.append(BUILT_NOW_NOTE)
    side = _read_side([(files[c][0], c) for c in sorted(need)])
    side.note = "; ".join(notes)
    return side


def _read_side(parts: list[tuple[Path, str | None]]) -> Side:
    """One side from (file, class or None for all) pairs; a file named for several
    classes is read once."""
    from ..io import read_jets, read_provenance

    by_file: dict[Path, list[str | None]] = {}
    for path, c in parts:
        by_file.setdefault(Path(path), []).append(c)
    jets, provs = [], []
    for path, classes in by_file.items():
        j = read_jets(path)
        if None not in classes:
            j = j[np.isin(j.jet_type, [CLASSES.index(c) for c in classes if c])]
        jets.append(j)
        provs.append(read_provenance(path))
    paths = [str(p) for p in by_file]
    return Side(jets[0] if len(jets) == 1 else Jets.concatenate(jets), ", ".join(paths), paths,
                provs[0] if len(provs) == 1 else {"files": provs}, "all")
