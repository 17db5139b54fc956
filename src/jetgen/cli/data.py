"""``jetgen data``: make JetNet-recipe jets with Pythia, or fetch the real JetNet files."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from ..jets import CLASSES, parse_classes
from .progress import jet_progress

app = typer.Typer(help="Training data: generate with Pythia 8 + FastJet, or fetch JetNet.",
                  epilog="Example: jetgen data generate --jet g --n 500 -o data/g30.h5",
                  no_args_is_help=True)


@app.command(
    epilog="Example: jetgen data generate --jet g --n 500 --particles 30 -o data/g30.h5 "
    "--seed 1 --workers 2"
)
def generate(
    jet: list[str] = typer.Option(..., "--jet", "-j", help="Class(es): g q t w z, names, or all."),
    n: int = typer.Option(..., "--n", "-n", help="Jets per class."),
    output: Path = typer.Option(..., "--output", "-o", help="Output HDF5 file."),
    particles: int = typer.Option(30, "--particles", help="Constituents kept per jet (30 or 150)."),
    seed: int = typer.Option(1, "--seed", help="Base seed; same seed, same jets."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """Generate jets with the JetNet recipe (Pythia 8 at 13 TeV, anti-kT R=0.8)."""
    from ..data.generate import generate as run_generate

    classes = parse_classes(jet)
    total = n * len(classes)
    # Training data is a cache the user asked to fill, not a file to protect: make its
    # directory (data/ is absent in a fresh checkout). Where that fails (a parent is a
    # file, no permission) the writer's own check says why in one line.
    with contextlib.suppress(OSError):
        output.parent.mkdir(parents=True, exist_ok=True)
    label = "+".join(CLASSES[c] for c in classes)
    with jet_progress(f"generating {label}", total) as advance:
        summary = run_generate(
            output, classes, n, n_particles=particles, seed=seed, workers=workers,
            overwrite=overwrite, on_progress=advance,
        )
    typer.echo(
        f"wrote {summary['jets']} jets to {output} in {summary['seconds']:.0f} s "
        f"({summary['jets_per_second']:.1f} jets/s; {summary['events']} events, "
        f"{summary['rejected']} rejected)"
    )


@app.command(epilog="Example: jetgen data fetch --jet t --particles 30")
def fetch(
    jet: list[str] = typer.Option(..., "--jet", "-j", help="Class(es): g q t w z, names, or all."),
    particles: int = typer.Option(30, "--particles", help="30 or 150."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Where to keep the files."),
) -> None:
    """Download the real JetNet files from Zenodo (checksummed, cached)."""
    from ..data.jetnet import fetch as run_fetch

    for c in parse_classes(jet):
        path = run_fetch(CLASSES[c], particles, cache_dir=cache_dir)
        typer.echo(str(path))


@app.command(epilog="Example: jetgen data reference --n 20000 --workers 2")
def reference(
    n: int = typer.Option(20_000, "--n", "-n", help="Jets per class (all five classes)."),
    particles: int = typer.Option(30, "--particles", help="Constituents per jet (30 or 150)."),
    seed: int = typer.Option(1000, "--seed", help="Pythia seed (not the training data's)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Build it again."),
) -> None:
    """Build the large evaluation reference (Pythia 8 + FastJet, JetNet recipe) in the cache.

    `jetgen eval` then compares with it instead of the small reference shipped in the
    wheel: 20,000 jets per class give a truth floor at 10,000 jets. Same seed, same file.
    About 100,000 jets: roughly 10 minutes on 2 cores with --workers 2.
    """
    from ..data.reference import build_reference

    with jet_progress("generating the reference", n * len(CLASSES)) as advance:
        path, summary = build_reference(n, particles, seed, workers, overwrite=overwrite,
                                        on_progress=advance)
    typer.echo(f"wrote {summary['jets']} jets to {path} in {summary['seconds']:.0f} s; "
               "jetgen eval now uses it")
