"""SIGTERM (batch schedulers, ``kill``) and Ctrl-C end a command with one line and a
non-zero status, after the atomic writers have deleted their temporary files."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from ..errors import JetgenError


class Interrupted(JetgenError):
    """Raised from the signal handler; unwinding runs every writer's clean-up.

    Not a KeyboardInterrupt: typer turns those into a silent exit status the console
    entry point does not pass on, and a batch system would count the job as done."""

    def __init__(self, signum: int):
        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name}; no partial output was kept")
        self.exit_code = 128 + signum


def _interrupt(signum, frame) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM and SIGINT raise :class:`Interrupted` (SIGTERM's default
    action would kill the process and leave the temporary file behind)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
