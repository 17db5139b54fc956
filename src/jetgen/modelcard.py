"""Model cards: what a user needs to trust a shipped model, written from its own metadata
and from `jetgen eval` results (never typed in by hand)."""

from __future__ import annotations

import math
from pathlib import Path

from .data.pythia import recipe_description
from .evaluation.metrics import LABELS, UNITS
from .evaluation.ratios import ratio_text
from .models.checkpoint import read_metadata, read_model

CARD_METRICS = ("w1m", "w1p", "w1efp", "fpd", "kpd", "fpnd_ref", "w1_tau21", "w1_tau32", "w1_d2")


def _fmt(value: float | None, scale: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value / scale:.3g}"


def metrics_table(evaluation: dict) -> list[str]:
    """Markdown rows: metric, model ± error, truth floor ± error, ratio, per class."""
    lines = []
    for name, entry in evaluation.get("classes", {}).items():
        n = entry.get("n_jets")
        lines += ["", f"**{name}** ({n:,} generated vs {n:,} test jets; floor: two disjoint "
                  "test halves)", "",
                  "| metric | unit | model | truth floor | model / floor |",
                  "|---|---|---|---|---|"]
        for key in CARD_METRICS:
            row = entry["metrics"].get(key)
            if row is None:
                continue
            scale = UNITS[key]
            lines.append(
                f"| {LABELS[key]} | ×{scale:g} | {_fmt(row['value'], scale)} ± "
                f"{_fmt(row['error'], scale)} | {_fmt(row['floor'], scale)} ± "
                f"{_fmt(row['floor_error'], scale)} | "
                f"{ratio_text(row)} |")
    return lines


def recipe_lines() -> list[str]:
    recipe = recipe_description()
    lines = [f"- generator: {recipe['generator']}; {recipe['jet_algorithm']}; "
             f"{recipe['selection']}",
             f"- Pythia settings: `{'`, `'.join(recipe['common'])}`"]
    for cls, settings in recipe["process"].items():
        lines.append(f"- {cls}: `{'`, `'.join(settings)}`")
    return lines


def _file_seed(path: str) -> str:
    """The generation seed a data file records, when the file is at hand."""
    from .errors import JetgenError
    from .io import read_provenance

    try:
        return str(read_provenance(path).get("seed", "not recorded"))
    except (JetgenError, OSError):  # a card must not fail because an old data file has gone
        return "not at hand"


def _files_and_seeds(paths) -> tuple[str, str]:
    """Each file once, in order, and the distinct seeds they record, as text."""
    files = list(dict.fromkeys(str(p) for p in paths))
    return ", ".join(files), ", ".join(dict.fromkeys(_file_seed(p) for p in files))


def data_lines(meta: dict) -> list[str]:
    """The card's data section: the files of the last training run, their seeds, and
    how they were split (a 70/15/15 split in file order, or used whole beside separate
    validation files)."""
    files, seeds = _files_and_seeds(meta.get("training_data", []))
    head = f"- files of the last training run: {files} (`jetgen data generate`, seed {seeds})"
    validation = meta.get("validation_data")
    if validation:
        val, val_seeds = _files_and_seeds(validation)
        return [head + "; used whole for training",
                f"- validation: {val} (seed {val_seeds}), used whole"]
    return [head + "; 70 / 15 / 15 % train / validation / test split within each class, "
            "in file order"]


def schedule_text(run: dict) -> str:
    warmup, total = run.get("warmup_steps"), run.get("total_steps")
    kind = run.get("lr_schedule", "cosine")
    if kind == "constant":
        return f"warm-up {warmup}, then constant"
    if kind == "anneal":
        return (f"warm-up {warmup}, constant to step {run.get('anneal_from')}, then cosine to "
                f"zero at step {total}")
    return f"warm-up {warmup}, cosine to step {total}"


def build_card(weights: Path, name: str, *, role: str, summary: str,
               evaluation: dict | None = None, eval_settings: str = "",
               training: dict | None = None, notes: list[str] | None = None) -> str:
    """The markdown card of ``weights`` (a jetgen safetensors file)."""
    meta = read_metadata(weights)
    model, _ = read_model(weights, "cpu")
    cfg = model.config
    n_particle = sum(p.numel() for p in model.particle.parameters())
    n_jet = sum(p.numel() for p in model.jet.parameters())
    run = meta.get("run", {}).get("train", {})
    lines = [f"# {name}", "", summary, "",
             "## Model", "",
             f"- role: {role}",
             f"- classes: {', '.join(cfg.classes)}; {cfg.n_particles} particles per jet",
             f"- particle network: {cfg.net.kind} (dim {cfg.net.dim}, depth {cfg.net.depth}), "
             f"{n_particle:,} parameters; parameterisation: {cfg.parameterization}",
             f"- jet-level model (pT, η, mass, n | class): residual MLP, {n_jet:,} parameters, "
             f"sampled with {cfg.jet_sampler} × {cfg.jet_steps} steps ({cfg.jet_schedule})",
             f"- default sampling: {cfg.sampler}, {cfg.steps} steps, {cfg.schedule} σ schedule"
             + ("; particle network in bf16 where the hardware runs it natively (`--precision "
                "auto`, the default), else fp32" if cfg.precision == "bf16" else ""),
             "- conditioning: class one-hot and the jet's (pT, η, mass, n)"]
    if meta.get("distillation"):
        d = meta["distillation"]
        part = " of the jet-level model" if d.get("part") == "jet" else ""
        lines.append(f"- distilled by {d['method']} (stage {d.get('stage')}{part}) from "
                     f"{Path(str(meta.get('teacher'))).name}")
    lines += ["", "## Training data", "", *data_lines(meta), *recipe_lines(),
              "", "## Training", ""]
    if run:
        stage = "last stage's optimiser steps" if meta.get("distillation") else "optimiser steps"
        lines.append(f"- {stage}: {meta.get('train_step')}; batch {run.get('batch_size')} "
                     f"jets; AdamW lr {run.get('lr')} ({schedule_text(run)}); "
                     f"EMA {run.get('ema_decay')}")
    for key, value in (training or {}).items():
        lines.append(f"- {key}: {value}")
    if evaluation is not None:
        lines += ["", "## Metrics against the truth floor (held-out test split)", "",
                  eval_settings or "`jetgen eval` against the test split."]
        lines += metrics_table(evaluation)
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    lines += ["", "## Licence", "", "MIT (weights and code).", ""]
    return "\n".join(lines)
