"""SIGTERM and Ctrl-C during training: stop after the current optimiser step, say where the
checkpoint is, and exit non-zero (a batch system must not count the run as finished).

One policy for ``train`` and ``distill``: the first signal asks the run to stop at the
next step; a second one stops at once (:class:`Interrupted`). Outside the main thread
(a notebook's worker, a test runner) no handler can be installed and nothing changes.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import JetgenError

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(JetgenError):
    """Raised from a signal handler; unwinding runs every writer's clean-up.

    Not a KeyboardInterrupt: typer turns those into a silent exit status the console
    entry point does not pass on, and a batch system would count the job as done."""

    def __init__(self, signum: int):
        name = signal.Signals(signum).name
        super().__init__(f"interrupted by {name}; no partial output was kept")
        self.exit_code = 128 + signum


class StopRequest:
    """Whether (and by which signal) a stop was asked for; call it as ``should_stop``."""

    def __init__(self) -> None:
        self.signal = 0

    def __call__(self) -> bool:
        return bool(self.signal)

    def stopped(self, message: str) -> JetgenError:
        """The error that ends a stopped run: ``message``, status 128 + signal."""
        error = JetgenError(f"stopped by {signal.Signals(self.signal).name} {message}")
        error.exit_code = 128 + self.signal
        return error


@contextlib.contextmanager
def stop_requests() -> Iterator[StopRequest]:
    """Within the block SIGTERM/SIGINT set the yielded request; a second one raises
    :class:`Interrupted`. The previous handlers come back afterwards."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum, frame) -> None:
        if request.signal:
            raise Interrupted(signum)
        request.signal = signum

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield request
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class _StopNow(Exception):
    """Unwinds a run from its ``on_step`` callback (through every distillation round)."""


@contextlib.contextmanager
def stop_at_next_step(output: Path, total_steps: int,
                      checkpoint_every: int) -> Iterator[Callable[[Callable], Callable]]:
    """For runs that cannot be stopped between steps by ``should_stop`` alone (progressive
    distillation's rounds): a signal ends the run after the current step, without a
    checkpoint of its own, with the last periodic checkpoint and how to continue.

    Yields ``watch(on_step)``: the ``on_step`` callback that also notices the request."""
    step = {"now": 0}
    with stop_requests() as request:
        def watch(on_step: Callable[[dict], None] | None) -> Callable[[dict], None]:
            def watched(record: dict) -> None:
                if on_step is not None:
                    on_step(record)
                step["now"] = record["step"]
                if request():
                    raise _StopNow

            return watched

        try:
            yield watch
        except _StopNow:
            where = last_checkpoint(output)
            raise request.stopped(
                f"at step {step['now']} of {total_steps}; "
                + (f"last checkpoint {where[0]} (step {where[1]}; one every "
                   f"{checkpoint_every} steps); run the same command again to continue "
                   "from it" if where else "no checkpoint yet; the same command starts over")
            ) from None


def last_checkpoint(output: Path) -> tuple[Path, int] | None:
    """The newest training state under ``output`` (progressive rounds have one each)."""
    from safetensors import safe_open

    from .train import STATE_FILE

    states = sorted(Path(output).rglob(STATE_FILE), key=lambda p: p.stat().st_mtime)
    if not states:
        return None
    with safe_open(str(states[-1]), "pt") as f:
        return states[-1], int((f.metadata() or {}).get("step", 0))
