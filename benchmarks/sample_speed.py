"""Jets/s of every sampler at 1, 10, 50, 100 steps, and peak memory of a large run.

    python benchmarks/sample_speed.py --model weights/pythia30-teacher.safetensors
    python benchmarks/sample_speed.py --model runs/teacher30 --jets 2000 --memory-n 100000

Prints a table; nothing here is asserted (speed is judged by reading the table).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from jetgen.diffusion.samplers import SAMPLERS, nfe
from jetgen.generate_jets import generate_batch
from jetgen.models.checkpoint import load_model
from jetgen.precision import SAMPLE_PRECISIONS, resolve_precision
from jetgen.registry import resolve_model
from jetgen.sample import resolve_device


def time_sampler(model, name: str, steps: int, n_jets: int, batch: int, device,
                 precision: str = "fp32") -> float:
    jet_type = np.arange(n_jets) % len(model.config.classes)
    start = time.perf_counter()
    for lo in range(0, n_jets, batch):
        hi = min(n_jets, lo + batch)
        generate_batch(model, jet_type[lo:hi], np.arange(lo, hi, dtype=np.uint64), sampler=name,
                       steps=steps, device=device, precision=precision)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n_jets / (time.perf_counter() - start)


def peak_memory_mb(model: str, n: int, device: str) -> float:
    """Peak RSS of a separate `jetgen sample` process writing n jets (1 step, Euler)."""
    code = (
        "import resource, sys, tempfile, pathlib; from jetgen.sample import sample_to_file;"
        "d = tempfile.mkdtemp(); "
        f"sample_to_file(pathlib.Path(d) / 'm.root', model={model!r}, classes=[2], n={n}, "
        f"steps=1, sampler='euler', device={device!r});"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--jets", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS))
    parser.add_argument("--precision", default="fp32", choices=SAMPLE_PRECISIONS)
    parser.add_argument("--memory-n", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    device = resolve_device(args.device)
    path, _ = resolve_model(args.model)
    model, _ = load_model(path, device)
    args.precision = resolve_precision(args.precision, model.config.precision, device)
    table = Table(title=f"jets/s on {device} ({torch.get_num_threads()} threads), {path.name}, "
                  f"{args.precision}")
    table.add_column("sampler")
    for steps in args.steps:
        table.add_column(f"{steps} steps")
    for name in args.samplers:
        row = [name]
        for steps in args.steps:
            rate = time_sampler(model, name, steps, args.jets, args.batch, device,
                                args.precision)
            row.append(f"{rate:,.0f} ({nfe(name, steps)} NFE)")
        table.add_row(*row)
    console = Console()
    console.print(table)
    mem = Table(title="peak RSS of `jetgen sample` (must not grow with n)")
    mem.add_column("n jets")
    mem.add_column("peak RSS [MB]")
    for n in args.memory_n:
        mem.add_row(f"{n:,}", f"{peak_memory_mb(str(path), n, str(device)):,.0f}")
    console.print(mem)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"this process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
