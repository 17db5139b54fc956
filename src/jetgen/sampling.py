"""`jetgen sample` as a library function: stream batches of generated jets to a file.

A run is a pure function of (model, seed, plan): jet j (counting across classes in
g,q,t,w,z order, or rows of --conditions) uses the key ``jet_seeds(seed, j)`` (a hash of
both, so different run seeds never share jets) and is computed in the
``COMPUTE_BLOCK``-aligned network call that holds j. ``--shard i/N`` therefore only picks
a range of whole blocks (shards.py) and shard files concatenate to the one-run output.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import JetgenError, UsageError, warn
from .generate_jets import generate_batch
from .io import file_format, open_writer, read_conditions
from .io.atomic import check_output
from .io.provenance import base_provenance
from .jets import CLASSES, JET_FEATURES, Jets
from .models.checkpoint import load_model, read_metadata
from .precision import SAMPLE_PRECISIONS, check_precision, device_kind, resolve_precision
from .registry import resolve_model, sha256_file
from .seeds import check_seed, jet_seeds
from .shards import Shard, shard_range, shard_record

SEED_RULE = ("jet i of the run (counting across classes in g,q,t,w,z order) uses the key "
             "splitmix64(splitmix64(seed) ^ splitmix64(i * 0xD1B54A32D192ED03)); "
             "the network runs on fixed blocks of compute_block consecutive jets")
#: Jets per network call, fixed and aligned to the jet index: BLAS kernels round
#: differently for different batch shapes, so a jet must always share its call with the
#: same neighbours to come out bit-identical whatever --batch-size or --shard is. The
#: block depends only on the device type and backend (see compute_block), never on
#: --batch-size: 256 on a CPU, larger where one call must fill a GPU or amortise ONNX
#: Runtime's per-call cost. Every block is a multiple of COMPUTE_BLOCK.
COMPUTE_BLOCK = 256
CUDA_BLOCK = 8192
ONNX_BLOCK = 4096


def compute_block(device: torch.device, backend: str = "torch") -> int:
    """Jets per network call for this device and backend (recorded in provenance)."""
    if backend == "onnxruntime":
        return ONNX_BLOCK
    return CUDA_BLOCK if device.type == "cuda" else COMPUTE_BLOCK
#: Rough bytes per jet on disk, to refuse absurd --n before spending hours.
BYTES_PER_JET_PARTICLE = 14


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda requested but no CUDA device is available")
    return torch.device(device)


@dataclass
class Plan:
    """Which jets a run makes, without per-jet arrays for --n (which may be huge)."""

    total: int
    classes: list[int]
    n: int | None = None
    given_types: np.ndarray | None = None
    kin: np.ndarray | None = None

    def jet_type(self, index: np.ndarray) -> np.ndarray:
        if self.given_types is not None:
            return self.given_types[index]
        return np.asarray(self.classes, np.int32)[index // self.n]

    def conditions(self, index: np.ndarray) -> np.ndarray | None:
        return None if self.kin is None else self.kin[index]


def clamp_multiplicity(kin: np.ndarray, n_particles: int, source) -> None:
    """n of --conditions rounded and clamped to [1, the model's particles] in place, with
    a warning that counts the jets changed (a jet cannot have 0 or more constituents than
    the model generates)."""
    n = np.rint(kin[:, 3])
    low, high = int((n < 1).sum()), int((n > n_particles).sum())
    if low or high:
        warn(f"{source}: {low} jets with n < 1 and {high} with n > {n_particles} (the "
             f"model's particles); their n is clamped to 1…{n_particles}")
    kin[:, 3] = np.clip(n, 1, n_particles)


def plan_jobs(classes: list[int] | None, n: int | None, conditions: Path | None,
              conditions_tree: str | None = None) -> Plan:
    """The run's plan: ``n`` jets of each class, or the (first ``n``) jets of a file (only
    its jet-level columns are read: class, pT, η, mass, n)."""
    if n is not None and n <= 0:
        raise UsageError(f"--n must be a positive number of jets, got {n}")
    if conditions is not None:
        jet_type, kin = read_conditions(conditions, conditions_tree)
        if not len(jet_type):
            raise JetgenError(f"{conditions}: holds no jets")
        if not np.isfinite(kin).all():
            bad = int((~np.isfinite(kin)).any(1).sum())
            raise JetgenError(f"{conditions}: {bad} jets have NaN/inf kinematics")
        unknown = sorted(set(jet_type.tolist()) - set(range(len(CLASSES))))
        if unknown:
            raise JetgenError(f"{conditions}: jet_type values {unknown} are not JetNet classes "
                              f"(0-{len(CLASSES) - 1} = {', '.join(CLASSES)})")
        if classes is not None:
            keep = np.isin(jet_type, classes)
            jet_type, kin = jet_type[keep], kin[keep]
            if not len(jet_type):
                names = ", ".join(CLASSES[c] for c in classes)
                raise JetgenError(f"{conditions}: no jets of class(es) {names}")
        if n is not None:
            jet_type, kin = jet_type[:n], kin[:n]
        jet_type = jet_type.astype(np.int32)
        return Plan(len(jet_type), sorted(set(jet_type.tolist())), n, jet_type,
                    kin.astype(np.float32))
    if classes is None:
        raise UsageError("pass --jet (g, q, t, w, z, names or all) or --conditions FILE")
    if n is None:
        raise UsageError("pass --n, the number of jets per class")
    return Plan(n * len(classes), list(classes), n)


@dataclass
class Run:
    """A sampling run resolved: the loaded model and every setting that decides its jets."""

    net: object
    meta: dict
    path: Path
    entry: dict
    plan: Plan
    sampler: str
    steps: int
    schedule: str
    precision: str
    device: torch.device
    backend: str = "torch"
    block: int = COMPUTE_BLOCK
    onnx: Callable | None = None


def prepare_run(*, model: str | None, classes: list[int] | None, n: int | None,
                conditions: Path | None, seed: int, sampler: str | None, steps: int | None,
                schedule: str | None, device: str, precision: str,
                conditions_tree: str | None = None, backend: str = "torch") -> Run:
    """Check the arguments, load the model and settle the run's recipe (no jets yet)."""
    from .export.runtime import check_backend

    check_backend(backend)
    check_precision(precision, SAMPLE_PRECISIONS)
    check_seed(seed)
    plan = plan_jobs(classes, n, conditions, conditions_tree)
    dev = resolve_device(device)
    path, entry = resolve_model(model)
    net, meta = load_model(path, dev)
    cfg = net.config
    steps = steps or cfg.steps
    if cfg.parameterization == "consistency" and steps > 1:
        from .distill.consistency import MULTISTEP_WITHDRAWN

        raise UsageError(f"--steps {steps}: {MULTISTEP_WITHDRAWN}")
    unknown = sorted({CLASSES[c] for c in plan.classes} - set(cfg.classes))
    if unknown:
        raise JetgenError(f"model {path.name} was not trained on class(es) {', '.join(unknown)}")
    if plan.kin is not None:
        clamp_multiplicity(plan.kin, cfg.n_particles, conditions)
        message = range_warning(plan.kin, training_range(meta))
        if message:
            warn(message)
    sampler = sampler or cfg.sampler
    if backend == "onnxruntime":
        from .export.runtime import OnnxSampler, check_onnx_run

        used = "fp32" if precision == "auto" else precision
        check_onnx_run(cfg, sampler=sampler, steps=steps, precision=used, device=dev)
        onnx = OnnxSampler(path, sha256_file(path), cfg.n_particles, torch.get_num_threads())
        return Run(net, meta, path, entry, plan, sampler, steps, schedule or cfg.schedule,
                   used, dev, backend, compute_block(dev, backend), onnx)
    return Run(net, meta, path, entry, plan, sampler, steps, schedule or cfg.schedule,
               resolve_precision(precision, cfg.precision, dev), dev, backend,
               compute_block(dev, backend))


