"""jetgen's ROOT output in an analysis chain: uproot + awkward, coffea, FastJet.

Reads the TTree twice (plain uproot/awkward, and coffea's NanoEvents with BaseSchema),
rebuilds massless constituent 4-vectors (pT = pT_rel·pT_jet, η = η_rel + η_jet,
φ = φ_rel + φ_jet), reclusters them with anti-kT R = 0.8 and summarises the mass of the
leading reclustered jet beside the jet mass jetgen stored.

    python examples/analysis_chain.py --input jets.root
    python examples/analysis_chain.py --model pythia30-teacher --jet t --n 1000

Without --input it first samples --n jets of --jet with --model into --workdir.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import awkward as ak
import numpy as np


def sample_input(workdir: Path, model: str | None, jet: str, n: int, seed: int) -> Path:
    from jetgen.jets import parse_classes
    from jetgen.sampling.run import sample_to_file

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "jets.root"
    summary = sample_to_file(path, model=model, classes=parse_classes(jet), n=n, seed=seed,
                             overwrite=True)
    print(f"sampled {summary['jets']} jets with {summary['model']} -> {path}")
    return path


def read_with_uproot(path: Path, tree: str) -> ak.Array:
    import uproot

    with uproot.open(path) as f:
        return f[tree].arrays()


def read_with_coffea(path: Path, tree: str) -> ak.Array | None:
    """None where coffea is not installed (pip install 'jetgen[analysis]')."""
    try:
        from coffea.nanoevents import BaseSchema, NanoEventsFactory
    except ImportError:
        return None

    # BaseSchema: branches as they are (jetgen's tree is not NanoAOD-shaped).
    factory = NanoEventsFactory.from_root({str(path): tree}, schemaclass=BaseSchema,
                                          mode="eager")
    return factory.events()


def constituents(events: ak.Array) -> ak.Array:
    """Massless (px, py, pz, E) per constituent, as FastJet's awkward interface wants."""
    pt = events.part_ptrel * events.jet_pt
    eta = events.part_etarel + events.jet_eta
    # jetgen jets sit at φ_jet = 0 unless the file says otherwise.
    jet_phi = events.jet_phi if "jet_phi" in events.fields else 0.0
    phi = events.part_phirel + jet_phi
    return ak.zip({"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta),
                   "E": pt * np.cosh(eta)})


def recluster(particles: ak.Array, radius: float = 0.8) -> ak.Array:
    """Inclusive anti-kT jets per event, hardest first."""
    import fastjet

    sequence = fastjet.ClusterSequence(particles, fastjet.JetDefinition(
        fastjet.antikt_algorithm, radius))
    jets = sequence.inclusive_jets()
    return jets[ak.argsort(jets.px**2 + jets.py**2, axis=1, ascending=False)]


def mass(p4: ak.Array) -> ak.Array:
    m2 = p4.E**2 - p4.px**2 - p4.py**2 - p4.pz**2
    return np.sqrt(np.maximum(m2, 0.0))


def summarise(label: str, values: np.ndarray, bins: np.ndarray) -> None:
    q10, q50, q90 = np.quantile(values, [0.1, 0.5, 0.9])
    print(f"{label}: n={len(values)} mean={values.mean():.1f} std={values.std():.1f} "
          f"q10={q10:.1f} median={q50:.1f} q90={q90:.1f} GeV")
    counts, _ = np.histogram(values, bins)
    scale = 40 / max(1, counts.max())
    for lo, hi, c in zip(bins[:-1], bins[1:], counts, strict=True):
        print(f"  {lo:6.0f}–{hi:<6.0f} {'#' * round(c * scale):<40} {c}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, help="a jetgen ROOT file")
    parser.add_argument("--tree", default="tree")
    parser.add_argument("--model", help="model name or .safetensors (default: shipped)")
    parser.add_argument("--jet", default="t", help="class to sample without --input")
    parser.add_argument("--n", type=int, default=1000, help="jets to sample without --input")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("analysis_example"))
    args = parser.parse_args(argv)

    path = args.input or sample_input(args.workdir, args.model, args.jet, args.n, args.seed)
    events = read_with_uproot(path, args.tree)
    nano = read_with_coffea(path, args.tree)
    if nano is None:
        print(f"read {len(events)} jets with uproot+awkward (coffea not installed: "
              "pip install 'jetgen[analysis]' to read them with NanoEvents too)")
    else:
        same = all(ak.all(events[f] == nano[f]) for f in ("part_ptrel", "part_etarel", "jet_pt"))
        print(f"read {len(events)} jets with uproot+awkward and coffea NanoEvents "
              f"(BaseSchema): {'identical' if same else 'DIFFERENT'} arrays")
        if not same:
            raise SystemExit("uproot and coffea disagree")
    print(f"{ak.mean(ak.num(events.part_ptrel)):.1f} constituents per jet")

    jets = recluster(constituents(events))
    # An event without constituents has no jet: NaN, then left out.
    leading_mass = ak.to_numpy(ak.fill_none(mass(ak.firsts(jets)), np.nan)).astype(float)
    has_jet = np.isfinite(leading_mass)
    reclustered = leading_mass[has_jet]
    stored = ak.to_numpy(events.jet_mass).astype(float)[has_jet]
    print(f"anti-kT R=0.8 on the constituents: {ak.mean(ak.num(jets)):.2f} jets per event "
          f"(leading jet found in {int(has_jet.sum())} of {len(events)})")
    top = max(float(np.quantile(np.concatenate([reclustered, stored]), 0.99)), 1.0)
    bins = np.linspace(0.0, top, 11)
    summarise("leading reclustered jet mass", reclustered, bins)
    summarise("jet_mass stored by jetgen   ", stored, bins)
    ratio = reclustered / np.maximum(stored, 1e-9)
    # JetNet's jet mass is the full jet's; the file keeps only the leading constituents.
    print(f"reclustered / stored mass: median {np.median(ratio):.3f} (stored: full jet; "
          "reclustered: the kept constituents only)")


if __name__ == "__main__":
    main()
