"""Time against fidelity, as PC-Droid's plot: jets/s of each sampler set-up against its
W1M, W1EFP and FPND ratios to the truth floor (the held-out test split).

    python benchmarks/tradeoff.py --teacher runs/teacher30 --progressive runs/pd \\
        --consistency runs/cd --reference data/t30.h5 --jet t --jets 5000 -o tradeoff

Rows: the teacher at --teacher-steps (default 100/50/20/10), every progressive student
found under --progressive (its own step count), consistency students at
--consistency-steps (default 1/2/5), and --compressed students (cheaper networks).
Each checkpoint carries its own jet-level model (pT, η, mass, multiplicity), which W1M
and the rest depend on as much as on the particle sampler: the "jet level" column names
the network each row used (J1, J2, … by content, legend under the table) and its sampler
× steps, so only rows with the same entry there compare the particle sampling alone
(--jet-level makes the sampler the same; the network stays each checkpoint's own).
Writes OUT.json and OUT.png; prints a table. Nothing is asserted: read the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from jetgen.evaluation import evaluate
from jetgen.jets import CLASSES, Jets, parse_classes
from jetgen.models.checkpoint import read_model
from jetgen.registry import resolve_model
from jetgen.sampling.batch import generate_batch
from jetgen.sampling.precision import SAMPLE_PRECISIONS, resolve_precision

METRICS = ("w1m", "w1p", "w1efp", "fpd", "kpd", "fpnd_ref")


def jet_level_sha256(model) -> str:
    """Content hash of the jet-level network and the standardisation it samples through."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.jet.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(repr((model.standardiser.jet_mean, model.standardiser.jet_std)).encode())
    return digest.hexdigest()


def sample_timed(path: Path, class_id: int, n: int, steps: int, batch: int, seed: int,
                 sampler: str | None = None, precision: str = "fp32",
                 jet_level: tuple[str, int] | None = None) -> tuple[Jets, float, str, dict]:
    model, _ = read_model(path, "cpu")
    cfg = model.config
    precision = resolve_precision(precision, cfg.precision, torch.device("cpu"))
    if jet_level is not None:
        cfg.jet_sampler, cfg.jet_steps = jet_level
        cfg.jet_schedule = "karras"
    used = {"sha256": jet_level_sha256(model), "model": str(path), "sampler": cfg.jet_sampler,
            "steps": cfg.jet_steps, "schedule": cfg.jet_schedule}
    jet_type = np.full(n, class_id, np.int32)

    def run(lo: int, hi: int) -> Jets:
        return generate_batch(model, jet_type[lo:hi],
                              np.arange(seed + lo, seed + hi, dtype=np.uint64),
                              sampler=sampler or cfg.sampler, steps=steps,
                              schedule=cfg.schedule, precision=precision)

    run(0, min(n, batch))  # warm-up (first-call allocations), not timed
    parts = []
    start = time.perf_counter()
    for lo in range(0, n, batch):
        parts.append(run(lo, min(n, lo + batch)))
    rate = n / (time.perf_counter() - start)
    return Jets.concatenate(parts), rate, precision, used


def setups(args) -> list[tuple[str, Path, int, str | None]]:
    rows = []
    teacher = resolve_model(args.teacher)[0]
    samplers = args.teacher_samplers or [read_model(teacher, "cpu")[0].config.sampler]
    rows += [(f"teacher {name} {s} steps", teacher, s, name)
             for name in samplers for s in args.teacher_steps]
    if args.progressive:
        for path in sorted(Path(args.progressive).glob("round*/ema.safetensors"),
                           key=lambda p: -read_model(p, "cpu")[0].config.steps):
            steps = read_model(path, "cpu")[0].config.steps
            rows.append((f"progressive {steps} steps", path, steps, None))
    if args.consistency:
        student = resolve_model(args.consistency)[0]
        rows += [(f"consistency {s} steps", student, s, None) for s in args.consistency_steps]
    for name in args.compressed or []:
        path = resolve_model(name)[0]
        cfg = read_model(path, "cpu")[0].config
        rows.append((f"compressed {cfg.net.kind} {cfg.steps} step"
                     f"{'s' if cfg.steps > 1 else ''}", path, cfg.steps, None))
    return rows


