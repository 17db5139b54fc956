"""`jetgen info`: a file's format, contents, per-class statistics and provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..jets import CLASS_LONG, CLASSES
from . import file_format, read_jets, read_provenance

#: Jets read per chunk, so `info` on a multi-GB file stays within bounded memory.
CHUNK = 200_000


def summarize(path, tree: str | None = None) -> dict:
    """``tree``: the TTree of a ROOT file (default: its only one)."""
    path = Path(path)
    fmt = file_format(path)
    from . import count_jets

    label = "HDF5 (JetNet)"
    if fmt == "root":
        from .root import tree_name

        tree = tree_name(path, tree)
        label = f"ROOT TTree {tree!r}"
    total = count_jets(path, tree)
    per_class: dict[int, dict[str, float]] = {}
    n_particles = None
    for start in range(0, max(total, 1), CHUNK):
        jets = read_jets(path, start=start, stop=min(total, start + CHUNK), tree=tree)
        n_particles = jets.n_particles
        for c in np.unique(jets.jet_type):
            sel = jets.jet_type == c
            acc = per_class.setdefault(int(c), {"jets": 0, "pt": 0.0, "eta": 0.0, "mass": 0.0,
                                                "multiplicity": 0.0})
            acc["jets"] += int(sel.sum())
            acc["pt"] += float(jets.jet[sel, 0].sum())
            acc["eta"] += float(jets.jet[sel, 1].sum())
            acc["mass"] += float(jets.jet[sel, 2].sum())
            acc["multiplicity"] += float(jets.mask[sel].sum())
    classes = {}
    for c, acc in sorted(per_class.items()):
        n = acc.pop("jets")
        name = CLASSES[c] if 0 <= c < len(CLASSES) else str(c)
        classes[name] = {"jets": n, **{f"mean_{k}": v / n for k, v in acc.items()}}
    return {"path": str(path), "format": label,
            "jets": total, "particles": n_particles, "classes": classes,
            "provenance": read_provenance(path)}


def render_summary(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{summary['path']}[/]: {summary['format']}, {summary['jets']:,} jets, "
                  f"{summary['particles']} particles per jet")
    table = Table("class", "jets", "mean pT [GeV]", "mean η", "mean mass [GeV]",
                  "mean multiplicity")
    for name, row in summary["classes"].items():
        table.add_row(f"{name} ({CLASS_LONG.get(name, '?')})", f"{row['jets']:,}",
                      f"{row['mean_pt']:.1f}", f"{row['mean_eta']:.3f}",
                      f"{row['mean_mass']:.1f}", f"{row['mean_multiplicity']:.2f}")
    console.print(table)
    prov = summary["provenance"]
    if prov:
        keys = ["kind", "jetgen_version", "created_utc", "model", "sampler", "steps", "seed",
                "n_per_class", "command"]
        side = Table("provenance", "value", show_header=True)
        for key in keys:
            if prov.get(key) is not None:
                side.add_row(key, str(prov[key]))
        console.print(side)
