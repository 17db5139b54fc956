"""``jetgen eval``: JetNet metrics of a jet file against a reference, beside the truth floor."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import threads_option

#: --fpnd: jetnet_fpnd of jetgen.evaluation.evaluate.
FPND_CHOICES = {"auto": None, "ref": False, "jetnet": True}


def eval_command(
    file: Path = typer.Argument(..., help="Generated jets (.root or .h5)."),
    reference: Path | None = typer.Option(
        None, "--reference", "-r", help="Reference jets (.root or .h5); default: the one "
        "recorded in FILE's provenance. jetgen training data contributes its test split."),
    particles: int | None = typer.Option(None, "--particles", help="Expected particles per "
                                         "jet (both files must match; default: FILE's)."),
    jets: int = typer.Option(50_000, "--jets", "-n", min=2, help="Jets per sample and class "
                             "(also capped by FILE and by half the reference)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every bootstrap draw: same seed, "
                             "same numbers."),
    json_out: Path | None = typer.Option(None, "--json", help="Write raw values, errors, "
                                         "units, settings and provenance here."),
    plots: Path | None = typer.Option(None, "--plots", help="Directory for PNG/PDF plots."),
    tree: str | None = typer.Option(None, "--tree", help="TTree of a ROOT input (default: "
                                    "its only TTree)."),
    jet: list[str] | None = typer.Option(None, "--jet", "-j", help="Only these classes "
                                         "(g q t w z or names; default: all in FILE)."),
    reference_split: str | None = typer.Option(
        None, "--reference-split", help="train, val, test or all (default: the recorded "
        "split; test for training data; else all)."),
    fpnd_jets: int | None = typer.Option(None, "--fpnd-jets", min=0, help="Jets through "
                                         "ParticleNet for FPND_ref (default: all; 0 = skip)."),
    bootstrap: int = typer.Option(5, "--bootstrap", min=2, help="Bootstrap batches."),
    fpnd: str = typer.Option("auto", "--fpnd", help="Which FPND besides FPND_ref (jetgen's "
                             "ParticleNet against the reference's own activations): jetnet "
                             "adds jetnet's FPND against its stored JetNet statistics, the "
                             "number papers publish (g, q, t at 30 particles; for real JetNet "
                             "data); ref: FPND_ref only; auto: jetnet's too when the "
                             "reference's provenance says JetNet."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the "
                                  "reference feature cache ($JETGEN_CACHE_DIR)."),
    build_reference: bool = typer.Option(
        True, "--build-reference/--no-build-reference", help="Where FILE names the small "
        "shipped reference (4,000 jets per class) and --jets needs more, generate the "
        "class's 20,000-jet reference into the cache once (Pythia: minutes, announced "
        "with an estimate). --no-build-reference compares with the shipped one."),
    threads: int | None = threads_option(),
) -> None:
    """Evaluate generated jets: W1M, W1P, W1EFP, FPD, KPD, FPND_ref, substructure W1s.

    Every number is printed beside the truth floor (the same metric between two disjoint
    halves of the reference) and their ratio.

    Example: jetgen eval top.root --jets 1000 -r data/t30.h5
    """
    from rich.console import Console

    from ..errors import JetgenError, UsageError, nearest, warn
    from ..evaluation import evaluate
    from ..evaluation.report import render, write_json
    from ..io.atomic import check_output
    from ..threads import resolve_threads

    if fpnd not in FPND_CHOICES:
        raise UsageError(f"--fpnd must be one of {', '.join(FPND_CHOICES)}, got "
                         f"{fpnd!r}{nearest(fpnd, FPND_CHOICES)}")
    if json_out is not None:
        check_output(json_out, overwrite=True)
    if plots is not None and plots.exists() and not plots.is_dir():
        raise JetgenError(f"--plots {plots}: exists and is not a directory")
    with _stage_progress() as on_progress:
        result = evaluate(
            file, reference, n_jets=jets, seed=seed, classes=jet, n_particles=particles,
            reference_split=reference_split, fpnd_jets=fpnd_jets, bootstrap=bootstrap,
            cache=not no_cache, plots=plots, on_progress=on_progress, tree=tree,
            workers=resolve_threads(threads), jetnet_fpnd=FPND_CHOICES[fpnd],
            build_reference=build_reference, on_notice=_notice)
    render(result, Console())
    if fpnd == "jetnet" and not any("fpnd_jetnet" in c["metrics"]
                                    for c in result["classes"].values()):
        warn("--fpnd jetnet: jetnet's stored statistics cover g, q and t at 30 particles "
             "only; none of the classes evaluated here has them")
    if json_out is not None:
        write_json(result, json_out)
        typer.echo(f"wrote {json_out}", err=True)
    if plots is not None:
        typer.echo(f"wrote {len(result.get('plots', []))} plot files to {plots}", err=True)


def _notice(message: str) -> None:
    typer.echo(f"jetgen: {message}", err=True)


def _stage_progress():
    """A one-line stderr progress bar whose description follows the current stage."""
    import sys
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    @contextmanager
    def bar():
        console = Console(file=sys.stderr)
        if not console.is_terminal:  # a batch log: a plain line every ~30 s
            from .progress import Pace, plain_line, plain_progress

            now: dict = {"stage": "reading", "total": 0, "pace": Pace()}

            def line(elapsed: float) -> str:
                pace, total = now["pace"], now["total"]
                # A finished stage's rate would only decay while the next computes.
                rate = pace.per_s() if pace.done < total else 0.0
                return plain_line(f"eval: {now['stage']}", pace.done, total, elapsed, rate,
                                  unit="jets")

            def update(stage: str, done: int, total: int) -> None:
                if stage != now["stage"]:  # each stage has its own pace and ETA
                    now.update(stage=stage, pace=Pace())
                now["total"] = total
                now["pace"].set(done)

            with plain_progress(line):
                yield update
            return
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      MofNCompleteColumn(), console=console,
                      disable=not console.is_terminal, transient=True) as progress:
            task = progress.add_task("reading", total=None)

            def update(stage: str, done: int, total: int) -> None:
                progress.update(task, description=stage, completed=done, total=total)

            yield update

    return bar()
