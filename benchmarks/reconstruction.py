"""How faithfully each deterministic ODE solver inverts itself on real jets: mean jet-image
L1 distance between jets and their encode → decode reconstructions, against steps.

    python benchmarks/reconstruction.py --model runs/teacher30 --data data/t30.h5
    python benchmarks/reconstruction.py --jets 100 --steps 4 8 16 32 64 --samplers heun rk4

Rows are the registry's deterministic solvers (euler, heun, ddim, dpmpp_2m, rk4, lms …),
columns the sampling steps used each way; each cell is the mean distance (0 = perfect;
Σ pT_rel of both jets, ≈ 2, when no pixel is shared; see jetgen.score.images) and the
network passes per jet for the round trip. Without --data the jets come from the model's
own sampler. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from score_setup import load_setup

from jetgen.errors import JetgenError
from jetgen.jets import Jets
from jetgen.models.jetmodel import JetModel
from jetgen.score.reconstruct import check_ode_sampler, ode_samplers, reconstruct_batch


def round_trip(model: JetModel, jets: Jets, sampler: str, steps: int, batch: int,
               device) -> tuple[float, float, float]:
    """(mean distance, network passes per jet, seconds)."""
    calls = []
    hook = model.particle.register_forward_pre_hook(lambda *_: calls.append(1))
    start = time.perf_counter()
    try:
        distances = [reconstruct_batch(model, jets[lo:lo + batch], sampler=sampler,
                                       steps=steps, device=device)[1]
                     for lo in range(0, len(jets), batch)]
    finally:
        hook.remove()
    batches = -(-len(jets) // batch)
    return (float(np.concatenate(distances).mean()), len(calls) / batches,
            time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="name or .safetensors (default: the "
                        "shipped default model)")
    parser.add_argument("--data", default=None, help="jets to reconstruct (default: sampled)")
    parser.add_argument("--jets", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--samplers", nargs="+", default=None,
                        help=f"default: all deterministic ({', '.join(ode_samplers())})")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    try:
        samplers = [check_ode_sampler(s) for s in (args.samplers or ode_samplers())]
    except JetgenError as err:
        sys.exit(f"reconstruction: {err}")
    model, path, device, jets = load_setup("reconstruction", args.model, args.device,
                                           args.data, args.jets)
    table = Table(title=f"mean jet-image L1 of ODE round trips, {len(jets)} jets, "
                  f"{path.name} on {device} ({torch.get_num_threads()} threads)")
    table.add_column("solver")
    for steps in args.steps:
        table.add_column(f"{steps} steps")
    total = 0.0
    for name in samplers:
        row = [name]
        for steps in args.steps:
            distance, passes, seconds = round_trip(model, jets, name, steps, args.batch,
                                                   device)
            total += seconds
            row.append(f"{distance:.4f} ({passes:.0f} NFE)")
        table.add_row(*row)
    Console().print(table)
    print(f"({total:.0f} s in all; NFE = network passes per jet, encode + decode)")


if __name__ == "__main__":
    main()
