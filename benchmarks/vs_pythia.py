"""Fast simulation against its reference: jets/s of `jetgen sample` (the default model, or
--model) and of `jetgen data generate` (Pythia 8 + FastJet), side by side on the same cores.

    python benchmarks/vs_pythia.py
    python benchmarks/vs_pythia.py --jet g --n 20000 --pythia-n 4000 --precision auto fp32

Both sides use every core (Pythia: one worker process per core; jetgen: one process with
as many torch threads) and both end with a written file, so the ratio is what a user gets.
Prints a table; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from jetgen.data.generate import generate
from jetgen.jets import parse_classes
from jetgen.models.checkpoint import read_metadata
from jetgen.precision import SAMPLE_PRECISIONS
from jetgen.registry import default_model_name, resolve_model
from jetgen.sample import sample_to_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="default: the shipped default model")
    parser.add_argument("--jet", default="t")
    parser.add_argument("--n", type=int, default=50_000, help="jets for jetgen sample")
    parser.add_argument("--pythia-n", type=int, default=2_000, help="jets for Pythia")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--precision", nargs="+", default=["auto"], choices=SAMPLE_PRECISIONS,
                        help="jetgen sample --precision values to time (one row each; "
                        "default: auto, what `jetgen sample` does by default)")
    args = parser.parse_args()
    classes = parse_classes([args.jet])
    torch.set_num_threads(args.cores)
    path, _ = resolve_model(args.model)
    config = read_metadata(path)["config"]
    name = args.model or default_model_name()

    with tempfile.TemporaryDirectory() as tmp:
        summary = generate(Path(tmp) / "pythia.h5", classes, args.pythia_n,
                           workers=args.cores, seed=7)
        pythia_rate = summary["jets_per_second"]

        jetgen_rates = {}
        for precision in args.precision:
            start = time.perf_counter()
            ran = sample_to_file(Path(tmp) / f"jetgen-{precision}.root", model=str(path),
                                 classes=classes, n=args.n, seed=7, batch_size=args.batch_size,
                                 precision=precision)["precision"]
            label = f"{precision} → {ran}" if precision == "auto" else precision
            jetgen_rates[label] = args.n / (time.perf_counter() - start)

    table = Table(title=f"{args.jet} jets on {args.cores} cores (files written)")
    for col in ("generator", "settings", "jets", "jets/s"):
        table.add_column(col, justify="right" if col in ("jets", "jets/s") else "left")
    table.add_row("Pythia 8 + FastJet", f"{args.cores} workers, JetNet recipe",
                  f"{args.pythia_n:,}", f"{pythia_rate:,.1f}")
    for precision, rate in jetgen_rates.items():
        table.add_row(f"jetgen sample ({name})",
                      f"{config['sampler']} × {config['steps']}, jet level "
                      f"{config['jet_sampler']} × {config['jet_steps']}, batch "
                      f"{args.batch_size}, {precision}", f"{args.n:,}", f"{rate:,.1f}")
    console = Console()
    console.print(table)
    for precision, rate in jetgen_rates.items():
        console.print(f"speed-up ({precision}): {rate / pythia_rate:,.1f}× (target ≥ 50×)")


if __name__ == "__main__":
    main()
