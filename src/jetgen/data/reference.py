"""The reference sample shipped beside the models: held-out test jets of the training data.

`jetgen eval jets.root` on a freshly installed machine has no training data to compare
with; the models record ``jetgen:<file>`` as their reference, and this module writes that
file from the test split of the data the models were trained on. No shipped model has
seen these jets (tuning used the validation split).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import JetgenError
from ..io import open_writer, read_jets, read_provenance
from ..io.provenance import base_provenance
from ..jets import CLASSES, Jets
from .splits import split_mask


def write_reference(data: list[Path], output: Path, n_per_class: int,
                    overwrite: bool = False) -> dict[str, int]:
    """The first ``n_per_class`` test-split jets of each class in ``data`` → ``output``.

    Returns the number of jets written per class (fewer where the test split is smaller).
    """
    if n_per_class <= 0:
        raise JetgenError(f"n_per_class must be positive, got {n_per_class}")
    parts, sources, counts = [], [], {}
    for path in data:
        jets = read_jets(path)
        test = jets[split_mask(jets.jet_type, "test")]
        for c in np.unique(test.jet_type):
            chosen = test.of_class(int(c))[:n_per_class]
            parts.append(chosen)
            counts[CLASSES[int(c)]] = counts.get(CLASSES[int(c)], 0) + len(chosen)
        sources.append({"path": str(path), "provenance": read_provenance(path)})
    if not parts:
        raise JetgenError("no jets in the given data files")
    jets = Jets.concatenate(parts)
    n_particles = jets.n_particles
    provenance = base_provenance(
        kind="reference sample",
        split_rule="test split (last 15 % of each class, file order) of the sources",
        jets_per_class=counts, sources=sources)
    with open_writer(output, n_particles, provenance, overwrite=overwrite) as writer:
        writer.write(jets)
    return counts


#: Pythia seed of the built reference: not the training data's seed (1), so no shipped
#: model has seen these jets, and the same on every machine, so everyone's eval agrees.
REFERENCE_SEED = 1000
#: Jets per class of the built reference: enough that the truth floor at 10,000 jets (two
#: disjoint halves) is available for every class.
REFERENCE_N = 20_000


def reference_dir(cache_dir: Path | None = None) -> Path:
    from ..download import default_cache_dir

    return Path(cache_dir or default_cache_dir()) / "reference"


def reference_path(n_particles: int = 30, n_per_class: int = REFERENCE_N,
                   seed: int = REFERENCE_SEED, cache_dir: Path | None = None) -> Path:
    return reference_dir(cache_dir) / f"pythia{n_particles}-seed{seed}-n{n_per_class}.h5"


def build_reference(n_per_class: int = REFERENCE_N, n_particles: int = 30,
                    seed: int = REFERENCE_SEED, workers: int = 1,
                    cache_dir: Path | None = None, overwrite: bool = False,
                    on_progress=None) -> tuple[Path, dict]:
    """Generate the large evaluation reference with Pythia (all five classes) into the
    cache, where `jetgen eval` picks it up; (path, generation summary).

    Deterministic by ``seed``: the same file on any machine and for any ``workers``.
    """
    from .generate import generate

    if n_per_class < 2:
        raise JetgenError(f"--n must be at least 2 jets per class, got {n_per_class}")
    path = reference_path(n_particles, n_per_class, seed, cache_dir)
    if path.exists() and not overwrite:
        raise JetgenError(f"{path} already exists (jetgen eval uses it); pass --overwrite "
                          "to build it again")
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = generate(path, list(range(len(CLASSES))), n_per_class, n_particles=n_particles,
                       seed=seed, workers=workers, overwrite=overwrite,
                       on_progress=on_progress)
    return path, summary


#: Pythia + FastJet jets per second and core (JetNet recipe, measured at 40-60 on 2-core
#: AMD EPYC and Intel Xeon machines): the first-use estimate, on the slow side.
JETS_PER_SECOND_PER_CORE = 40.0


def class_reference_path(jet_class: str, n_particles: int = 30, n_per_class: int = REFERENCE_N,
                         seed: int = REFERENCE_SEED, cache_dir: Path | None = None) -> Path:
    """One class of the built reference. Generation blocks are seeded by (seed, class,
    block), so it holds exactly the jets of that class in the all-class file."""
    name = f"pythia{n_particles}-seed{seed}-{jet_class}-n{n_per_class}.h5"
    return reference_dir(cache_dir) / name


def build_seconds(n_jets: int, workers: int) -> float:
    """A first-use estimate of the build time (printed before it starts)."""
    return n_jets / (JETS_PER_SECOND_PER_CORE * max(1, workers))


def build_class_reference(jet_class: str, n_particles: int = 30, n_per_class: int = REFERENCE_N,
                          seed: int = REFERENCE_SEED, workers: int = 1,
                          cache_dir: Path | None = None, on_progress=None) -> Path:
    """Generate one class of the evaluation reference into the cache (once: `jetgen eval`
    does this on first use when the shipped reference is too small for its n)."""
    from .generate import generate

    if jet_class not in CLASSES:
        raise JetgenError(f"unknown jet class {jet_class!r}")
    path = class_reference_path(jet_class, n_particles, n_per_class, seed, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate(path, [CLASSES.index(jet_class)], n_per_class, n_particles=n_particles,
             seed=seed, workers=workers, overwrite=True, on_progress=on_progress)
    return path


def built_per_class(n_particles: int, cache_dir: Path | None = None) -> dict[str, tuple[Path, int]]:
    """Per class, the largest built reference holding it: (file, jets of that class).
    All-class files (`jetgen data reference`) and one-class files (built by `jetgen eval`)
    count alike; only the reference seed's files are used, so everyone's eval agrees."""
    best: dict[str, tuple[Path, int]] = {}
    folder = reference_dir(cache_dir)
    for path in folder.glob(f"pythia{n_particles}-seed{REFERENCE_SEED}-*n*.h5"):
        stem = path.stem[len(f"pythia{n_particles}-seed{REFERENCE_SEED}-"):]
        parts = stem.split("-")
        try:
            n = int(parts[-1][1:])
        except ValueError:
            continue
        if not parts[-1].startswith("n"):
            continue
        held = [parts[0]] if len(parts) == 2 and parts[0] in CLASSES else (
            list(CLASSES) if len(parts) == 1 else [])
        for c in held:
            if n > best.get(c, (path, 0))[1]:
                best[c] = (path, n)
    return best


def cached_reference(n_particles: int, cache_dir: Path | None = None) -> Path | None:
    """The largest built reference for ``n_particles`` in the cache, if any."""
    folder = reference_dir(cache_dir)
    best, best_n = None, 0
    for path in folder.glob(f"pythia{n_particles}-seed*-n*.h5"):
        try:
            n = int(path.stem.rsplit("-n", 1)[1])
        except (IndexError, ValueError):
            continue
        if n > best_n:
            best, best_n = path, n
    return best
