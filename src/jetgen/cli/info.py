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
    from ..io.summary import render_summary, summarize

    summary = summarize(path, tree)
    if as_json:
        import json

        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        render_summary(summary)
