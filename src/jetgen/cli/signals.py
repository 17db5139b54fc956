"""SIGTERM (batch schedulers, ``kill``) and Ctrl-C end a command with one line and a
non-zero status, after the atomic writers have deleted their temporary files. (Training
commands stop at the next step instead: jetgen.stopping.)"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from ..stopping import SIGNALS, Interrupted

__all__ = ["Interrupted", "terminate_as_interrupt"]


def _interrupt(signum, frame) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM and SIGINT raise :class:`Interrupted` (SIGTERM's default
    action would kill the process and leave the temporary file behind)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _interrupt) for s in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
