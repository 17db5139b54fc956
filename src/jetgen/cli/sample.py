"""``jetgen sample``: jets from a trained model, streamed to ROOT or HDF5."""

from __future__ import annotations

from pathlib import Path

import typer


def sample(
    output: Path = typer.Option(..., "--output", "-o", help="Output .root or .h5 file."),
    jet: list[str] | None = typer.Option(None, "--jet", "-j", help="g q t w z, names, or all."),
    n: int | None = typer.Option(None, "--n", "-n", help="Jets per class."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name or .safetensors "
                                     "file (default: the shipped default model)."),
    conditions: Path | None = typer.Option(None, "--conditions", help="Take class and jet "
                                           "kinematics from this ROOT/HDF5 file."),
    sampler: str | None = typer.Option(None, "--sampler", help="euler, heun, dpmpp_2m, ddim, "
                                       "euler_maruyama, rk4, lms (default: the model's)."),
    steps: int | None = typer.Option(None, "--steps", help="Sampler steps (default: model's)."),
    batch_size: int = typer.Option(1000, "--batch-size", help="Jets per batch (memory bound)."),
    seed: int = typer.Option(0, "--seed", help="Jet i uses seed + i: same seed, same jets."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    tree: str = typer.Option("tree", "--tree-name", help="TTree name for ROOT output."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """Generate jets.

    Example: jetgen sample --jet top --n 100000 -o jets.root
    """
    from ..jets import parse_classes
    from ..sample import plan_jobs, sample_to_file
    from .progress import jet_progress

    classes = parse_classes(jet) if jet else None
    total = len(plan_jobs(classes, n, conditions)[0])
    with jet_progress("sampling", total) as advance:
        summary = sample_to_file(
            output, model=model, classes=classes, n=n, conditions=conditions, seed=seed,
            sampler=sampler, steps=steps, batch_size=batch_size, device=device,
            overwrite=overwrite, tree=tree, on_progress=advance,
        )
    typer.echo(f"wrote {summary['jets']} jets to {output} ({summary['sampler']}, "
               f"{summary['steps']} steps)")
