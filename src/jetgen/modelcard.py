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
    lines += ["", "## Training data", "",
              f"- files: {', '.join(Path(p).name for p in meta.get('training_data', []))} "
              "(`jetgen data generate`, seed 1); 70 / 15 / 15 % train / validation / test "
              "split within each class, in file order",
              *recipe_lines(),
              "", "## Training", ""]
    if run:
        stage = "last stage's optimiser steps" if meta.get("distillation") else "optimiser steps"
        lines.append(f"- {stage}: {meta.get('train_step')}; batch {run.get('batch_size')} "
                     f"jets; AdamW lr {run.get('lr')} (warm-up {run.get('warmup_steps')}, "
                     f"cosine to step {run.get('total_steps')}); EMA {run.get('ema_decay')}")
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
