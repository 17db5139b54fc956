"""The campaign's validation score (#23) of any weights files, side by side.

    python scripts/physics_score.py runs/a/ema.safetensors pythia30-adv1 --jets 1000

Each model samples --jets jets per class through its whole chain (its jet-level model,
default sampler and steps, the fixed validation seeds) and is compared with the same
validation jets (data/campaign/val: seed 2, never trained on), exactly as the training
runs' physics validations (evaluation/validation.py): W1 of constituent mass/pT, τ21, τ32,
D2 and FPND_ref over their floors, and the geometric mean. Validation numbers, for
choosing between models; cards report the test split.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from jetgen.data.splits import load_splits
from jetgen.evaluation.validation import METRICS, PhysicsValidation
from jetgen.models.checkpoint import read_model
from jetgen.registry import resolve_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="weights files or model names")
    parser.add_argument("--jets", type=int, default=1000, help="jets per class")
    parser.add_argument("--val", type=Path, default=Path("data/campaign/val"))
    parser.add_argument("--json", type=Path, help="also write the records here")
    args = parser.parse_args(argv)
    files = sorted(args.val.glob("*30.h5"))
    if not files:
        print(f"no validation files in {args.val}", file=sys.stderr)
        return 1
    first = read_model(resolve_model(args.models[0])[0])[0]
    classes = first.config.classes
    val = load_splits(files, first.config.n_particles, classes, files)[1]
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        judge = PhysicsValidation(val, classes, args.jets, Path(tmp))
        for name in args.models:
            model = read_model(resolve_model(name)[0])[0]
            records[name] = judge.score(model, 0)
    print(f"validation score, {judge.n_jets} jets per class (value / floor)")
    print(f"{'model':50s} {'score':>6s}  worst five")
    for name, rec in records.items():
        ratios = [(e[k]["ratio"], f"{c} {k}") for c, e in rec["classes"].items() for k in METRICS]
        worst = ", ".join(f"{label} {r:.1f}" for r, label in sorted(ratios, reverse=True)[:5])
        print(f"{name[-50:]:50s} {rec['score']:6.2f}  {worst}")
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
