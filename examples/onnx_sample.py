"""Jets from a `jetgen export` ONNX file with onnxruntime and numpy alone (no torch, no jetgen).

    jetgen export pythia30-adv1 -o jets.onnx
    python examples/onnx_sample.py jets.onnx --jet t --n 1000 --seed 0 -o top.npz

``--noise jetgen`` (default) re-implements jetgen's per-jet noise in numpy, so jet j here is
jet j of ``jetgen sample --jet t --n 1000 --seed 0 --precision fp32`` up to fp32 rounding;
``--noise numpy`` draws the normals from numpy's own generator instead (any standard
normals are valid input). ``--kinematics FILE.npz`` (array ``jet`` [N, 4]: pt, eta, mass,
n) gives constituents for jets you already have (fast simulation).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import onnxruntime as ort

CLASSES = ("g", "q", "t", "w", "z")
JET_LEVEL_DRAW_OFFSET = 1 << 20  # jetgen.sampling.batch: the jet-level model's noise stream

# splitmix64 (Steele, Lea & Flood 2014); uint64 arithmetic wraps modulo 2^64 as it should.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INDEX_SALT = np.uint64(0xD1B54A32D192ED03)


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def jet_seeds(seed: int, index: np.ndarray) -> np.ndarray:
    """jetgen.sampling.seeds.jet_seeds: the uint64 key of jet ``index`` of run ``seed``."""
    key = np.full(1, int(seed) & ((1 << 64) - 1), dtype=np.uint64)
    return _splitmix(_splitmix(key) ^ _splitmix(index.astype(np.uint64) * _INDEX_SALT))


def jet_noise(seeds: np.ndarray, shape: tuple[int, ...], draw: int) -> np.ndarray:
    """jetgen.diffusion.noise.jet_noise: [B, *shape] float32 normals from (seed, draw)."""
    count = int(np.prod(shape))
    half = (count + 1) // 2
    draw_key = np.uint64((draw * int(_M2)) & ((1 << 64) - 1))
    key = _splitmix(_splitmix(seeds.astype(np.uint64)) + draw_key)
    k = np.arange(half, dtype=np.uint64)
    base = key[:, None] + np.uint64(2) * k[None, :] * _GOLDEN
    u1 = ((_splitmix(base) >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    u2 = ((_splitmix(base + _GOLDEN) >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    radius = np.sqrt(-2 * np.log(u1))
    angle = 2 * np.pi * u2
    z = np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], 1)[:, :count]
    return z.reshape(len(seeds), *shape).astype(np.float32)


def noise_for(index: np.ndarray, seed: int, kind: str, n_particles: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """(jet_noise [B, 4], particle_noise [B, P, 3]) for jets ``index`` of run ``seed``."""
    if kind == "numpy":
        rng = np.random.default_rng([seed, int(index[0])])
        return (rng.standard_normal((len(index), 4), np.float32),
                rng.standard_normal((len(index), n_particles, 3), np.float32))
    seeds = jet_seeds(seed, index)
    return (jet_noise(seeds, (1, 4), JET_LEVEL_DRAW_OFFSET).reshape(len(index), 4),
            jet_noise(seeds, (n_particles, 3), 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("onnx", help="a file written by `jetgen export`")
    parser.add_argument("--jet", default="t", choices=CLASSES)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=4096, help="jets per onnxruntime call")
    parser.add_argument("--noise", choices=("jetgen", "numpy"), default="jetgen")
    parser.add_argument("--kinematics", help=".npz with array 'jet' [N, 4] (pt, eta, mass, n)")
    parser.add_argument("-o", "--output", help="write the jets to this .npz")
    args = parser.parse_args(argv)

    session = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get("format") != "jetgen-onnx-1":
        print(f"{args.onnx}: not a jetgen ONNX export", file=sys.stderr)
        return 1
    p = int(meta["n_particles"])
    given = None if args.kinematics is None else np.load(args.kinematics)["jet"]
    n = args.n if given is None else len(given)
    outputs: dict[str, list[np.ndarray]] = {"constituents": [], "mask": [], "jet": []}
    start = time.perf_counter()
    for lo in range(0, n, args.batch):
        index = np.arange(lo, min(n, lo + args.batch))
        jet_z, particle_z = noise_for(index, args.seed, args.noise, p)
        feed = {
            "jet_type": np.full(len(index), CLASSES.index(args.jet), np.int64),
            "jet_noise": jet_z,
            "particle_noise": particle_z,
            "jet_kinematics": (np.zeros((len(index), 4), np.float32) if given is None
                               else given[index].astype(np.float32)),
            "use_kinematics": np.full(len(index), given is not None),
        }
        for name, value in zip(outputs, session.run(list(outputs), feed), strict=True):
            outputs[name].append(value)
    seconds = time.perf_counter() - start
    jets = {name: np.concatenate(parts) for name, parts in outputs.items()}
    jets["jet_type"] = np.full(n, CLASSES.index(args.jet), np.int32)
    pt, _, mass, count = jets["jet"].T
    print(f"{n} {args.jet} jets from {meta['model']} ({args.noise} noise, seed {args.seed}) "
          f"in {seconds:.2f} s: mean pt {pt.mean():.1f} GeV, mean mass {mass.mean():.1f} GeV, "
          f"mean n {count.mean():.1f}")
    if args.output:
        np.savez(args.output, **jets)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
