"""User-facing errors: one line on stderr, non-zero exit, no traceback (unless JETGEN_DEBUG=1).

Each is also the standard type a caller would catch for it (as uproot's ``KeyInFileError``
is a ``KeyError``): ``except ValueError`` catches bad arguments, ``except OSError`` a file
that is missing or unreadable, ``except KeyError`` a dataset, tree or branch a file lacks.
"""

from __future__ import annotations

import difflib
import errno as _errno
import os
import sys
from collections.abc import Iterable


class JetgenError(Exception):
    """A failure the user can act on; the CLI prints ``str(error)`` as one line."""

    exit_code = 1


class UsageError(JetgenError, ValueError):
    """Bad command-line arguments (exit status 2, as for any usage error)."""

    exit_code = 2


class JetgenFileError(JetgenError, OSError):
    """A file that is missing, unreadable, unwritable or not in the expected format.

    ``path`` is the file; ``errno`` the operating system's code where one caused it.
    The message is the whole ``str``: OSError's ``[Errno n]`` prefix is not added.
    """

    def __init__(self, message: str, *, path: str | os.PathLike | None = None,
                 errno: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.errno = errno

    def __reduce__(self):  # picklable across worker processes despite keyword arguments
        return _rebuild, (type(self), self.args, {**self.__dict__, "errno": self.errno})

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FileMissingError(JetgenFileError, FileNotFoundError):
    """A file that does not exist (``except FileNotFoundError`` catches it too)."""

    def __init__(self, message: str, *, path: str | os.PathLike | None = None) -> None:
        super().__init__(message, path=path, errno=_errno.ENOENT)


class KeyInFileError(JetgenError, KeyError):
    """A dataset, TTree or branch that a file lacks, with the keys it has.

    ``key``, ``path`` and ``keys`` (the valid choices) are attributes; ``str`` is the
    one-line message without the quotes ``KeyError`` would add around it.
    """

    def __init__(self, key: str, *, path: str | os.PathLike, keys: Iterable[str],
                 what: str = "key", message: str | None = None) -> None:
        self.key = key
        self.path = path
        self.keys = list(keys)
        super().__init__(message or f"{path}: no {what} {key!r}{nearest(key, self.keys)}")

    def __reduce__(self):  # picklable across worker processes despite keyword arguments
        return _rebuild, (type(self), self.args, self.__dict__)

    @property
    def nearest_key(self) -> str | None:
        """The valid key closest to ``key`` (None when none is close)."""
        close = difflib.get_close_matches(self.key, self.keys, n=1, cutoff=0.4)
        return close[0] if close else None

    def __str__(self) -> str:
        return str(self.args[0])


def _rebuild(cls: type[BaseException], args: tuple, state: dict) -> BaseException:
    error = cls.__new__(cls)
    error.args = args
    for name, value in state.items():
        setattr(error, name, value)
    return error


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
