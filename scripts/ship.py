"""Ship a trained model: set its default sampling recipe (tuned on the validation split),
point its reference at the shipped reference sample, write its card from `jetgen eval`
JSON files (test split), and list it in weights/models.json.

    python scripts/ship.py runs/teacher30/ema.safetensors pythia30-teacher \\
        --sampler dpmpp_2m --steps 32 --eval ev/teacher_tg.json ev/teacher_qwz.json \\
        --summary "The conditional 30-particle teacher for g, q, t, W, Z."

Maintainers' tool, not part of the installed package.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from ship_model import ship_model  # scripts/ship_model.py, beside this script

from jetgen.evaluation.inputs import SHIPPED_PREFIX
from jetgen.modelcard import build_card
from jetgen.models.checkpoint import read_metadata, read_model, save_model

REFERENCE = "pythia30-reference.h5"


def merged_evaluation(paths: list[str]) -> dict | None:
    """Several `jetgen eval --json` results (one per class group) as one."""
    if not paths:
        return None
    merged: dict = {"classes": {}}
    for path in paths:
        merged["classes"].update(json.loads(Path(path).read_text())["classes"])
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights")
    parser.add_argument("name")
    parser.add_argument("--sampler")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--schedule")
    parser.add_argument("--jet-sampler")
    parser.add_argument("--jet-steps", type=int)
    parser.add_argument("--jet-schedule")
    parser.add_argument("--precision", help="the particle network's precision under "
                        "`jetgen sample --precision auto`")
    parser.add_argument("--eval", nargs="*", default=[])
    parser.add_argument("--eval-settings", default="")
    parser.add_argument("--summary", required=True)
    parser.add_argument("--note", action="append", default=[])
    parser.add_argument("--training", action="append", default=[],
                        help="KEY=VALUE lines for the card's training section")
    parser.add_argument("--default", action="store_true")
    parser.add_argument("--trained-on", default="jetgen Pythia sample (not JetNet)",
                        help="what `jetgen models` says the model was trained on")
    parser.add_argument("--data-note", default=(
        "jetgen's own Pythia 8 + FastJet sample made with `jetgen data generate` (JetNet's "
        "recipe re-run here), not the JetNet dataset: do not compare its numbers with "
        "published JetNet tables"), help="the registry's training_data_note")
    args = parser.parse_args()

    model, meta = read_model(args.weights)
    for key in ("sampler", "steps", "schedule", "jet_sampler", "jet_steps", "jet_schedule",
                "precision"):
        value = getattr(args, key)
        if value is not None:
            setattr(model.config, key, value)
    meta["reference"] = {"path": SHIPPED_PREFIX + REFERENCE, "split": "all",
                         "trained_on_test_split_of": meta.get("reference")}
    extra = {k: v for k, v in meta.items() if k not in ("format", "config", "standardiser")}
    evaluation = merged_evaluation(args.eval)
    training = dict(item.split("=", 1) for item in args.training)
    with tempfile.TemporaryDirectory() as tmp:
        staged = save_model(Path(tmp) / f"{args.name}.safetensors", model, metadata=extra)
        card = build_card(staged, args.name, role="student" if meta.get("distillation")
                          else "teacher", summary=args.summary, evaluation=evaluation,
                          eval_settings=args.eval_settings, training=training,
                          notes=args.note)
        metrics = {c: {k: {"value": v["value"], "floor": v["floor"], "ratio": v["ratio"]}
                       for k, v in e["metrics"].items()}
                   for c, e in (evaluation or {}).get("classes", {}).items()}
        target = ship_model(staged, args.name, {"metrics": metrics,
                                                "description": args.summary,
                                                "trained_on": args.trained_on,
                                                "training_data_note": args.data_note},
                            make_default=args.default, card_text=card)
    print(f"shipped {target} ({read_metadata(target)['config']['sampler']})")


if __name__ == "__main__":
    main()
