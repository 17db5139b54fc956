"""Jets/s of `jetgen score` on this machine: the ODE likelihood (RK4 steps × Hutchinson
probes) and the ELBO (σ strata), with the seed-to-seed spread of each estimate.

    python benchmarks/score_speed.py --model runs/teacher30 --data data/t30.h5
    python benchmarks/score_speed.py --jets 32 --ode-steps 16 32 --probes 1 4

Without --data the jets are drawn from the model itself (its default sampler), so only a
model is needed. The spread column is the standard deviation of one jet's log p between
two seeds (nats; Monte-Carlo error, not bias): it is what the extra time buys. Prints a
table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from score_setup import load_setup

from jetgen.jets import Jets
from jetgen.models.jetmodel import JetModel
from jetgen.score import score_batch
from jetgen.score.ode import FORWARDS_PER_STEP


def timed(model: JetModel, jets: Jets, batch: int, seed: int, device,
          **settings) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    parts = []
    for lo in range(0, len(jets), batch):
        hi = min(len(jets), lo + batch)
        parts.append(score_batch(model, jets[lo:hi], seed + np.arange(lo, hi), device=device,
                                 **settings).logp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return np.concatenate(parts), len(jets) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="name or .safetensors (default: the "
                        "shipped default model)")
    parser.add_argument("--data", default=None, help="jets to score (default: sampled)")
    parser.add_argument("--jets", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--ode-steps", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--probes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--elbo-steps", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    model, path, device, jets = load_setup("score_speed", args.model, args.device, args.data,
                                           args.jets)
    table = Table(title=f"jetgen score on {device} ({torch.get_num_threads()} threads), "
                  f"{path.name}, {len(jets)} jets, batch {args.batch}")
    for column in ("method", "settings", "network passes / jet", "jets/s",
                   "spread [nats]", "mean log p [nats]"):
        table.add_column(column)
    rows = [("ode", {"steps": s, "probes": k}) for s in args.ode_steps for k in args.probes]
    rows += [("elbo", {"steps": s}) for s in args.elbo_steps]
    for method, settings in rows:
        first, rate = timed(model, jets, args.batch, 0, device, method=method, **settings)
        second, _ = timed(model, jets, args.batch, 10**6, device, method=method, **settings)
        spread = float(np.std(first - second) / np.sqrt(2))
        if method == "ode":
            steps, k = settings["steps"], settings["probes"]
            label = f"{steps} RK4 steps, K={k}"
            passes = f"{FORWARDS_PER_STEP * steps + 1} fwd + {(steps + 1) * k} bwd"
        else:
            label = f"{settings['steps']} σ strata"
            passes = f"{2 * settings['steps'] + max(1, settings['steps'] // 8)} fwd"
        table.add_row(method, label, passes, f"{rate:,.1f}", f"{spread:.2f}",
                      f"{first.mean():.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
