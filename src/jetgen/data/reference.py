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
from ..io import read_jets, read_provenance
from ..io.hdf5 import HDF5Writer
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
    with HDF5Writer(output, n_particles, provenance, overwrite=overwrite) as writer:
        writer.write(jets)
    return counts
