"""Write-then-rename, so a crash or Ctrl-C never leaves a half file under the final name.

The one implementation of atomic output in jetgen: a temporary file in the same directory
(same filesystem, so the rename is atomic), renamed over the final name only once complete,
removed on any error. :func:`atomic_path` (for libraries that write a path themselves),
:func:`atomic_open` (a file object) and :func:`atomic_write` (bytes or text at once) are
its three forms; the jet writers (:mod:`jetgen.io.writer`) use the same pieces.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import JetgenFileError

#: errno values that mean "the disk (or a quota, or a file-size limit) is full".
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def check_output(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse to clobber an existing file and fail early on an unwritable directory."""
    path = Path(path)
    if path.is_dir():
        raise JetgenFileError(f"{path}: is a directory, expected a file name", path=path,
                              errno=errno.EISDIR)
    if path.exists() and not overwrite:
        raise JetgenFileError(f"{path}: output exists; pass --overwrite to replace it",
                              path=path, errno=errno.EEXIST)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise JetgenFileError(f"{path}: directory {parent} does not exist", path=path,
                              errno=errno.ENOENT)
    if not parent.is_dir():
        raise JetgenFileError(f"{path}: {parent} is a file, not a directory", path=path,
                              errno=errno.ENOTDIR)
    if not os.access(parent, os.W_OK):
        raise JetgenFileError(f"{path}: directory {parent} is not writable", path=path,
                              errno=errno.EACCES)
    return path


def write_failed(path: Path, err: OSError) -> JetgenFileError:
    """The one-line error for an OSError while writing ``path`` (nothing is kept)."""
    reason = err.strerror or str(err) or err.__class__.__name__
    if err.errno in _FULL:
        reason = f"disk full or file size limit reached: {reason}"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"not writable: {reason}"
    return JetgenFileError(f"{path}: write failed ({reason}); no partial output was kept",
                           path=path, errno=err.errno)


def temporary_sibling(path: Path) -> Path:
    """A hidden file in the same directory (same filesystem, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")


def commit(tmp: Path, final: Path, fsync: bool = False) -> None:
    """Rename the finished ``tmp`` over ``final``; with ``fsync``, its bytes reach the disk
    first, so a power cut cannot leave ``final`` named but empty."""
    if fsync:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    os.replace(tmp, final)


def discard(tmp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, *, fsync: bool = False) -> Iterator[Path]:
    """A temporary sibling of ``final`` for the block to write (by any means): renamed onto
    ``final`` when the block ends normally, removed when it raises (a signal included)."""
    final = Path(final)
    tmp = temporary_sibling(final)
    try:
        yield tmp
        commit(tmp, final, fsync)
    except BaseException:
        discard(tmp)
        raise


@contextlib.contextmanager
def atomic_open(final: str | os.PathLike, mode: str = "wb", *, fsync: bool = False,
                **open_kwargs: Any) -> Iterator[IO[Any]]:
    """``open(final, mode)`` that writes a temporary sibling, renamed on a clean exit."""
    if not mode.startswith(("w", "x")):
        raise ValueError(f"atomic_open writes a new file; mode {mode!r} is not a write mode")
    with atomic_path(final, fsync=fsync) as tmp, open(tmp, mode, **open_kwargs) as f:
        yield f


def atomic_write(final: str | os.PathLike, data: bytes | str, *, fsync: bool = False) -> Path:
    """Write ``data`` (text as UTF-8) to ``final`` atomically; returns ``final`` as a Path."""
    raw = data.encode() if isinstance(data, str) else data
    with atomic_open(final, "wb", fsync=fsync) as f:
        f.write(raw)
    return Path(final)
