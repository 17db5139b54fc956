"""``jetgen merge``: join the shards of a ``jetgen sample --shard i/N`` run."""

from __future__ import annotations

from pathlib import Path

import typer


def merge(
    shards: list[Path] = typer.Argument(..., help="The shard files (any order; ROOT or HDF5)."),
    output: Path = typer.Option(..., "--output", "-o", help="Merged .root or .h5 file."),
    tree: str | None = typer.Option(None, "--tree-name", help="TTree of the ROOT shards and "
                                    "the output (default: the shards' only TTree)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """Check that the shards make one run (same model, seed, sampler, steps, N; none missing
    or twice) and write them in order: the result equals the run without --shard.

    Make the shards with jetgen sample --jet top --n 1000 --shard 0/2 -o top_0.root
    and the same with --shard 1/2 -o top_1.root, then

    Example: jetgen merge top_0.root top_1.root -o top_merged.root
    """
    from ..sampling.merge import check_shards, merge_shards
    from .progress import jet_progress
    from .signals import terminate_as_interrupt

    total = sum(p.jets for p in check_shards(shards, tree))
    with terminate_as_interrupt(), jet_progress("merging", total) as advance:
        summary = merge_shards(shards, output, overwrite=overwrite, tree=tree,
                               on_progress=advance)
    typer.echo(f"merged {summary['shards']} shards, {summary['jets']} jets, into {output}")
