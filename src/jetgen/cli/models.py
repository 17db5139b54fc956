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
    wide: bool = typer.Option(False, "--wide", help="One table row per model (needs about "
                              "120 columns; the default on a terminal that wide)."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help=CACHE_HELP),
) -> None:
    """Shipped and downloadable models: classes, sampler, size, quality, and whether each
    is on this machine (★ marks the default).

    Quality is each model's worst class, as model / truth-floor ratio (1 = as close to the
    reference as two halves of the reference are to each other), for W1M, the worst
    substructure W1 (τ21, τ32, D2) and FPND_ref, at the n per class its card was measured
    with; "> x" where the floor is consistent with zero (a lower bound).

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
    from rich.console import Console

    console = Console()
    if wide or console.width >= WIDE_COLUMNS:
        _table(rows, console)
    else:
        _blocks(rows, console)
    console.print(CAPTION, soft_wrap=False, width=min(console.width, 100))


WIDE_COLUMNS = 120
CAPTION = ("fetch a model that is not here with `jetgen download NAME`; 'jetgen Pythia "
           "sample': trained on jetgen's own Pythia 8 jets (JetNet's recipe re-run), not the "
           "JetNet dataset: its numbers do not compare with published JetNet tables")


def _where(row: dict) -> str:
    return {"shipped": "shipped", "cache": "cached", None: "no"}[row["where"]]


def _name(row: dict) -> str:
    return (("★ " if row["default"] else "") + row["name"]
            + (f" (was {', '.join(row['aliases'])})" if row.get("aliases") else ""))


def _n_text(row: dict) -> str:
    n = (row.get("card_protocol") or {}).get("n")
    return f"n = {n:,} per class" if isinstance(n, int) else "n as in its card"


def _blocks(rows: list[dict], console) -> None:
    """Three or four short lines per model: fits 80 columns."""
    import textwrap

    from ..evaluation.quality import quality_summary

    width = max(40, console.width - 1)
    console.print("jetgen models (★ default)", style="bold")
    for row in rows:
        head = (f"{_name(row)}: {''.join(row.get('classes') or '?')} × "
                f"{row.get('particles', '?')} particles, {row.get('sampler', '?')} × "
                f"{row.get('steps', '?')}, {_size(row.get('size'))}, "
                f"{row.get('licence', '?')}, {_where(row)}")
        lines = textwrap.wrap(head, width, subsequent_indent="    ")
        lines += textwrap.wrap(f"trained on: {row.get('trained_on', '?')}", width,
                               initial_indent="  ", subsequent_indent="    ")
        quality = quality_summary(row.get("metrics"))
        if quality != "–":
            lines += textwrap.wrap(f"worst class / truth floor ({_n_text(row)}): {quality}",
                                   width, initial_indent="  ", subsequent_indent="    ")
        console.print("\n".join(lines), markup=False, highlight=False)


def _table(rows: list[dict], console) -> None:
    from rich import box
    from rich.table import Table

    from ..evaluation.quality import quality_summary

    table = Table(title="jetgen models (★ default; jets: classes × particles; quality: "
                  "worst class, model / truth floor)", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("name", no_wrap=True)
    for column in ("jets", "trained on", "sampler", "size", "quality", "licence", "here"):
        table.add_column(column, justify="right" if column == "size" else "left",
                         no_wrap=column not in ("quality", "licence", "trained on"))
    for row in rows:
        table.add_row(_name(row), f"{''.join(row.get('classes') or '?')} ×"
                      f"{row.get('particles', '?')}", str(row.get("trained_on", "?")),
                      f"{row.get('sampler', '?')}×{row.get('steps', '?')}",
                      _size(row.get("size")), quality_summary(row.get("metrics")),
                      str(row.get("licence", "?")), _where(row))
    console.print(table)


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
