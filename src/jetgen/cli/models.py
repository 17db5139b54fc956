"""``jetgen models`` and ``jetgen download``: the registry, and fetching what is not shipped."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

CACHE_HELP = ("Cache root (models go in DIR/models; default $JETGEN_CACHE_DIR, else the "
              "user cache dir).")


def models(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
) -> None:
    """Shipped and downloadable models: classes, sampler, size, metrics, and whether each
    is on this machine (★ marks the default).

    Example: jetgen models --json
    """
    from ..registry import list_models

    rows = list_models(cache_dir)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        typer.echo("no models registered; train one with `jetgen train` and pass --model PATH")
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title="jetgen models (★ default; jets: classes × particles)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0),
                  caption="fetch a model that is not here with `jetgen download NAME`; "
                  "'jetgen Pythia sample': trained on jetgen's own Pythia 8 jets (JetNet's "
                  "recipe re-run), not the JetNet dataset: its numbers do not compare with "
                  "published JetNet tables",
                  caption_justify="left")
    table.add_column("name", no_wrap=True)
    for column in ("jets", "trained on", "sampler", "size", "W1M/floor", "licence", "here"):
        table.add_column(column, justify="right" if column == "size" else "left",
                         no_wrap=column not in ("W1M/floor", "licence", "trained on"))
    for row in rows:
        where = {"shipped": "[green]shipped[/green]", "cache": "[green]cached[/green]",
                 None: "[yellow]no[/yellow]"}[row["where"]]
        table.add_row(
            ("★ " if row["default"] else "") + row["name"]
            + (f" (was {', '.join(row['aliases'])})" if row.get("aliases") else ""),
            f"{''.join(row.get('classes') or '?')} ×{row.get('particles', '?')}",
            str(row.get("trained_on", "?")),
            f"{row.get('sampler', '?')}×{row.get('steps', '?')}",
            _size(row.get("size")),
            floor_summary(row.get("metrics")),
            str(row.get("licence", "?")),
            where,
        )
    Console().print(table)


def floor_summary(metrics: object) -> str:
    """Worst W1M model/truth-floor ratio over the classes of a card's metrics (eval's JSON
    layout, whole or its "classes": {class: {"metrics": {"w1m": {"ratio": …}}}}, or
    {class: {"w1m": …}})."""
    if isinstance(metrics, dict) and isinstance(metrics.get("classes"), dict):
        metrics = metrics["classes"]
    if not isinstance(metrics, dict):
        return "–"
    ratios = []
    for per_class in metrics.values():
        if not isinstance(per_class, dict):
            continue
        w1m = per_class.get("metrics", per_class).get("w1m")
        if isinstance(w1m, dict):
            ratio = w1m.get("ratio")
            if ratio is None and w1m.get("floor"):
                ratio = w1m.get("value", float("nan")) / w1m["floor"]
            if isinstance(ratio, (int, float)):
                ratios.append(float(ratio))
    return f"{max(ratios):.2f}" if ratios else "–"


def _size(size: object) -> str:
    if not isinstance(size, int):
        return "?"
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"


@contextmanager
def _byte_progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    console = Console(file=sys.stderr)
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn()]
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def download(
    name: str = typer.Argument(..., help="Model name (see `jetgen models`)."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Fetch again even if a good "
                                   "copy is already in the cache."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds without data before an "
                                  "attempt is given up."),
    retries: int = typer.Option(4, "--retries", help="Further attempts (with back-off) after "
                                "a failed one; partial files resume."),
) -> None:
    """Download a model that is not shipped into the user cache, checked against the
    sha256 in the registry before it gets its name.

    Example: jetgen download pythia30-teacher
    """
    from ..errors import UsageError
    from ..registry import download_model

    if timeout <= 0 or retries < 0:
        raise UsageError("--timeout must be positive and --retries at least 0")
    with _byte_progress(f"downloading {name}") as progress:
        path, how = download_model(name, cache_dir, overwrite=overwrite, timeout=timeout,
                                   retries=retries, progress=progress)
    use = f"--model {name}" if cache_dir is None else f"--model {path}"
    said = {"shipped": f"{name} ships with jetgen: {path}",
            "cache": f"{name} is already downloaded (sha256 checked): {path}",
            "fetched": f"downloaded {name} (sha256 checked) to {path}"}[how]
    typer.echo(f"{said}; use it with `jetgen sample {use}`")
