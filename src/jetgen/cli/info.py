"""``jetgen info``: what a jet file holds."""

from __future__ import annotations

from pathlib import Path

import typer


def info(
    path: Path = typer.Argument(..., help="A jetgen/JetNet ROOT or HDF5 file."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    tree: str | None = typer.Option(None, "--tree", help="TTree of a ROOT file (default: "
                                    "its only TTree)."),
) -> None:
    """Format, contents, jets per class, particle count and provenance of a jet file.

    Example: jetgen info data/t30.h5
    """
    from ..errors import warn
    from ..io.summary import render_summary, summarize

    summary = summarize(path, tree)
    summary["nonfinite_jets"] = nonfinite_jets(path, summary["jets"], tree)
    if as_json:
        import json

        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        render_summary(summary)
        prov = summary["provenance"] or {}
        if prov.get("precision") or prov.get("backend"):
            # What merge checks besides model and seed: the jets' bits depend on them.
            typer.echo(f"computed in {prov.get('precision', '?')} with "
                       f"{prov.get('backend', 'torch')} on {prov.get('device_kind', '?')}, "
                       f"{prov.get('compute_block', '?')}-jet blocks (shards merge only "
                       "when these agree)")
    if summary["nonfinite_jets"]:
        warn(f"{path}: {summary['nonfinite_jets']:,} jets hold NaN or inf values (the means "
             "include them); jetgen eval and sample --conditions refuse such jets")


def nonfinite_jets(path: Path, total: int, tree: str | None) -> int:
    """Jets with a NaN/inf jet feature or constituent (read in chunks: files may be big)."""
    import numpy as np

    from ..io import read_jets

    bad = 0
    for start in range(0, total, 100_000):
        jets = read_jets(path, start=start, stop=min(total, start + 100_000), tree=tree)
        finite = np.isfinite(jets.jet).all(1) & np.isfinite(jets.particles).all((1, 2))
        bad += int((~finite).sum())
    return bad
