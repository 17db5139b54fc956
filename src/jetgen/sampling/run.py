"""`jetgen sample` as a library function: stream batches of generated jets to a file.

A run is a pure function of (model, seed, plan): jet j (counting across classes in
g,q,t,w,z order, or rows of --conditions) uses the key ``jet_seeds(seed, j)`` (a hash of
both, so different run seeds never share jets) and is computed in the
``COMPUTE_BLOCK``-aligned network call that holds j. ``--shard i/N`` therefore only picks
a range of whole blocks (shards.py) and shard files concatenate to the one-run output.

plan.py settles the run without the model (the CLI sizes its progress bar from that);
:func:`run_to_file` and :func:`run_in_memory` load the model and make the plan's jets.
:func:`sample_to_file` and :func:`sample_jets` do both in one call.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..device import device_kind
from ..diffusion.consistency import MULTISTEP_WITHDRAWN
from ..errors import JetgenError, UsageError, warn
from ..io import file_format, open_writer
from ..io.provenance import base_provenance
from ..jets import CLASSES, Jets
from ..models.checkpoint import read_model
from ..registry import resolve_model, sha256_file
from .batch import generate_batch
from .jobs import clamp_multiplicity, range_warning, training_range
from .plan import SamplePlan, plan_sample
from .precision import resolve_precision
from .seeds import jet_seeds
from .shards import Shard, shard_record

SEED_RULE = ("jet i of the run (counting across classes in g,q,t,w,z order) uses the key "
             "splitmix64(splitmix64(seed) ^ splitmix64(i * 0xD1B54A32D192ED03)); "
             "the network runs on fixed blocks of compute_block consecutive jets")
#: Rough bytes per jet on disk, to refuse absurd --n before spending hours.
BYTES_PER_JET_PARTICLE = 14


@dataclass
class Recipe:
    """A planned run with its model loaded: every setting that decides its jets."""

    plan: SamplePlan
    net: Any
    meta: dict
    path: Path
    entry: dict
    sampler: str
    steps: int
    schedule: str
    precision: str
    onnx: Callable | None = None


def load_recipe(plan: SamplePlan) -> Recipe:
    """Load the plan's model and settle sampler, steps, schedule and precision (no jets)."""
    path, entry = resolve_model(plan.model)
    net, meta = read_model(path, plan.device)
    cfg = net.config
    steps = plan.steps or cfg.steps
    if cfg.parameterization == "consistency" and steps > 1:
        raise UsageError(f"--steps {steps}: {MULTISTEP_WITHDRAWN}")
    unknown = sorted({CLASSES[c] for c in plan.jobs.classes} - set(cfg.classes))
    if unknown:
        raise JetgenError(f"model {path.name} was not trained on class(es) {', '.join(unknown)}")
    if plan.jobs.kin is not None:
        clamp_multiplicity(plan.jobs.kin, cfg.n_particles, plan.conditions)
        message = range_warning(plan.jobs.kin, training_range(meta))
        if message:
            warn(message)
    sampler = plan.sampler or cfg.sampler
    schedule = plan.schedule or cfg.schedule
    if plan.backend == "onnxruntime":
        from ..export.runtime import OnnxSampler, check_onnx_run

        used = "fp32" if plan.precision == "auto" else plan.precision
        check_onnx_run(cfg, sampler=sampler, steps=steps, precision=used, device=plan.device)
        onnx = OnnxSampler(path, sha256_file(path), cfg.n_particles, torch.get_num_threads())
        return Recipe(plan, net, meta, path, entry, sampler, steps, schedule, used, onnx)
    return Recipe(plan, net, meta, path, entry, sampler, steps, schedule,
                  resolve_precision(plan.precision, cfg.precision, plan.device))


def run_in_memory(plan: SamplePlan,
                  on_progress: Callable[[int], None] | None = None) -> Jets:
    """The plan's jets in memory: the same jets `jetgen sample` writes for this plan."""
    recipe = load_recipe(plan)
    parts = []
    for count, jets in _batches(recipe, plan.start, plan.stop):
        parts.append(jets)
        if on_progress is not None:
            on_progress(count)
    return Jets.concatenate(parts)


def run_to_file(plan: SamplePlan, *, tree: str = "tree", max_bytes: int | None = None,
                on_progress: Callable[[int], None] | None = None) -> dict:
    """Generate the plan's jets (its shard's, if any) into ``plan.output``, atomically."""
    if plan.output is None:
        raise UsageError("the plan has no output file (pass output= to plan_sample)")
    recipe = load_recipe(plan)
    cfg, meta, path, output = recipe.net.config, recipe.meta, recipe.path, plan.output
    _check_disk(output, plan.jets, cfg.n_particles, plan.overwrite, max_bytes)
    provenance = base_provenance(
        kind="generated",
        model=recipe.entry.get("name", str(path)),
        model_sha256=sha256_file(path),
        teacher=meta.get("teacher"),
        distillation=meta.get("distillation"),
        sampler=recipe.sampler, steps=recipe.steps, schedule=recipe.schedule,
        # one form per seed: -5 and 2**64 - 5 give the same jets; the plan holds the latter
        seed=plan.seed, seed_rule=SEED_RULE,
        jet_types=sorted({CLASSES[c] for c in plan.jobs.classes}),
        n_per_class=None if plan.conditions else plan.jobs.n,
        total_jets=plan.total,
        shard=shard_record(plan.shard, plan.total, plan.start, plan.stop) if plan.shard
        else None,
        n_particles=cfg.n_particles,
        conditions=str(plan.conditions) if plan.conditions else None,
        training_data=meta.get("training_data"),
        reference=meta.get("reference"),
        device=str(plan.device),
        device_kind=device_kind(plan.device),
        precision=recipe.precision,
        backend=plan.backend,
        compute_block=plan.block,
    )
    with open_writer(output, cfg.n_particles, provenance, overwrite=plan.overwrite, tree=tree,
                     max_bytes=max_bytes) as writer:
        for count, jets in _batches(recipe, plan.start, plan.stop):
            writer.write(jets)
            if on_progress is not None:
                on_progress(count)
    return {"jets": plan.jets, "output": str(output), "model": str(path),
            "sampler": recipe.sampler, "steps": recipe.steps, "first_jet": plan.start,
            "stop_jet": plan.stop, "total_jets": plan.total, "precision": recipe.precision,
            "backend": plan.backend}


