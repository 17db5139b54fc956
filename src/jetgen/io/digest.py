"""File checksums: the one place jetgen hashes a file (model weights, downloads, the
evaluation cache's keys)."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

#: Bytes read per block: large enough that hashing a GB-size file is not call-bound.
_BLOCK = 1 << 22


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes; ``algorithm`` is any :func:`hashlib.new` name (Zenodo
    publishes MD5)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 of a file, read afresh every time: what verifying a file before use needs."""
    return file_digest(path, "sha256")


def sha256_file_memo(path: str | os.PathLike) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) for files hashed again and
    again in one process (the evaluation cache keys a reference by its content); a
    rewritten file has a new mtime and is hashed again."""
    st = Path(path).stat()
    return _memo(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _memo(path: str, size: int, mtime_ns: int) -> str:
    # size/mtime are part of the lru key only.
    return file_digest(path, "sha256")
