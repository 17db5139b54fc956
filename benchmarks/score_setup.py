"""What the score benchmarks share: the model and the jets they run on.

Imported by the benchmark scripts beside it (run as ``python benchmarks/NAME.py``, which
puts this folder on the import path).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from jetgen.device import resolve_device
from jetgen.errors import JetgenError
from jetgen.io import read_jets
from jetgen.jets import CLASSES, Jets
from jetgen.models.checkpoint import read_model
from jetgen.models.jetmodel import JetModel
from jetgen.registry import resolve_model


def benchmark_jets(model: JetModel, data: str | None, n: int, device) -> Jets:
    """The first ``n`` jets of ``data`` the model knows the class of, else ``n`` of its own."""
    if data is not None:
        jets = read_jets(data)
        known = np.isin(jets.jet_type, [CLASSES.index(c) for c in model.config.classes])
        return jets[known][:n]
    from jetgen.sampling.batch import generate_batch

    jet_type = np.array([CLASSES.index(model.config.classes[i % len(model.config.classes)])
                         for i in range(n)])
    return generate_batch(model, jet_type, np.arange(n, dtype=np.uint64),
                          sampler=model.config.sampler, steps=model.config.steps,
                          device=device)


def load_setup(script: str, model_arg: str | None, device_arg: str, data: str | None,
               n_jets: int) -> tuple[JetModel, Path, torch.device, Jets]:
    """(model, its file, device, jets); a bad argument exits with one line."""
    try:
        device = resolve_device(device_arg)
        path, _ = resolve_model(model_arg)
        model, _ = read_model(path, device)
        jets = benchmark_jets(model, data, n_jets, device)
    except JetgenError as err:
        sys.exit(f"{script}: {err}")
    return model, path, device, jets
