"""The protocol every jet writer follows (HDF5, ROOT): checked output name, temporary
files beside it, renamed into place on a clean exit, removed on any error or signal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from ..errors import JetgenError
from ..jets import Jets
from .atomic import check_output, commit, discard, temporary_sibling

_W = TypeVar("_W", bound="AtomicWriter")


class AtomicWriter:
    """Base of the streaming jet writers; use as a context manager.

    A subclass writes only to temporaries from :meth:`_temporary`, implements
    :meth:`_append` (one batch), :meth:`_finish` (flush and close its files; raise on
    failure) and :meth:`_close_quietly` (close whatever is open, errors ignored). The base
    refuses an existing output unless ``overwrite``, checks each batch's particle count,
    and commits (or on failure removes) every temporary.
    """

    def __init__(self, path: str | os.PathLike, n_particles: int, overwrite: bool = False):
        self.path = check_output(path, overwrite)
        self.overwrite = overwrite
        self.n_particles = n_particles
        #: (temporary, final name) in creation order.
        self._pending: list[tuple[Path, Path]] = []

    def _temporary(self, final: Path) -> Path:
        """A new temporary sibling of ``final``, committed or discarded with the rest."""
        tmp = temporary_sibling(final)
        self._pending.append((tmp, final))
        return tmp

    def write(self, jets: Jets) -> None:
        if jets.n_particles != self.n_particles:
            raise JetgenError(f"{self.path}: got jets with {jets.n_particles} particles, file "
                              f"holds {self.n_particles}")
        self._append(jets)

    def close(self) -> None:
        """Finish the files and give them their names; the first file goes in last, so
        whoever opens ``path`` sees the old output or the whole new one."""
        self._finish()
        for tmp, final in reversed(self._pending):
            commit(tmp, final)
        self._pending.clear()

    def abort(self) -> None:
        """Drop everything written (already failing: errors while closing are ignored)."""
        self._close_quietly()
        for tmp, _ in self._pending:
            discard(tmp)
        self._pending.clear()

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.close()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()

    # --- for subclasses ----------------------------------------------------------------

    def _append(self, jets: Jets) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _close_quietly(self) -> None:
        raise NotImplementedError
