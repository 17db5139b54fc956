"""`jetgen sample` as a library function: stream batches of generated jets to a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from .errors import JetgenError, UsageError
from .generate_jets import generate_batch
from .io import open_writer, read_jets
from .io.atomic import check_output
from .io.provenance import base_provenance
from .jets import CLASSES, Jets
from .models.checkpoint import load_model
from .registry import resolve_model, sha256_file

SEED_RULE = ("jet i of the run (counting across classes in g,q,t,w,z order) uses seed + i; "
             "the network runs on fixed blocks of 256 consecutive jets")
#: Jets per network call, fixed and aligned to the jet index: BLAS kernels round
#: differently for different batch shapes, so a jet must always share its call with the
#: same neighbours to come out bit-identical whatever --batch-size is.
COMPUTE_BLOCK = 256
#: Rough bytes per jet on disk, to refuse absurd --n before spending hours.
BYTES_PER_JET_PARTICLE = 14


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda requested but no CUDA device is available")
    return torch.device(device)


def plan_jobs(classes: list[int] | None, n: int | None, conditions: Path | None):
    """(jet_type [N], conditions [N, 4] or None) for the whole run."""
    if conditions is not None:
        given = read_jets(conditions)
        if not len(given):
            raise JetgenError(f"{conditions}: holds no jets")
        if not np.isfinite(given.jet).all():
            bad = int((~np.isfinite(given.jet)).any(1).sum())
            raise JetgenError(f"{conditions}: {bad} jets have NaN/inf kinematics")
        jet_type, kin = given.jet_type, given.jet
        if classes is not None:
            keep = np.isin(jet_type, classes)
            jet_type, kin = jet_type[keep], kin[keep]
        if n is not None:
            jet_type, kin = jet_type[:n], kin[:n]
        return jet_type.astype(np.int32), kin.astype(np.float32)
    if classes is None:
        raise UsageError("pass --jet (g, q, t, w, z, names or all) or --conditions FILE")
    if n is None or n <= 0:
        raise UsageError(f"--n must be a positive number of jets per class, got {n}")
    return np.repeat(np.asarray(classes, np.int32), n), None


def sample_to_file(output, *, model: str | None = None, classes: list[int] | None = None,
                   n: int | None = None, conditions: Path | None = None, seed: int = 0,
                   sampler: str | None = None, steps: int | None = None,
                   schedule: str | None = None, batch_size: int = 1000, device: str = "cpu",
                   overwrite: bool = False, tree: str = "tree",
                   on_progress: Callable[[int], None] | None = None) -> dict:
    if batch_size <= 0:
        raise UsageError(f"--batch-size must be positive, got {batch_size}")
    output = check_output(output, overwrite)
    dev = resolve_device(device)
    path, entry = resolve_model(model)
    net, meta = load_model(path, dev)
    cfg = net.config
    sampler = sampler or cfg.sampler
    steps = steps or cfg.steps
    schedule = schedule or cfg.schedule
    jet_type, kin = plan_jobs(classes, n, conditions)
    unknown = sorted({CLASSES[c] for c in jet_type} - set(cfg.classes))
    if unknown:
        raise JetgenError(f"model {path.name} was not trained on class(es) {', '.join(unknown)}")
    total = len(jet_type)
    _check_disk(output, total, cfg.n_particles)
    provenance = base_provenance(
        kind="generated",
        model=entry.get("name", str(path)),
        model_sha256=sha256_file(path),
        teacher=meta.get("teacher"),
        distillation=meta.get("distillation"),
        sampler=sampler, steps=steps, schedule=schedule,
        seed=seed, seed_rule=SEED_RULE,
        jet_types=sorted({CLASSES[c] for c in jet_type}),
        n_particles=cfg.n_particles,
        conditions=str(conditions) if conditions else None,
        training_data=meta.get("training_data"),
        reference=meta.get("reference"),
        device=str(dev),
    )
    block = max(COMPUTE_BLOCK, batch_size // COMPUTE_BLOCK * COMPUTE_BLOCK)
    with open_writer(output, cfg.n_particles, provenance, overwrite=overwrite,
                     tree=tree) as writer:
        for start in range(0, total, block):
            stop = min(total, start + block)
            jets = _generate_range(net, jet_type, kin, seed, start, stop, sampler, steps,
                                   schedule, dev)
            writer.write(jets)
            if on_progress is not None:
                on_progress(stop - start)
    return {"jets": total, "output": str(output), "model": str(path), "sampler": sampler,
            "steps": steps}


def _check_disk(output: Path, n_jets: int, n_particles: int) -> None:
    import shutil

    need = n_jets * n_particles * BYTES_PER_JET_PARTICLE
    free = shutil.disk_usage(output.parent if str(output.parent) else ".").free
    if need > free:
        raise JetgenError(f"{output}: {n_jets} jets need about {need / 1e9:.1f} GB, only "
                          f"{free / 1e9:.1f} GB free on that disk")


def _generate_range(net, jet_type, kin, seed, start, stop, sampler, steps, schedule, dev):
    """Jets [start, stop) computed block by block; the last block is padded to full size."""
    parts = []
    for lo in range(start, stop, COMPUTE_BLOCK):
        hi = min(stop, lo + COMPUTE_BLOCK)
        index = np.minimum(np.arange(lo, lo + COMPUTE_BLOCK), len(jet_type) - 1)
        seeds = seed + np.arange(lo, lo + COMPUTE_BLOCK, dtype=np.uint64)
        jets = generate_batch(net, jet_type[index], seeds, sampler=sampler, steps=steps,
                              schedule=schedule, conditions=None if kin is None else kin[index],
                              device=dev)[: hi - lo]
        jets.extra["event"] = np.arange(lo, hi, dtype=np.uint64)
        parts.append(jets)
    return Jets.concatenate(parts)