def plot(results: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharex=True)
    for ax, metric in zip(axes, ("w1m", "w1efp", "fpnd_ref"), strict=True):
        for family, marker in (("teacher", "o"), ("progressive", "s"), ("consistency", "^"),
                               ("compressed", "*")):
            pts = [(r["jets_per_s"], r["ratios"].get(metric)) for r in results
                   if r["name"].startswith(family) and r["ratios"].get(metric) is not None]
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, marker=marker, linestyle="-", label=family)
        ax.axhline(1.0, color="grey", linestyle=":", label="truth floor")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("jets / s (this CPU)")
        ax.set_ylabel(f"{metric.upper()} / truth floor")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher")
    parser.add_argument("--teacher-steps", type=int, nargs="*", default=[100, 50, 20, 10])
    parser.add_argument("--teacher-samplers", nargs="*",
                        help="teacher samplers to compare (default: its own)")
    parser.add_argument("--progressive", help="a `jetgen distill` output directory")
    parser.add_argument("--consistency", help="a consistency student (file, dir or name)")
    parser.add_argument("--consistency-steps", type=int, nargs="*", default=[1, 2, 5])
    parser.add_argument("--compressed", nargs="*", help="students of `jetgen distill --method "
                        "compress` (files or names), each at its own steps")
    parser.add_argument("--reference", help="jetgen data file (test split)")
    parser.add_argument("--split", default="test", choices=["val", "test"],
                        help="reference split: tune on val, report on test")
    parser.add_argument("--jet", default="t")
    parser.add_argument("--jets", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--precision", default="fp32", choices=SAMPLE_PRECISIONS,
                        help="particle network precision for every row (jetgen sample "
                        "--precision; auto: each model's own)")
    parser.add_argument("--jet-level", nargs=2, metavar=("SAMPLER", "STEPS"),
                        help="sample every row's jet kinematics this way (default: each "
                        "model's own), so rows differ only in the particle sampling")
    parser.add_argument("-o", "--output", default="tradeoff")
    parser.add_argument("--from-json", type=Path,
                        help="re-render the table and plot of an earlier run's OUT.json")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        report(saved["rows"], saved["settings"], args.from_json)
        return
    if not (args.teacher and args.reference):
        parser.error("--teacher and --reference are required (unless --from-json)")
    class_id = parse_classes([args.jet])[0]
    console = Console()
    jet_level = (args.jet_level[0], int(args.jet_level[1])) if args.jet_level else None
    results = []
    for name, path, steps, sampler in setups(args):
        jets, rate, ran, used = sample_timed(path, class_id, args.jets, steps, args.batch,
                                       args.seed, sampler, args.precision, jet_level)
        if args.precision == "auto":
            name = f"{name} ({ran})"
        ev = evaluate(jets, args.reference, n_jets=args.jets, seed=args.seed,
                      classes=[CLASSES[class_id]], reference_split=args.split)
        metrics = ev["classes"][CLASSES[class_id]]["metrics"]
        results.append({"name": name, "model": str(path), "steps": steps, "jets_per_s": rate,
                        "precision": ran, "jet_level": used,
                        "ratios": {k: metrics[k]["ratio"] for k in METRICS if k in metrics},
                        "metrics": {k: metrics[k] for k in METRICS if k in metrics}})
        console.print(f"{name}: {rate:,.1f} jets/s, W1M ×{results[-1]['ratios']['w1m']:.2f}")
    out = Path(args.output)
    out.with_suffix(".json").write_text(json.dumps({"settings": vars(args), "rows": results},
                                                   indent=1, default=str))
    report(results, vars(args), out)


def cell(metric: dict) -> str:
    """The ratio to the floor where the floor is measured (above twice its error); else the
    raw value in the metric's display unit, in brackets (a ratio to ~0 means nothing)."""
    floor, error = metric.get("floor"), metric.get("floor_error") or 0.0
    if metric.get("ratio") and floor is not None and floor > 2 * error:
        return f"{metric['ratio']:.2f}"
    scale = metric.get("scale") or 1.0
    return f"({metric['value'] / scale:.3g})"


def jet_level_labels(results: list[dict]) -> dict[str, tuple[str, str]]:
    """sha256 → (J1, J2, … in order of first use, the first model file that carried it)."""
    labels: dict[str, tuple[str, str]] = {}
    for r in results:
        used = r.get("jet_level")
        if used and used["sha256"] not in labels:
            labels[used["sha256"]] = (f"J{len(labels) + 1}", Path(used["model"]).name)
    return labels


def report(results: list[dict], settings: dict, out: Path) -> None:
    console = Console(width=160)
    table = Table(title=f"{settings['jet']} jets, {settings['jets']:,} per set-up, "
                  f"{settings['split']} split, {settings.get('precision', 'fp32')}: ratio to "
                  "the truth floor, or (value × unit) where the floor is consistent with 0")
    labels = jet_level_labels(results)
    for col in ("set-up", "jet level", "jets/s", *[k.upper() for k in METRICS]):
        table.add_column(col, justify="left" if col in ("set-up", "jet level") else "right")
    for r in results:
        used = r.get("jet_level")
        level = (f"{labels[used['sha256']][0]} {used['sampler']}×{used['steps']}" if used
                 else "? (older run)")
        table.add_row(r["name"], level, f"{r['jets_per_s']:,.1f}",
                      *[cell(r["metrics"][k]) if k in r["metrics"] else "–" for k in METRICS])
    console.print(table)
    for sha, (label, model) in labels.items():
        console.print(f"{label}: the jet-level network of {model} (sha256 {sha[:12]}…)")
    if len(labels) > 1:
        console.print("[yellow]rows with different jet-level networks differ in more than "
                      "the particle sampling[/yellow]: compare like with like (same J)")
    units = {k: results[0]["metrics"][k].get("scale") for k in METRICS
             if k in results[0]["metrics"]}
    if settings.get("jet_level_note"):
        console.print(f"jet level: {settings['jet_level_note']}")
    console.print("units of bracketed values: " + ", ".join(
        f"{k.upper()} ×{v:g}" for k, v in units.items() if v))
    plot(results, out.with_suffix(".png"))
    console.print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
