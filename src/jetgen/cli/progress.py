"""Rich progress bars that show jets/s, fed by plain callbacks from library code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} jets/s" if speed else "– jets/s", style="progress.data.speed")


@contextmanager
def jet_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(k)``; the bar goes to stderr so stdout stays clean for pipes."""
    console = Console(file=sys.stderr)
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total)
        yield lambda k: bar.advance(task, k)


@contextmanager
def step_progress(description: str, total: int) -> Iterator[Callable[[dict], None]]:
    """Yields ``update(record)`` for training loops: position, loss and jets/s."""
    console = Console(file=sys.stderr)
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[rate]} jets/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=total, loss="–", rate="–")

        def update(record: dict) -> None:
            bar.update(task, completed=record["step"], loss=f"{record['loss']:.4f}",
                       rate=f"{record.get('jets_per_s', 0):,.0f}")

        yield update
