"""User-facing errors: one line on stderr, non-zero exit, no traceback (unless JETGEN_DEBUG=1)."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable


class JetgenError(Exception):
    """A failure the user can act on; the CLI prints ``str(error)`` as one line."""

    exit_code = 1


class UsageError(JetgenError):
    """Bad command-line arguments (exit status 2, as for any usage error)."""

    exit_code = 2


def nearest(name: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` suffix, or an empty string when nothing is close."""
    options = list(choices)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.4)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (valid: {', '.join(options)})" if options else ""


def warn(message: str) -> None:
    """A one-line warning on stderr: the run goes on, but the user should know."""
    print(f"jetgen: warning: {message}", file=sys.stderr)
