"""Judge #23's teacher bake-off: every design's EMA weights on the validation split.

    python scripts/bakeoff.py                     # runs/bakeoff/{t96x4,t128x6,epic128}
    python scripts/bakeoff.py --jets 5000 t96x4 epic128

Each design samples --jets jets per class through its whole chain (jet-level model, then
constituents; its default sampler and steps; fixed seeds) and is compared with the same
validation jets: W1 of constituent mass/pT, τ21, τ32, D2 and FPND_ref, each over its floor
(two disjoint validation halves at the same n), and the score (their geometric mean) that
picks the winner. Never the test sample: that is for the winner's card. Writes
benchmarks/results/teacher_bakeoff.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from jetgen.data.splits import load_splits
from jetgen.evaluation.validation import METRICS, PhysicsValidation
from jetgen.models.checkpoint import read_model

OUT = Path("benchmarks/results")
DESIGNS = ("t96x4", "t128x6", "epic128")


def run_summary(run: Path) -> dict:
    """Training step, parameters and the last logged losses of a run."""
    model, meta = read_model(run / "ema.safetensors")
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x]
    val = [x for x in lines if "val_particle_loss" in x]
    return {"model": model, "step": int(meta.get("train_step", 0)),
            "parameters": sum(p.numel() for p in model.particle.parameters()),
            "val_particle_loss": val[-1]["val_particle_loss"] if val else None,
            "jets_per_s": lines[-1].get("jets_per_s") if lines else None}


def shipped_summary(name: str) -> dict:
    """A shipped model judged beside the designs (e.g. today's pythia30-teacher)."""
    from jetgen.registry import resolve_model

    model, meta = read_model(resolve_model(name)[0])
    return {"model": model, "step": int(meta.get("train_step", 0)),
            "parameters": sum(p.numel() for p in model.particle.parameters()),
            "val_particle_loss": None, "jets_per_s": None}


def markdown(results: dict, n: int) -> list[str]:
    classes = list(next(iter(results.values()))["classes"])
    head = ["design", "step", "particle-net params", "val loss", "score",
            *(f"{c} {k}" for c in classes for k in METRICS)]
    lines = [f"Validation split, {n:,} generated vs {n:,} real jets per class; each cell is "
             "value / floor (floor: two disjoint validation halves at the same n); score = "
             "geometric mean of all cells.", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for name, r in results.items():
        cells = [name, str(r["step"]), f"{r['parameters']:,}",
                 f"{r['val_particle_loss']:.4f}" if r["val_particle_loss"] else "–",
                 f"**{r['score']:.2f}**",
                 *(f"{r['classes'][c][k]['ratio']:.2f}" for c in classes for k in METRICS)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def from_history(designs: list[str], runs_dir: Path, steps: list[int]) -> tuple[dict, int]:
    """Rows from the runs' own physics validations (validation.json) at the given steps:
    the same seeds, validation jets and floors as bakeoff.py at the runs' physics_jets."""
    results, n = {}, 0
    for name in designs:
        run = run_summary(runs_dir / name)
        record = json.loads((runs_dir / name / "validation.json").read_text())
        n = record["n_jets_per_class"]
        lines = [json.loads(x) for x in (runs_dir / name / "metrics.jsonl").read_text()
                 .splitlines() if x]
        for h in record["history"]:
            if h["step"] in steps:
                loss = [x["val_particle_loss"] for x in lines
                        if x["step"] == h["step"] and "val_particle_loss" in x]
                results[f"{name} @ {h['step']}"] = {
                    **{k: v for k, v in run.items() if k != "model"}, **h,
                    "val_particle_loss": loss[-1] if loss else None}
    return results, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("designs", nargs="*", default=list(DESIGNS))
    parser.add_argument("--name", default="teacher_bakeoff", help="output file stem")
    parser.add_argument("--jets", type=int, default=5000)
    parser.add_argument("--runs", type=Path, default=Path("runs/bakeoff"))
    parser.add_argument("--baseline", action="append", default=[],
                        help="a shipped model to judge beside them (repeatable)")
    parser.add_argument("--data-dir", type=Path, default=Path("data/campaign/val"),
                        help="validation files X30.h5, used whole (scripts/campaign_data.sh)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--history-steps", type=int, nargs="+",
                        help="tabulate the runs' own validations at these steps instead")
    args = parser.parse_args(argv)
    if args.history_steps:
        results, n = from_history(args.designs, args.runs, args.history_steps)
        table = markdown(results, n)
        (args.out / f"{args.name}.md").write_text("\n".join(table) + "\n")
        print("\n".join(table))
        return 0
    runs = {name: run_summary(args.runs / name) for name in args.designs}
    runs.update({name: shipped_summary(name) for name in args.baseline})
    classes = next(iter(runs.values()))["model"].config.classes
    data = [args.data_dir / f"{c}30.h5" for c in classes]
    missing = [str(p) for p in data if not p.exists()]
    if missing:
        print(f"bakeoff.py: training data missing: {', '.join(missing)} "
              "(SESSION=K scripts/campaign_data.sh)", file=sys.stderr)
        return 1
    torch.set_num_threads(1)
    _, val = load_splits(data, 30, classes, val_paths=data)
    t0 = time.perf_counter()
    judge = PhysicsValidation(val, classes, args.jets, args.out / "bakeoff")
    print(f"floors from {judge.n_jets:,} + {judge.n_jets:,} validation jets per class "
          f"({time.perf_counter() - t0:.0f} s)")
    results = {}
    for name, run in runs.items():
        t0 = time.perf_counter()
        record = judge.score(run.pop("model"), run["step"])
        results[name] = {**run, **record, "judge_seconds": time.perf_counter() - t0}
        print(f"{name}: step {run['step']}, score {record['score']:.3f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(
        {"n_jets_per_class": judge.n_jets, "split": "val", "results": results}, indent=1) + "\n")
    table = markdown(results, judge.n_jets)
    (args.out / f"{args.name}.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