def _blocks(run: Run, seed: int, start: int, stop: int, batch_size: int):
    """(jets in [lo, hi), their Jets) in batches of whole compute blocks."""
    if batch_size <= 0:
        raise UsageError(f"--batch-size must be positive, got {batch_size}")
    block = max(run.block, batch_size // run.block * run.block)
    for lo in range(start, stop, block):
        hi = min(stop, lo + block)
        yield hi - lo, _generate_range(run, seed, lo, hi)


def sample_jets(*, model: str | None = None, classes: list[int] | None = None,
                n: int | None = None, conditions: Path | None = None, seed: int = 0,
                sampler: str | None = None, steps: int | None = None,
                schedule: str | None = None, batch_size: int = 1000, device: str = "cpu",
                precision: str = "auto", backend: str = "torch",
                on_progress: Callable[[int], None] | None = None) -> Jets:
    """The run's jets in memory: the same jets `jetgen sample` writes for these arguments."""
    if batch_size <= 0:
        raise UsageError(f"--batch-size must be positive, got {batch_size}")
    run = prepare_run(model=model, classes=classes, n=n, conditions=conditions, seed=seed,
                      sampler=sampler, steps=steps, schedule=schedule, device=device,
                      precision=precision, backend=backend)
    parts = []
    for count, jets in _blocks(run, seed, 0, run.plan.total, batch_size):
        parts.append(jets)
        if on_progress is not None:
            on_progress(count)
    return Jets.concatenate(parts)


def sample_to_file(output, *, model: str | None = None, classes: list[int] | None = None,
                   n: int | None = None, conditions: Path | None = None, seed: int = 0,
                   sampler: str | None = None, steps: int | None = None,
                   schedule: str | None = None, batch_size: int = 1000, device: str = "cpu",
                   overwrite: bool = False, tree: str = "tree", shard: Shard | None = None,
                   max_bytes: int | None = None, precision: str = "auto",
                   conditions_tree: str | None = None, backend: str = "torch",
                   on_progress: Callable[[int], None] | None = None) -> dict:
    """Generate the run's jets (or shard ``shard`` of them) into ``output``, atomically."""
    if batch_size <= 0:
        raise UsageError(f"--batch-size must be positive, got {batch_size}")
    check_precision(precision, SAMPLE_PRECISIONS)
    check_seed(seed)
    output = check_output(output, overwrite)
    run = prepare_run(model=model, classes=classes, n=n, conditions=conditions, seed=seed,
                      sampler=sampler, steps=steps, schedule=schedule, device=device,
                      precision=precision, conditions_tree=conditions_tree, backend=backend)
    plan, cfg, meta, path = run.plan, run.net.config, run.meta, run.path
    start, stop = shard_range(plan.total, shard, run.block)
    _check_disk(output, stop - start, cfg.n_particles, overwrite, max_bytes)
    provenance = base_provenance(
        kind="generated",
        model=run.entry.get("name", str(path)),
        model_sha256=sha256_file(path),
        teacher=meta.get("teacher"),
        distillation=meta.get("distillation"),
        sampler=run.sampler, steps=run.steps, schedule=run.schedule,
        # one form per seed: -5 and 2**64 - 5 give the same jets, so record the latter
        seed=check_seed(seed), seed_rule=SEED_RULE,
        jet_types=sorted({CLASSES[c] for c in plan.classes}),
        n_per_class=None if conditions else n,
        total_jets=plan.total,
        shard=shard_record(shard, plan.total, start, stop) if shard else None,
        n_particles=cfg.n_particles,
        conditions=str(conditions) if conditions else None,
        training_data=meta.get("training_data"),
        reference=meta.get("reference"),
        device=str(run.device),
        device_kind=device_kind(run.device),
        precision=run.precision,
        backend=run.backend,
        compute_block=run.block,
    )
    with open_writer(output, cfg.n_particles, provenance, overwrite=overwrite, tree=tree,
                     max_bytes=max_bytes) as writer:
        for count, jets in _blocks(run, seed, start, stop, batch_size):
            writer.write(jets)
            if on_progress is not None:
                on_progress(count)
    return {"jets": stop - start, "output": str(output), "model": str(path),
            "sampler": run.sampler, "steps": run.steps, "first_jet": start, "stop_jet": stop,
            "total_jets": plan.total, "precision": run.precision, "backend": run.backend}


def training_range(meta: dict) -> dict | None:
    """Per-feature [min, max] of the training jets, from the model or else its teacher
    (models trained before this was recorded have none: no check then)."""
    ranges = meta.get("training_jet_range")
    teacher = meta.get("teacher")
    if ranges is None and isinstance(teacher, str) and Path(teacher).is_file():
        try:
            ranges = read_metadata(teacher).get("training_jet_range")
        except JetgenError:
            return None
    return ranges


def range_warning(kin: np.ndarray, ranges: dict | None) -> str | None:
    """One line saying how many conditioning jets lie outside the training range, and how
    far (in the feature's units and as a fraction of the training range), or None."""
    if not ranges:
        return None
    outside = np.zeros(len(kin), bool)
    parts = []
    for i, name in enumerate(JET_FEATURES):
        if name not in ranges:
            continue
        lo, hi = ranges[name]
        width = max(hi - lo, 1e-12)
        below, above = kin[:, i] < lo, kin[:, i] > hi
        outside |= below | above
        if above.any():
            far = float((kin[above, i] - hi).max())
            parts.append(f"{name} above {hi:.4g} by up to {far:.4g} ({far / width:.0%} of "
                         "the range)")
        if below.any():
            far = float((lo - kin[below, i]).max())
            parts.append(f"{name} below {lo:.4g} by up to {far:.4g} ({far / width:.0%} of "
                         "the range)")
    if not parts:
        return None
    return (f"{int(outside.sum())} of {len(kin)} conditioning jets lie outside the training "
            f"range: {'; '.join(parts)}; the model extrapolates there")


def _check_disk(output: Path, n_jets: int, n_particles: int, overwrite: bool,
                max_bytes: int | None) -> None:
    need = n_jets * n_particles * BYTES_PER_JET_PARTICLE
    free = shutil.disk_usage(output.parent if str(output.parent) else ".").free
    if need > free:
        raise JetgenError(f"{output}: {n_jets} jets need about {need / 1e9:.1f} GB, only "
                          f"{free / 1e9:.1f} GB free on that disk")
    if file_format(output) == "root" and not overwrite:
        from .io.root import MAX_FILE_BYTES, part_path

        # Refuse now, not hours in, if a rollover file name is already taken.
        for k in range(1, int(1.5 * need // (max_bytes or MAX_FILE_BYTES)) + 1):
            if part_path(output, k).exists():
                raise JetgenError(f"{output}: about {need / 1e9:.1f} GB would roll over into "
                                  f"{part_path(output, k).name}, which exists; pass "
                                  "--overwrite or choose another -o")


def _generate_range(run: Run, seed: int, start: int, stop: int) -> Jets:
    """Jets [start, stop) (start block-aligned) computed block by block; the last block of
    the run is padded to full size with copies of the run's last jet."""
    plan, parts = run.plan, []
    for lo in range(start, stop, run.block):
        hi = min(stop, lo + run.block)
        index = np.minimum(np.arange(lo, lo + run.block), plan.total - 1)
        seeds = jet_seeds(seed, np.arange(lo, lo + run.block))
        if run.onnx is not None:
            jets = run.onnx(plan.jet_type(index), seeds, plan.conditions(index))
        else:
            jets = generate_batch(run.net, plan.jet_type(index), seeds, sampler=run.sampler,
                                  steps=run.steps, schedule=run.schedule,
                                  conditions=plan.conditions(index), device=run.device,
                                  precision=run.precision)
        jets = jets[: hi - lo]
        jets.extra["event"] = np.arange(lo, hi, dtype=np.uint64)
        parts.append(jets)
    return Jets.concatenate(parts)
