"""ONNX Runtime against torch for the same exported one-step model, side by side.

Both sides make the same jets from the same per-jet noise (jetgen's splitmix normals,
drawn inside the timed loop on both sides) and run in this one process, alternating,
after a warm-up; the table gives jets/s per backend and the ratio to torch fp32.
torch runs jetgen's own path (generate_batch, 256-jet calls as `jetgen sample`); ONNX
Runtime runs the `jetgen export` graph at the batch sizes given.

    python benchmarks/onnx_vs_torch.py --n 20000 --threads 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="one-step model (default: shipped)")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ort-batch", type=int, nargs="+", default=[256, 4096])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import onnxruntime as ort

    from jetgen.export.runtime import graph_feed
    from jetgen.export.to_onnx import export_onnx
    from jetgen.models.checkpoint import read_model
    from jetgen.registry import resolve_model
    from jetgen.sampling.batch import generate_batch
    from jetgen.sampling.seeds import jet_seeds

    torch.set_num_threads(args.threads)
    path, entry = resolve_model(args.model)
    model, _ = read_model(path)
    c = model.config
    onnx_path = Path(tempfile.mkdtemp()) / "model.onnx"
    export_onnx(args.model, onnx_path)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = args.threads, 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    jet_type = np.arange(args.n) % 5

    def run_torch(n: int, precision: str) -> None:
        for lo in range(0, n, 256):
            idx = np.arange(lo, min(n, lo + 256))
            generate_batch(model, jet_type[idx], jet_seeds(0, idx), sampler=c.sampler,
                           steps=c.steps, schedule=c.schedule, precision=precision)

    def run_ort(n: int, batch: int) -> None:
        for lo in range(0, n, batch):
            idx = np.arange(lo, min(n, lo + batch))
            session.run(None, graph_feed(jet_type[idx], jet_seeds(0, idx), c.n_particles))

    rows = [("torch fp32 (jetgen sample's path)", lambda n: run_torch(n, "fp32")),
            ("torch bf16 (jetgen sample's path)", lambda n: run_torch(n, "bf16"))]
    rows += [(f"onnxruntime fp32, {b} jets/call", lambda n, b=b: run_ort(n, b))
             for b in args.ort_batch]
    for _, fn in rows:  # warm-up
        fn(1024)
    best = {name: float("inf") for name, _ in rows}
    with torch.inference_mode():
        for _ in range(args.repeats):
            for name, fn in rows:
                start = time.perf_counter()
                fn(args.n)
                best[name] = min(best[name], time.perf_counter() - start)
    base = args.n / best[rows[0][0]]
    print(f"model {entry.get('name', path)}, {args.n} jets, {args.threads} threads, "
          f"best of {args.repeats}; noise drawn inside the timing on both sides")
    print("| backend | jets/s | vs torch fp32 |\n|---|---|---|")
    for name, _ in rows:
        rate = args.n / best[name]
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}x |")


if __name__ == "__main__":
    main()
