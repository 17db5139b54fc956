"""Fast simulation against its reference: jets/s of `jetgen sample` (the default model, or
--model) and of `jetgen data generate` (Pythia 8 + FastJet), side by side on the same cores.

    python benchmarks/vs_pythia.py
    python benchmarks/vs_pythia.py --jet g --n 20000 --pythia-n 4000 --precision auto fp32

Both sides are timed the same way: as whole CLI processes (`jetgen sample ...` and
`jetgen data generate ...`), wall clock from launch to exit, so Python and torch start-up,
model loading and the written file are all in, as a user gets them. Both use every core
(Pythia: one worker process per core; jetgen: one process with as many torch threads).
Prints a table; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from jetgen.jets import CLASSES, parse_classes
from jetgen.models.checkpoint import read_metadata
from jetgen.registry import default_model_name, resolve_model
from jetgen.sampling.precision import SAMPLE_PRECISIONS


def jetgen_command() -> list[str]:
    """`jetgen` of this interpreter's environment (else `python -m jetgen`)."""
    script = Path(sys.executable).parent / "jetgen"
    return [str(script)] if script.exists() else [sys.executable, "-m", "jetgen"]


def timed(args: list[str], cores: int) -> float:
    """Wall seconds of one `jetgen ARGS` process, start-up to exit."""
    env = {**os.environ, "TERM": "dumb", "OMP_NUM_THREADS": str(cores)}
    start = time.perf_counter()
    subprocess.run([*jetgen_command(), *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


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
    parser.add_argument("--backend", nargs="+", default=["torch"],
                        choices=["torch", "onnxruntime"],
                        help="jetgen sample --backend values to time (onnxruntime runs fp32: "
                        "one row, whatever --precision)")
    args = parser.parse_args()
    jet = CLASSES[parse_classes([args.jet])[0]]
    path, _ = resolve_model(args.model)
    config = read_metadata(path)["config"]
    name = args.model or default_model_name()

    with tempfile.TemporaryDirectory() as tmp:
        pythia_s = timed(["data", "generate", "--jet", jet, "--n", str(args.pythia_n),
                          "--workers", str(args.cores), "--seed", "7",
                          "-o", str(Path(tmp) / "pythia.h5")], args.cores)
        pythia_rate = args.pythia_n / pythia_s

        jetgen_rates = {}
        runs = [(b, p) for b in args.backend
                for p in (args.precision if b == "torch" else ["fp32"])]
        for backend, precision in runs:
            if backend == "onnxruntime":  # export once, outside the timing (cached after)
                timed(["sample", "--model", str(path), "--jet", jet, "--n", "10",
                       "--backend", backend, "-o", str(Path(tmp) / "warm.root")], args.cores)
            seconds = timed(["sample", "--model", str(path), "--jet", jet, "--n", str(args.n),
                             "--seed", "7", "--batch-size", str(args.batch_size),
                             "--precision", precision, "--backend", backend,
                             "-o", str(Path(tmp) / f"jetgen-{backend}-{precision}.root")],
                            args.cores)
            jetgen_rates[f"--backend {backend} --precision {precision}"] = (args.n / seconds,
                                                                           seconds)

    table = Table(title=f"{args.jet} jets on {args.cores} cores: each side one whole CLI "
                  "process (`jetgen data generate` / `jetgen sample`), timed launch to exit, "
                  "start-up and written file included")
    for col in ("generator", "settings", "jets", "wall s", "jets/s"):
        table.add_column(col, justify="left" if col in ("generator", "settings") else "right")
    table.add_row("jetgen data generate (Pythia 8 + FastJet)",
                  f"{args.cores} workers, JetNet recipe", f"{args.pythia_n:,}",
                  f"{pythia_s:,.1f}", f"{pythia_rate:,.1f}")
    for precision, (rate, seconds) in jetgen_rates.items():
        table.add_row(f"jetgen sample ({name})",
                      f"{config['sampler']} × {config['steps']}, jet level "
                      f"{config['jet_sampler']} × {config['jet_steps']}, batch "
                      f"{args.batch_size}, {precision}", f"{args.n:,}",
                      f"{seconds:,.1f}", f"{rate:,.1f}")
    console = Console(width=140)
    console.print(table)
    for precision, (rate, _) in jetgen_rates.items():
        console.print(f"speed-up ({precision}): {rate / pythia_rate:,.1f}× "
                      "(target ≥ 50×)")
    console.print("start-up counts against both sides: at small --n / --pythia-n it "
                  "dominates; the ratio approaches the sustained one as both grow.")

if __name__ == "__main__":
    main()
