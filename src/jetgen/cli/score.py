"""``jetgen score``: per-jet log-likelihoods under the particle model, or ODE round trips."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import threads_option


def score(
    jets: Path = typer.Argument(..., help="Jets to score (.root or .h5)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output .root or .h5 file."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name or .safetensors "
                                     "file (default: the shipped default model)."),
    method: str | None = typer.Option(None, "--method", help="ode (probability flow + "
                                      "Hutchinson trace) or elbo (variational lower bound); "
                                      "default ode."),
    hutchinson: int | None = typer.Option(None, "--hutchinson", "-k", help="Rademacher "
                                          "probes per ODE node (default 4; 0 = exact trace, "
                                          "slow)."),
    steps: int | None = typer.Option(None, "--steps", help="ode: RK4 steps (default 32); "
                                     "elbo: σ strata (default 32); --reconstruct: sampler "
                                     "steps each way (default: the model's)."),
    batch_size: int = typer.Option(256, "--batch-size", help="Jets per batch (memory bound)."),
    seed: int = typer.Option(0, "--seed", help="Jet i of the input uses seed + i: same seed, "
                             "same numbers, whatever --batch-size."),
    jet: list[str] | None = typer.Option(None, "--jet", "-j", help="Only these classes "
                                         "(g q t w z, names, or all)."),
    n: int | None = typer.Option(None, "--n", "-n", help="Only the first N (selected) jets."),
    tree: str | None = typer.Option(None, "--tree", help="TTree of a ROOT input (default: "
                                    "its only TTree)."),
    reconstruct: bool = typer.Option(False, "--reconstruct", help="Instead of scoring: "
                                     "encode each jet to noise with the ODE and decode it "
                                     "back; -o gets the reconstructions, OUT_originals the "
                                     "originals, both with a per-jet jet-image L1 distance."),
    sampler: str | None = typer.Option(None, "--sampler", help="--reconstruct: ODE solver "
                                       "(euler, heun, ddim, dpmpp_2m, rk4, lms; default: "
                                       "the model's)."),
    plots: Path | None = typer.Option(None, "--plots", help="--reconstruct: directory for "
                                      "side-by-side jet images."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
    threads: int | None = threads_option(),
) -> None:
    """Per-jet log p(constituents | class, jet pT, η, mass, n) in nats, total and per
    particle, as a density over the JetNet features (η_rel, φ_rel, pT_rel) of the real
    constituents; padded slots do not count. Jets are conditioned on their recorded class
    and jet features.

    Example: jetgen score top.root --n 100 -o scores.root --method ode --hutchinson 4
    """
    from ..errors import UsageError
    from ..jets import parse_classes
    from ..score.files import check_outputs, reconstruct_file, score_file, select_jets
    from ..score.likelihood import DEFAULT_PROBES
    from ..threads import using_threads
    from .progress import jet_progress
    from .signals import terminate_as_interrupt

    if reconstruct and (method is not None or hutchinson is not None):
        raise UsageError("--method and --hutchinson apply to scoring, not to --reconstruct")
    if not reconstruct and (sampler is not None or plots is not None):
        raise UsageError("--sampler and --plots apply to --reconstruct only")
    classes = parse_classes(jet) if jet else None
    check_outputs(output, overwrite, reconstruct=reconstruct)
    selection = select_jets(jets, classes, n, tree)
    with terminate_as_interrupt(), using_threads(threads):
        if reconstruct:
            with jet_progress("reconstructing", len(selection.jets)) as advance:
                summary = reconstruct_file(
                    selection, output, model=model, sampler=sampler, steps=steps,
                    batch_size=batch_size, device=device, overwrite=overwrite, plots=plots,
                    on_progress=advance)
            typer.echo(f"wrote {summary['jets']} reconstructions to {output} and the "
                       f"originals to {summary['originals']} ({summary['sampler']}, "
                       f"{summary['steps']} steps each way; mean jet-image L1 "
                       f"{summary['mean_distance']:.4f})")
            for path in summary["plots"]:
                typer.echo(f"wrote {path}")
            return
        with jet_progress("scoring", len(selection.jets)) as advance:
            summary = score_file(
                selection, output, model=model, method=method or "ode",
                probes=DEFAULT_PROBES if hutchinson is None else hutchinson, steps=steps,
                batch_size=batch_size, seed=seed, device=device, overwrite=overwrite,
                on_progress=advance)
    typer.echo(f"wrote scores of {summary['jets']} jets to {output} ({summary['method']}, "
               f"{summary['steps']} steps; mean log p {summary['mean_logp']:.2f} nats, "
               f"{summary['mean_logp_per_particle']:.3f} per particle)")
