"""Wall time per metric of ``jetgen eval`` on 50,000 vs 50,000 jets, cold and warm cache.

    python benchmarks/eval_speed.py --reference data/g30.h5 --generated data/q30.h5
    python benchmarks/eval_speed.py --reference data/g30.h5 --generated data/q30.h5 \\
        --jets 50000 --fpnd-jets 10000

The reference must hold 2 × ``--jets`` jets of the class (halves A and B, the truth
floor), so it is read with split "all": jetgen's 100k-jet training files have only 15k
test jets. The "generated" sample is ``--jets`` jets of ``--generated`` relabelled as the
reference's class (a stand-in model: timings do not depend on what the jets look like),
written to a temporary HDF5 file so that file reading is timed too. The cache lives in a
temporary directory (or ``--cache-dir``): run 1 computes the reference features (cold),
run 2 finds them (warm, the number the ≤ 60 s target is about). Prints a table; nothing
is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from jetgen.io import read_jets
from jetgen.io.hdf5 import HDF5Writer
from jetgen.jets import CLASSES

#: Rows in the printed table, in pipeline order (keys of ``result["timings_s"]``).
STAGES = ("read files", "features: EFPs", "features: substructure", "features: ParticleNet",
          "w1m", "w1p", "w1efp", "fpd", "kpd", "fpnd_ref", "substructure w1", "truth floor",
          "adherence", "total")


def stand_in(generated: str, reference: str, n: int, out: Path) -> tuple[Path, str]:
    """``n`` jets of ``generated`` labelled with the reference's (first) class."""
    ref_type = read_jets(reference, 0, 1).jet_type[0]
    jets = read_jets(generated, 0, n)
    if len(jets) < n:
        raise SystemExit(f"{generated} has only {len(jets)} jets, need {n}")
    jets.jet_type[:] = ref_type
    with HDF5Writer(out, jets.n_particles, {"kind": "benchmark stand-in",
                                            "from": str(generated)}) as writer:
        writer.write(jets)
    return out, CLASSES[ref_type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="one-class file, ≥ 2 × --jets")
    parser.add_argument("--generated", required=True, help="file to take stand-in jets from")
    parser.add_argument("--jets", type=int, default=50_000)
    parser.add_argument("--fpnd-jets", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=None,
                        help="keep the feature cache here (default: a temporary dir), so a "
                        "later invocation starts warm")
    parser.add_argument("--warm-only", action="store_true",
                        help="skip the cold run's timing table (still fills the cache)")
    args = parser.parse_args()

    from jetgen.evaluation import evaluate

    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JETGEN_CACHE_DIR"] = args.cache_dir or str(Path(tmp) / "cache")
        gen, cls = stand_in(args.generated, args.reference, args.jets, Path(tmp) / "gen.h5")
        runs = {}
        for name in ("first", "second"):
            start = time.perf_counter()
            result = evaluate(gen, args.reference, n_jets=args.jets, seed=args.seed,
                              reference_split="all", fpnd_jets=args.fpnd_jets)
            runs[name] = (result, time.perf_counter() - start)
    entry = result["classes"][cls]
    table = Table(title=f"jetgen eval, {entry['n_jets']:,} vs {entry['n_jets']:,} jets "
                  f"(class {cls}; FPND on {entry['fpnd_jets']:,}; {os.cpu_count()} CPUs, "
                  f"load avg {os.getloadavg()[0]:.1f})")
    table.add_column("stage")
    for name in runs:
        if name == "first" and args.warm_only:
            continue
        table.add_column(f"{name} run [s]", justify="right")
    for stage in STAGES:
        cells = [f"{r['timings_s'].get(stage, 0.0):.2f}" for n, (r, _) in runs.items()
                 if not (n == "first" and args.warm_only)]
        table.add_row(stage, *cells)
    console.print(table)
    console.print("first run: cold cache unless --cache-dir was already filled; second run: "
                  "warm. 'truth floor' = all floor metrics (cold only: a warm run reads the "
                  "cached floor); metric rows are the model's share.")
    w1m = entry["metrics"]["w1m"]
    console.print(f"sanity: W1M {w1m['value'] / 1e-4:.2f} vs floor {w1m['floor'] / 1e-4:.2f} "
                  f"×10⁻⁴; wall incl. imports/startup: "
                  + ", ".join(f"{n} {t:.1f} s" for n, (_, t) in runs.items()))


if __name__ == "__main__":
    main()