def sample_jets(*, model: str | None = None, classes: Sequence[int] | None = None,
                n: int | None = None, conditions: Path | None = None, seed: int = 0,
                sampler: str | None = None, steps: int | None = None,
                schedule: str | None = None, batch_size: int = 1000, device: str = "cpu",
                precision: str = "auto", backend: str = "torch",
                on_progress: Callable[[int], None] | None = None) -> Jets:
    """The run's jets in memory: the same jets `jetgen sample` writes for these arguments
    (plan and run in one call; the arguments as :func:`~jetgen.sampling.plan.plan_sample`)."""
    plan = plan_sample(model=model, classes=classes, n=n, conditions=conditions, seed=seed,
                       sampler=sampler, steps=steps, schedule=schedule,
                       batch_size=batch_size, device=device, precision=precision,
                       backend=backend)
    return run_in_memory(plan, on_progress)


def sample_to_file(output: str | Path, *, model: str | None = None,
                   classes: Sequence[int] | None = None, n: int | None = None,
                   conditions: Path | None = None, seed: int = 0, sampler: str | None = None,
                   steps: int | None = None, schedule: str | None = None,
                   batch_size: int = 1000, device: str = "cpu", overwrite: bool = False,
                   tree: str = "tree", shard: Shard | None = None,
                   max_bytes: int | None = None, precision: str = "auto",
                   conditions_tree: str | None = None, backend: str = "torch",
                   on_progress: Callable[[int], None] | None = None) -> dict:
    """Generate the run's jets (or shard ``shard`` of them) into ``output``, atomically
    (plan and run in one call)."""
    plan = plan_sample(model=model, classes=classes, n=n, conditions=conditions,
                       conditions_tree=conditions_tree, seed=seed, sampler=sampler,
                       steps=steps, schedule=schedule, batch_size=batch_size, device=device,
                       precision=precision, backend=backend, shard=shard, output=output,
                       overwrite=overwrite)
    return run_to_file(plan, tree=tree, max_bytes=max_bytes, on_progress=on_progress)


def _batches(recipe: Recipe, start: int, stop: int) -> Iterator[tuple[int, Jets]]:
    """(jets in [lo, hi), their Jets) in batches of whole compute blocks."""
    block = recipe.plan.block
    size = max(block, recipe.plan.batch_size // block * block)
    for lo in range(start, stop, size):
        hi = min(stop, lo + size)
        yield hi - lo, _generate_range(recipe, lo, hi)


def _generate_range(recipe: Recipe, start: int, stop: int) -> Jets:
    """Jets [start, stop) (start block-aligned) computed block by block; the last block of
    the run is padded to full size with copies of the run's last jet."""
    plan, parts = recipe.plan, []
    jobs = plan.jobs
    for lo in range(start, stop, plan.block):
        hi = min(stop, lo + plan.block)
        index = np.minimum(np.arange(lo, lo + plan.block), plan.total - 1)
        seeds = jet_seeds(plan.seed, np.arange(lo, lo + plan.block))
        if recipe.onnx is not None:
            jets = recipe.onnx(jobs.jet_type(index), seeds, jobs.conditions(index))
        else:
            jets = generate_batch(recipe.net, jobs.jet_type(index), seeds,
                                  sampler=recipe.sampler, steps=recipe.steps,
                                  schedule=recipe.schedule, conditions=jobs.conditions(index),
                                  device=plan.device, precision=recipe.precision)
        jets = jets[: hi - lo]
        jets.extra["event"] = np.arange(lo, hi, dtype=np.uint64)
        parts.append(jets)
    return Jets.concatenate(parts)


def _check_disk(output: Path, n_jets: int, n_particles: int, overwrite: bool,
                max_bytes: int | None) -> None:
    need = n_jets * n_particles * BYTES_PER_JET_PARTICLE
    free = shutil.disk_usage(output.parent if str(output.parent) else ".").free
    if need > free:
        raise JetgenError(f"{output}: {n_jets} jets need about {need / 1e9:.1f} GB, only "
                          f"{free / 1e9:.1f} GB free on that disk")
    if file_format(output) == "root" and not overwrite:
        from ..io.root import MAX_FILE_BYTES, part_path

        # Refuse now, not hours in, if a rollover file name is already taken.
        for k in range(1, int(1.5 * need // (max_bytes or MAX_FILE_BYTES)) + 1):
            if part_path(output, k).exists():
                raise JetgenError(f"{output}: about {need / 1e9:.1f} GB would roll over into "
                                  f"{part_path(output, k).name}, which exists; pass "
                                  "--overwrite or choose another -o")
