"""The tour through the Python API, as in a notebook: sample, look, write, read, evaluate.

    python examples/notebook_tour.py                 # the shipped default, 2,000 jets
    python examples/notebook_tour.py --model runs/mine/ema.safetensors --n 500
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import jetgen
from jetgen.registry import weights_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model name or file (default: shipped)")
    parser.add_argument("--n", type=int, default=2000, help="jets per class")
    parser.add_argument("--workdir", type=Path, default=Path("tour"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)

    # 1. Sample: the same jets `jetgen sample --jet t,w --n N --seed 0` writes.
    jets = jetgen.sample(jet=["top", "W"], n=args.n, model=args.model, seed=0)
    print(f"sampled {len(jets)} jets: particles {jets.particles.shape}, jet {jets.jet.shape}")

    # 2. Look: numpy attributes, or an awkward record array with jagged constituents.
    for name in ("t", "w"):
        mass = jets.of_class(["g", "q", "t", "w", "z"].index(name)).jet[:, 2]
        print(f"{name}: median jet mass {np.median(mass):.1f} GeV")
    arr = jets.to_awkward()
    print(f"awkward: fields {sorted(arr.fields)[:4]}…, first jet has {len(arr.part[0])} "
          "constituents")

    # 3. Write and read back (ROOT TTree and JetNet-layout HDF5).
    for suffix in (".root", ".h5"):
        path = jetgen.write(jets, args.workdir / f"tour{suffix}", overwrite=True)
        again = jetgen.read(path)
        same = np.array_equal(again.particles, jets.particles)
        print(f"{path.name}: read back {len(again)} jets, identical: {same}")

    # 4. Evaluate the tops against the shipped reference, with the truth floor.
    reference = weights_dir() / "pythia30-reference.h5"
    report = jetgen.evaluate(jets.of_class(2), reference, n_jets=min(args.n, 1000),
                             classes=["t"], cache=False)
    w1m = report.metric("t", "w1m")
    print(f"top W1M {w1m['value']:.2e} (truth floor {w1m['floor']:.2e})")

    # 5. The model itself.
    model = jetgen.load_model(args.model)
    print(f"model: {model.config.sampler} x {model.config.steps} steps, "
          f"{model.config.n_particles} particles")


if __name__ == "__main__":
    main()
