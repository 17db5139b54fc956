"""Fast simulation: constituents for jets whose class and kinematics you already have.

An existing ntuple gives each jet's class, pT, η, mass and constituent count; jetgen
generates constituents for exactly those jets (`jetgen sample --conditions FILE`). Here
that ntuple is a ROOT file written with uproot from real Pythia 8 jets (branches
jet_pt, jet_eta, jet_mass, jet_nparticles, jet_type, and the real constituents as
npart + part_etarel/phirel/ptrel); the generated jets are then compared with the real
ones they were conditioned on.

    python examples/fastsim_conditions.py --n 500
    python examples/fastsim_conditions.py --model runs/mine --real data/t30.h5 --n 2000

Without --real, --n top jets are made with Pythia first (about 30 jets/s per core).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import awkward as ak
import numpy as np


def real_jets(real: Path | None, n: int, seed: int):
    from jetgen.io import read_jets

    if real is not None:
        return read_jets(real, stop=n)
    from jetgen.data.pythia import generate_block

    print(f"generating {n} top jets with Pythia 8 (the 'real' jets)…")
    return generate_block("t", n, 30, seed)[0]


def write_kinematics(jets, path: Path, tree: str = "tree") -> None:
    """The 'existing' ntuple, written with plain uproot as any analysis would."""
    import uproot

    counts = jets.mask.sum(1)
    flat = jets.particles[jets.mask]
    constituents = ak.zip({name: ak.unflatten(flat[:, i], counts)
                           for i, name in enumerate(("etarel", "phirel", "ptrel"))})
    data = {"jet_pt": jets.jet[:, 0], "jet_eta": jets.jet[:, 1], "jet_mass": jets.jet[:, 2],
            "jet_nparticles": counts.astype(np.int32), "jet_type": jets.jet_type,
            "part": constituents}
    with uproot.recreate(path) as f:
        # One counter (npart) shared by part_etarel, part_phirel, part_ptrel.
        f.mktree(tree, {k: v.type if isinstance(v, ak.Array) else v.dtype
                        for k, v in data.items()},
                 counter_name=lambda counted: "n" + counted,
                 field_name=lambda outer, inner: f"{outer}_{inner}")
        f[tree].extend(data)


def constituent_mass(jets) -> np.ndarray:
    """Mass of the kept constituents (massless), from their η_rel, φ_rel, pT_rel."""
    pt = jets.particles[..., 2] * jets.jet[:, :1]
    eta = jets.particles[..., 0] + jets.jet[:, 1:2]
    phi = jets.particles[..., 1]
    px, py = (pt * np.cos(phi)).sum(1), (pt * np.sin(phi)).sum(1)
    pz, e = (pt * np.sinh(eta)).sum(1), (pt * np.cosh(eta)).sum(1)
    return np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model name or .safetensors (default: shipped)")
    parser.add_argument("--real", type=Path, help="real jets (jetgen/JetNet HDF5 or ROOT)")
    parser.add_argument("--n", type=int, default=200, help="jets to simulate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, help="sampler steps (default: the model's)")
    parser.add_argument("--workdir", type=Path, default=Path("fastsim_example"))
    args = parser.parse_args(argv)

    from jetgen.io import read_jets
    from jetgen.sampling.run import sample_to_file

    args.workdir.mkdir(parents=True, exist_ok=True)
    real = real_jets(args.real, args.n, args.seed + 1)
    kinematics = args.workdir / "kinematics.root"
    write_kinematics(real, kinematics)
    print(f"wrote {len(real)} real jets to {kinematics} with uproot")

    output = args.workdir / "fastsim.root"
    summary = sample_to_file(output, model=args.model, conditions=kinematics, seed=args.seed,
                             steps=args.steps, overwrite=True)
    print(f"generated {summary['jets']} jets conditioned on them -> {output} "
          f"({summary['sampler']}, {summary['steps']} steps)")

    generated = read_jets(output)
    if not np.array_equal(generated.jet_type, real.jet_type):
        raise SystemExit("generated jets do not follow the given classes")
    given, made = real.jet, generated.jet
    print(f"given vs generated jets: pT within {np.max(np.abs(made[:, 0] / given[:, 0] - 1)):.1e}"
          f" (relative), η within {np.max(np.abs(made[:, 1] - given[:, 1])):.1e}, mass within "
          f"{np.max(np.abs(made[:, 2] / given[:, 2] - 1)):.1e} (relative); constituent count "
          f"equal in {int((made[:, 3] == given[:, 3]).sum())} of {len(made)}")
    print(f"{'per jet':<34}{'real':>10}{'generated':>12}")
    rows = [("constituents (mean)", real.mask.sum(1), generated.mask.sum(1)),
            ("Σ pT_rel (median)", real.particles[..., 2].sum(1),
             generated.particles[..., 2].sum(1)),
            ("leading pT_rel (median)", real.particles[:, 0, 2], generated.particles[:, 0, 2]),
            ("constituent mass [GeV] (median)", constituent_mass(real),
             constituent_mass(generated))]
    for label, a, b in rows:
        stat = np.mean if "mean" in label else np.median
        print(f"{label:<34}{stat(a):>10.3g}{stat(b):>12.3g}")
    corr = np.corrcoef(constituent_mass(real), constituent_mass(generated))[0, 1]
    print(f"correlation of constituent mass, real vs generated, jet by jet: {corr:.2f}")


if __name__ == "__main__":
    main()
