"""Retrain the jet-level model of (pT, η, mass, n | class) beside an existing particle model.

The jet-level model is tiny (an MLP over four numbers) but sets the jet mass every analysis
cuts on; trained jointly with the particle model it gets only that run's steps, batch and
noise levels. Trained on its own it costs minutes, and the particle model (a teacher or any
distilled student) is kept bit for bit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import torch

from .config import ModelConfig, RunConfig, from_dict
from .data.splits import jet_range, load_splits
from .diffusion.losses import edm_loss, sample_training_sigmas
from .errors import JetgenError, UsageError
from .models.jetmodel import JetModel
from .train import EMA_FILE, STATE_FILE, Trainer

#: What a retrained jet-level model takes from the run's config; the rest (particle
#: network, preprocessing, particle sampling recipe) stays the starting model's.
JET_FIELDS = ("jet_net", "jet_sampler", "jet_steps", "jet_schedule")
#: Records of the particle model's origin, carried into the new weights.
LINEAGE = ("teacher", "distillation", "compressed_from", "particle_model_from")


def jet_level_loss(cfg) -> Callable:
    """loss_fn(model, batch, generator) for Trainer: (zero particle loss, jet-level loss),
    with σ drawn from the run's (p_mean, p_std)."""

    def loss_fn(model: JetModel, batch, gen: torch.Generator):
        jet, jet_type = batch[3], batch[4]
        b = jet.shape[0]
        dequant = torch.rand(b, generator=gen).to(jet.device)
        z, ones, cond = model.jet_level_inputs(jet, jet_type, dequant)
        sigma = sample_training_sigmas(b, cfg.p_mean, cfg.p_std, generator=gen,
                                       device=jet.device)
        noise = torch.randn(z.shape, generator=gen).to(jet.device)
        return jet.new_zeros(b), edm_loss(model.jet, z, ones, cond, sigma, noise)

    return loss_fn


def _with_jet_fields(config: ModelConfig, jet: ModelConfig) -> ModelConfig:
    """``config`` (the particle model's) with the jet-level model's fields of ``jet``."""
    out = copy.deepcopy(config)
    for name in JET_FIELDS:
        setattr(out, name, copy.deepcopy(getattr(jet, name)))
    return out


def _start(init_from: str, run: RunConfig) -> tuple[JetModel, dict]:
    """The starting model with a fresh jet-level model shaped by ``run``, and its records."""
    from .models.checkpoint import read_model
    from .registry import resolve_model, sha256_file

    path = resolve_model(init_from)[0]
    start, meta = read_model(path)
    model = JetModel(_with_jet_fields(start.config, run.model), start.standardiser)
    particle = {k: v for k, v in start.state_dict().items() if k.startswith("particle.")}
    model.load_state_dict(particle, strict=False)
    lineage = {k: meta[k] for k in LINEAGE if k in meta}
    lineage["particle_model_from"] = {"path": str(path), "sha256": sha256_file(path)}
    return model, lineage


def train_jet_level(data: list[Path], run_dir: Path, run: RunConfig, *, init_from: str | None,
                    resume: bool = False, device: str = "cpu",
                    on_step: Callable[[dict], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> dict:
    """Train a new jet-level model (``run.model.jet_net``, ``run.train``) for the particle
    model of ``init_from``; returns the last log record. Weights land in
    ``run_dir/ema.safetensors`` with the particle model unchanged."""
    from .device import resolve_device
    from .models.checkpoint import read_metadata
    from .models.preprocessing import Standardiser

    run_dir = Path(run_dir)
    state_exists = (run_dir / STATE_FILE).exists()
    if state_exists and not resume:
        raise JetgenError(f"{run_dir}: holds a training run; pass --resume to continue it or "
                          "choose another -o")
    torch.manual_seed(run.train.seed)
    if resume and state_exists:
        meta = read_metadata(run_dir / EMA_FILE)
        run.model = from_dict(ModelConfig, meta["config"], "checkpoint config")
        model = JetModel(run.model, Standardiser(**meta["standardiser"]))
        lineage = {k: meta[k] for k in LINEAGE if k in meta}
    elif init_from is None:
        raise UsageError("--part jet trains a new jet-level model beside an existing particle "
                         "model: pass --init-from MODEL")
    else:
        model, lineage = _start(init_from, run)
        run.model = model.config
    train, val = load_splits(data, run.model.n_particles, run.model.classes)
    model.particle.requires_grad_(False)
    provenance = {**lineage, "trained_part": "jet",
                  "training_data": [str(p) for p in data],
                  "reference": {"path": str(data[0]) if len(data) == 1 else [str(p) for p in data],
                                "split": "test"},
                  "training_jet_range": jet_range(train)}
    trainer = Trainer(model, RunConfig(run.model, run.train), run_dir, train, val,
                      resolve_device(device), provenance, loss_fn=jet_level_loss(run.train))
    if resume:
        trainer.resume()
    return trainer.fit(run.train.total_steps, on_step=on_step, should_stop=should_stop)



def graft_jet_level(jet_from: str, particle_from: str, output: Path) -> Path:
    """Write ``output``: the particle model of ``particle_from`` (e.g. a teacher trained on
    since) with the jet-level model of ``jet_from`` (a ``--part jet`` run), both bit for bit.

    The jet-level model never reads the particle model, so it needs retraining only when the
    preprocessing it works in changes: both files must share classes, particle count and
    standardiser (true of any run continued or initialised from the other's start)."""
    from .config import to_dict
    from .models.checkpoint import read_model, save_model
    from .registry import resolve_model, sha256_file

    jet_path, particle_path = resolve_model(jet_from)[0], resolve_model(particle_from)[0]
    donor, donor_meta = read_model(jet_path)
    base, meta = read_model(particle_path)
    checks = (("classes", donor.config.classes, base.config.classes),
              ("particle count", donor.config.n_particles, base.config.n_particles),
              ("preprocessing", donor.standardiser.to_dict(), base.standardiser.to_dict()))
    for what, a, b in checks:
        if a != b:
            raise JetgenError(f"{jet_path}: its {what} differs from {particle_path}'s; train a "
                              "jet-level model for it with jetgen train --part jet --init-from")
    config = _with_jet_fields(base.config, donor.config)
    model = JetModel(config, base.standardiser)
    model.particle.load_state_dict(base.particle.state_dict())
    model.jet.load_state_dict(donor.jet.state_dict())
    records = {k: v for k, v in meta.items() if k not in ("format", "config", "standardiser")}
    if isinstance(records.get("run"), dict):  # the record of how it was trained, jets now grafted
        records["run"] = {**records["run"], "model": to_dict(config)}
    records["jet_model_from"] = {"path": str(jet_path), "sha256": sha256_file(jet_path),
                                 "train_step": donor_meta.get("train_step"),
                                 "training_data": donor_meta.get("training_data")}
    return save_model(output, model, records)
