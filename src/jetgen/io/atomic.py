"""Write-then-rename, so a crash or Ctrl-C never leaves a half file under the final name."""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from pathlib import Path

from ..errors import JetgenError

#: errno values that mean "the disk (or a quota, or a file-size limit) is full".
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def check_output(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse to clobber an existing file and fail early on an unwritable directory."""
    path = Path(path)
    if path.is_dir():
        raise JetgenError(f"{path}: is a directory, expected a file name")
    if path.exists() and not overwrite:
        raise JetgenError(f"{path}: output exists; pass --overwrite to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise JetgenError(f"{path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise JetgenError(f"{path}: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK):
        raise JetgenError(f"{path}: directory {parent} is not writable")
    return path


def write_failed(path: Path, err: OSError) -> JetgenError:
    """The one-line error for an OSError while writing ``path`` (nothing is kept)."""
    reason = err.strerror or str(err) or err.__class__.__name__
    if err.errno in _FULL:
        reason = f"disk full or file size limit reached: {reason}"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = f"not writable: {reason}"
    return JetgenError(f"{path}: write failed ({reason}); no partial output was kept")


def temporary_sibling(path: Path) -> Path:
    """A hidden file in the same directory (same filesystem, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")


def commit(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)


def discard(tmp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
