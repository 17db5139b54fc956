"""Every shipped card's metric table, from one command with one protocol.

    python scripts/cards.py                       # every model in weights/models.json
    python scripts/cards.py pythia30-epic1 --n 10000
    python scripts/cards.py pythia30-teacher --data-dir data/campaign/test --split all

For each model: ``jetgen sample`` --n jets of every class it knows (seed --seed, the
model's own default sampler, steps and precision), then ``jetgen eval`` against the test
split of the training files in --data-dir (the floor from two disjoint test halves at the
same n, --bootstrap batches, metric seed 0). The card's "Metrics" section and the
registry's ``metrics`` and ``card_protocol`` are replaced; the rest of the card (what the
model is, how it was trained) is kept. The raw `jetgen eval` JSON lands in cards/.

Maintainers' tool, not part of the installed package: it needs the training data
(``jetgen data generate --jet X --n 150000 --seed 1 -o data/X30.h5``).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from jetgen.evaluation import evaluate
from jetgen.evaluation.report import write_json
from jetgen.modelcard import metrics_table
from jetgen.registry import REGISTRY_FILE, catalogue, sha256_file, weights_dir
from jetgen.sampling.run import sample_to_file

#: The protocol every card states (and the slow test in tests/test_cards.py re-runs).
PROTOCOL = {"n": 10_000, "seed": 2026, "bootstrap": 5, "metric_seed": 0, "split": "test"}
OUT = Path("cards")


def protocol_text(protocol: dict, data: list[str]) -> str:
    files = ", ".join(str(Path(p)) for p in data)
    if protocol["split"] == "all":
        reference = (f"all of {files} (a test sample of its own: independent seed, never "
                     "trained or validated on)")
        halves = "those files"
    else:
        reference, halves = f"the {protocol['split']} split of {files}", "that split"
    return (f"`python scripts/cards.py` at commit {protocol.get('commit', 'unknown')[:12]} "
            f"(protocol: `jetgen sample --n {protocol['n']:,}` per "
            f"class, `--seed {protocol['seed']}`, the model's default sampler and precision; "
            f"`jetgen eval --jets {protocol['n']:,} --bootstrap {protocol['bootstrap']} "
            f"--seed {protocol['metric_seed']}` against {reference}; the truth "
            f"floor is the same metric between two disjoint halves of {halves} at the same n; "
            "where the floor is consistent with zero within 2σ, a lower bound "
            "\"> x\" = value / (floor + 2σ)). "
            f"n = {protocol['n']:,} generated vs {protocol['n']:,} test jets per class; "
            f"sampling seed {protocol['seed']}, metric seed {protocol['metric_seed']}. "
            "Training data: jetgen's own Pythia sample, not "
            "the JetNet dataset.")


def measure(name: str, protocol: dict, data: list[str], work: Path) -> dict:
    """Sample and evaluate one model; the eval result (JSON-ready dict)."""
    entry = catalogue().models[name]
    out = work / f"{name}.h5"
    sample_to_file(out, model=name, classes=[["g", "q", "t", "w", "z"].index(c)
                                             for c in entry["classes"]],
                   n=protocol["n"], seed=protocol["seed"], batch_size=4096, overwrite=True)
    return evaluate(out, data, n_jets=protocol["n"], seed=protocol["metric_seed"],
                    reference_split=protocol["split"], bootstrap=protocol["bootstrap"],
                    cache=False)


def replace_metrics(card: str, section: str) -> str:
    """The card with its metrics section (up to the next ``## ``) replaced."""
    pattern = re.compile(r"## Metrics.*?(?=\n## |\Z)", re.S)
    if pattern.search(card):
        return pattern.sub(lambda _: section.rstrip("\n") + "\n", card, count=1)
    return card.replace("\n## Licence", f"\n{section}\n## Licence", 1)


def update(name: str, result: dict, protocol: dict, data: list[str]) -> None:
    folder = weights_dir()
    section = "\n".join(["## Metrics against the truth floor (held-out test split)", "",
                         protocol_text(protocol, data), *metrics_table(result), ""])
    card_path = folder / f"{name}.md"
    card_path.write_text(replace_metrics(card_path.read_text(), section))
    registry = folder / REGISTRY_FILE
    listing = json.loads(registry.read_text())
    for entry in listing["models"]:
        if entry["name"] == name:
            entry["metrics"] = {c: {k: {"value": v["value"], "error": v.get("error"),
                                        "floor": v["floor"], "floor_error": v.get("floor_error"),
                                        "ratio": v["ratio"],
                                        "ratio_lower": v.get("ratio_lower")}
                                    for k, v in e["metrics"].items()}
                                for c, e in result["classes"].items()}
            entry["card_protocol"] = {**protocol, "data": [str(p) for p in data],
                                      "model_sha256": sha256_file(folder / entry["file"])}
    registry.write_text(json.dumps(listing, indent=2) + "\n")


def head_commit() -> str:
    """The commit the measurement ran at (with "+dirty" when the tree had changes)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        return commit + ("+dirty" if git("status", "--porcelain", "--", "src") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def recorded_commit(name: str) -> str:
    """For a card JSON written before commits were recorded: the commit that added it."""
    try:
        return subprocess.run(["git", "log", "-1", "--format=%H", "--", str(OUT / f"{name}.json")],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def rerender(names: list[str], protocol: dict, data: list[str]) -> None:
    """Rewrite cards and registry rows from the stored eval JSON (no re-measurement)."""
    from jetgen.evaluation.ratios import ratio_fields

    for name in names:
        path = OUT / f"{name}.json"
        result = json.loads(path.read_text())
        for entry in result["classes"].values():
            for row in entry["metrics"].values():
                values = [math.nan if row.get(k) is None else row[k]
                          for k in ("value", "error", "floor", "floor_error")]
                row.update(ratio_fields(*values))
        stored = result.get("card_protocol", {})
        commit = stored.get("commit") or recorded_commit(name)
        used = {**protocol, **stored, "commit": commit}
        result["card_protocol"] = used
        path.write_text(json.dumps(result, indent=2) + "\n")
        update(name, result, used, data)
        print(f"{name}: card re-rendered from {path} (measured at {commit[:12]})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="models to re-card (default: all shipped)")
    parser.add_argument("--n", type=int, default=PROTOCOL["n"])
    parser.add_argument("--seed", type=int, default=PROTOCOL["seed"])
    parser.add_argument("--bootstrap", type=int, default=PROTOCOL["bootstrap"])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--split", default=PROTOCOL["split"], choices=("test", "all"),
                        help="the reference: the test split of --data-dir's training files, "
                        "or all of its files when they are a test sample of their own "
                        "(e.g. data/campaign/test, seed 3; n per class needs 2n jets)")
    parser.add_argument("--rerender", action="store_true",
                        help="rewrite cards from the stored cards/NAME.json, measuring nothing")
    args = parser.parse_args(argv)
    protocol = {**PROTOCOL, "n": args.n, "seed": args.seed, "bootstrap": args.bootstrap,
                "split": args.split, "commit": head_commit()}
    names = args.names or list(catalogue().models)
    data = [str(args.data_dir / f"{c}30.h5") for c in ("g", "q", "t", "w", "z")]
    if args.rerender:
        rerender(names, protocol, data)
        return 0
    missing = [p for p in data if not Path(p).exists()]
    if missing:
        print(f"cards.py: training data missing: {', '.join(missing)}", file=sys.stderr)
        return 1
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            result = measure(name, protocol, data, Path(tmp))
            result["card_protocol"] = protocol
            write_json(result, OUT / f"{name}.json")
            update(name, result, protocol, data)
            print(f"{name}: card and registry metrics from n={protocol['n']} per class")
    return 0


if __name__ == "__main__":
    sys.exit(main())
