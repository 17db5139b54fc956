"""Progress fed by plain callbacks from library code: a rich bar on a terminal; in a batch
log (stderr not a terminal) one plain line every ``$JETGEN_PROGRESS_EVERY`` seconds
(default 30), so a long job shows signs of life without filling the log."""

from __future__ import annotations

import os
import sys
import threading
import time
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


INTERVAL_ENV = "JETGEN_PROGRESS_EVERY"


def interval_s() -> float:
    try:
        return max(0.1, float(os.environ.get(INTERVAL_ENV, "30")))
    except ValueError:
        return 30.0


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Pace:
    """Units done, and the pace since the first update (set-up time such as loading a
    model or data is not work done, and would make the ETA too long)."""

    def __init__(self) -> None:
        self.done, self.first = 0, None

    def set(self, done: int) -> None:
        if self.first is None:
            self.first = (time.monotonic(), done)
        self.done = done

    def per_s(self) -> float:
        if self.first is None:
            return 0.0
        t0, d0 = self.first
        return (self.done - d0) / max(time.monotonic() - t0, 1e-9)


def plain_line(description: str, done: int, total: int | None, elapsed: float,
               pace: float, unit: str = "jets", extra: str = "",
               rate: str = "") -> str:
    """``jetgen: sampling: 2,048/10,000 jets (20%), 1,020 jets/s, ETA 8 s``; ``rate``
    overrides the shown rate (training shows jets/s while counting steps)."""
    parts = [f"{done:,}/{total:,} {unit} ({done / total:.0%})" if total else f"{done:,} {unit}"]
    if extra:
        parts.append(extra)
    if rate or pace:
        parts.append(rate or f"{pace:,.0f} {unit}/s")
    parts.append(f"{duration(elapsed)} elapsed")
    if total and pace:
        parts.append(f"ETA {duration((total - done) / pace)}")
    return f"jetgen: {description}: {', '.join(parts)}"


@contextmanager
def plain_progress(line: Callable[[float], str | None]) -> Iterator[None]:
    """Print ``line(elapsed)`` to stderr every interval from a daemon thread (the main
    thread may sit in one long batch or validation; the line still comes)."""
    start, done = time.monotonic(), threading.Event()

    def tick() -> None:
        while not done.wait(interval_s()):
            text = line(time.monotonic() - start)
            if text:
                print(text, file=sys.stderr, flush=True)

    thread = threading.Thread(target=tick, daemon=True, name="jetgen-progress")
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextmanager
def jet_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(k)``; the bar goes to stderr so stdout stays clean for pipes."""
    console = Console(file=sys.stderr)
    if not console.is_terminal:
        pace = Pace()

        def advance(k: int) -> None:
            pace.set(pace.done + k)

        with plain_progress(lambda t: plain_line(description, pace.done, total, t,
                                                 pace.per_s())):
            yield advance
        return
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
    if not console.is_terminal:
        last: dict = {}
        pace = Pace()

        def record(update: dict) -> None:
            last.update(update)
            pace.set(int(update["step"]))

        def line(elapsed: float) -> str:
            loss = f"loss {last['loss']:.4f}" if "loss" in last else ""
            jets = last.get("jets_per_s")
            return plain_line(description, pace.done, total, elapsed, pace.per_s(),
                              unit="steps", extra=loss,
                              rate=f"{jets:,.0f} jets/s" if jets else "")

        with plain_progress(line):
            yield record
        return
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
