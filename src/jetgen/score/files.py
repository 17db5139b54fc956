"""`jetgen score` as library functions: read jets, score (or reconstruct) them batch by
batch, write the results atomically with provenance like every jetgen output.

Jet i of the input file (its index before any --jet/--n selection) uses seed + i for all
of its random draws, and no draw depends on the other jets of its batch, so results do
not depend on --batch-size (up to float rounding of batched matrix products).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import JetgenError, UsageError, warn
from ..evaluation.jet_images import IMAGE_BINS, IMAGE_RANGE
from ..io import open_writer, read_jets
from ..io.atomic import check_output
from ..io.provenance import base_provenance
from ..jets import CLASSES, Jets
from ..models.checkpoint import read_model
from ..models.jetmodel import JetModel
from ..registry import resolve_model, sha256_file
from .images import plot_reconstructions
from .likelihood import (
    DEFAULT_PROBES,
    DEFAULT_STEPS,
    SPACE,
    Scores,
    check_jets,
    check_method,
    check_scorable,
    score_batch,
)
from .reconstruct import check_ode_sampler, reconstruct_batch
from .table import write_table

SEED_RULE = ("jet at index i of the input uses seed + i for its probes and noise; results "
             "do not depend on --batch-size")
DISTANCE = (f"jet-image L1: sum over {IMAGE_BINS}x{IMAGE_BINS} pixels (eta_rel, phi_rel in "
            f"+-{IMAGE_RANGE}, outside counted at the edge) of |pT_rel image difference|")


@dataclass
class Selection:
    """The jets a run works on and their row numbers in the input file."""

    path: Path
    jets: Jets
    index: np.ndarray


def select_jets(path: str | Path, classes: list[int] | None = None,
                n: int | None = None, tree: str | None = None) -> Selection:
    """Jets of ``path``, only ``classes`` if given, the first ``n`` of them if given."""
    if n is not None and n <= 0:
        raise UsageError(f"--n must be a positive number of jets, got {n}")
    jets = read_jets(path, tree=tree)
    index = np.arange(len(jets), dtype=np.int64)
    if classes:
        keep = np.isin(jets.jet_type, classes)
        jets, index = jets[keep], index[keep]
        if not len(jets):
            names = ", ".join(CLASSES[c] for c in classes)
            raise JetgenError(f"{path}: no jets of class(es) {names}")
    if not len(jets):
        raise JetgenError(f"{path}: holds no jets")
    if n is not None:
        jets, index = jets[:n], index[:n]
    return Selection(Path(path), jets, index)


def originals_path(output: str | Path) -> Path:
    """Where a reconstruction run writes the original jets: ``OUT_originals.<ext>``."""
    output = Path(output)
    return output.with_name(f"{output.stem}_originals{output.suffix}")


def check_outputs(output: str | Path, overwrite: bool, reconstruct: bool = False) -> None:
    """Fail before any work if an output exists (without --overwrite) or is unwritable."""
    check_output(output, overwrite)
    if reconstruct:
        check_output(originals_path(output), overwrite)


def _model(model: str | None, device: str) -> tuple[JetModel, dict, object]:
    from ..device import resolve_device

    dev = resolve_device(device)
    path, entry = resolve_model(model)
    net, meta = read_model(path, dev)
    if meta.get("distillation") and net.config.parameterization == "edm":
        warn(f"{path.name} is a distilled student: its denoiser was trained for its few-step "
             "grid, not for every σ, so its likelihoods are rougher than its teacher's")
    record = {"model": entry.get("name", str(path)), "model_sha256": sha256_file(path)}
    return net, record, dev


def _selection(source: Selection | str | Path, classes: list[int] | None,
               n: int | None) -> Selection:
    return source if isinstance(source, Selection) else select_jets(source, classes, n)


def _check_batch(batch_size: int) -> None:
    if batch_size <= 0:
        raise UsageError(f"--batch-size must be positive, got {batch_size}")


def score_file(source: Selection | str | Path, output: str | Path, *,
               model: str | None = None, method: str = "ode", probes: int = DEFAULT_PROBES,
               steps: int | None = None, batch_size: int = 256, seed: int = 0,
               classes: list[int] | None = None, n: int | None = None, device: str = "cpu",
               overwrite: bool = False,
               on_progress: Callable[[int], None] | None = None) -> dict:
    """Score the jets of ``source`` (a file or a :class:`Selection`) into ``output``.

    Columns: ``index`` (row in the input), ``jet_type``, ``jet_pt``, ``jet_eta``,
    ``jet_mass``, ``jet_nparticles`` (as recorded), ``n_particles`` (constituents scored),
    ``logp``, ``logp_per_particle`` and ``log_jacobian`` (nats; ``logp − log_jacobian`` is
    the density in the model's standardised coordinates). See
    :mod:`jetgen.score.likelihood` for the space.
    """
    check_method(method)
    _check_batch(batch_size)
    steps = DEFAULT_STEPS[method] if steps is None else steps
    if steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    if probes < 0:
        raise UsageError(f"--hutchinson must be 0 (exact trace) or more, got {probes}")
    check_outputs(output, overwrite)
    selection = _selection(source, classes, n)
    jets = selection.jets
    net, record, dev = _model(model, device)
    check_scorable(net, jets.jet_type)
    check_jets(jets)
    parts = []
    for lo in range(0, len(jets), batch_size):
        hi = min(len(jets), lo + batch_size)
        parts.append(score_batch(net, jets[lo:hi], seed + selection.index[lo:hi],
                                 method=method, steps=steps, probes=probes, device=dev))
        if on_progress is not None:
            on_progress(hi - lo)
    scores = Scores.concatenate(parts)
    columns = {
        "index": selection.index.astype(np.int64),
        "jet_type": jets.jet_type.astype(np.int32),
        "jet_pt": jets.jet[:, 0], "jet_eta": jets.jet[:, 1], "jet_mass": jets.jet[:, 2],
        "jet_nparticles": np.rint(jets.jet[:, 3]).astype(np.int32),
        "n_particles": scores.n_particles,
        "logp": scores.logp, "logp_per_particle": scores.logp_per_particle,
        "log_jacobian": scores.log_jacobian,
    }
    settings = {"method": method, "steps": steps, "seed": seed,
                "hutchinson_probes": probes if method == "ode" else None}
    provenance = base_provenance(
        kind="jet scores", input=str(selection.path), space=SPACE, units="nats",
        seed_rule=SEED_RULE, total_jets=len(jets),
        jet_types=sorted({CLASSES[int(c)] for c in np.unique(jets.jet_type)}),
        device=str(dev), **record, **settings)
    write_table(output, columns, provenance, overwrite=overwrite)
    return {"jets": len(jets), "output": str(output), **settings,
            "mean_logp": float(scores.logp.mean()),
            "mean_logp_per_particle": float(scores.logp_per_particle.mean())}


def reconstruct_file(source: Selection | str | Path, output: str | Path, *,
                     model: str | None = None, sampler: str | None = None,
                     steps: int | None = None, batch_size: int = 256,
                     classes: list[int] | None = None, n: int | None = None,
                     device: str = "cpu", overwrite: bool = False,
                     plots: str | Path | None = None,
                     on_progress: Callable[[int], None] | None = None) -> dict:
    """Encode and decode the jets of ``source``; reconstructions go to ``output`` and the
    originals to :func:`originals_path`, both jet files with per-jet ``source_index`` and
    ``recon_l1`` (the jet-image L1 distance). ``plots``: a directory for PNGs."""
    _check_batch(batch_size)
    if sampler is not None:
        check_ode_sampler(sampler)
    check_outputs(output, overwrite, reconstruct=True)
    if plots is not None and Path(plots).exists() and not Path(plots).is_dir():
        raise JetgenError(f"--plots {plots}: exists and is not a directory")
    selection = _selection(source, classes, n)
    jets = selection.jets
    net, record, dev = _model(model, device)
    cfg = net.config
    sampler = check_ode_sampler(sampler or cfg.sampler)
    steps = cfg.steps if steps is None else steps
    check_scorable(net, jets.jet_type)
    check_jets(jets)
    settings = {"sampler": sampler, "steps": steps, "schedule": cfg.schedule}
    common = dict(input=str(selection.path), distance=DISTANCE, device=str(dev), **record,
                  **settings)
    recon_parts, distances = [], []
    with open_writer(output, cfg.n_particles, base_provenance(
            kind="reconstructed jets", originals=str(originals_path(output)), **common),
            overwrite=overwrite) as recon_out, open_writer(
            originals_path(output), jets.n_particles, base_provenance(
                kind="reconstruction originals", reconstructions=str(output), **common),
            overwrite=overwrite) as orig_out:
        for lo in range(0, len(jets), batch_size):
            hi = min(len(jets), lo + batch_size)
            batch = jets[lo:hi]
            recon, distance = reconstruct_batch(net, batch, sampler=sampler, steps=steps,
                                                device=dev)
            extra = {"source_index": selection.index[lo:hi],
                     "recon_l1": distance.astype(np.float32)}
            orig_out.write(Jets(batch.particles, batch.mask, batch.jet, batch.jet_type,
                                dict(extra)))
            recon.extra = dict(extra)
            recon_out.write(recon)
            recon_parts.append(recon)
            distances.append(distance)
            if on_progress is not None:
                on_progress(hi - lo)
    distance = np.concatenate(distances)
    figures = []
    if plots is not None:
        recon = Jets.concatenate(recon_parts)
        figures = plot_reconstructions(
            plots, (jets.particles, jets.mask), (recon.particles, recon.mask), distance,
            f"{selection.path.name}: {sampler}, {steps} steps each way")
    return {"jets": len(jets), "output": str(output),
            "originals": str(originals_path(output)), **settings,
            "mean_distance": float(distance.mean()),
            "median_distance": float(np.median(distance)),
            "plots": [str(p) for p in figures]}
