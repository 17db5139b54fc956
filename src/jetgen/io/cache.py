"""jetgen's per-user cache: one root, one folder per kind of content (``models``, ``jetnet``,
``eval``, ``reference``, ``onnx``)."""

from __future__ import annotations

import os
from pathlib import Path

#: Overrides the cache root (CI, clusters with a shared scratch disk, tests).
CACHE_ENV = "JETGEN_CACHE_DIR"


def cache_root() -> Path:
    """``$JETGEN_CACHE_DIR`` if set (and not empty), else the platform's user cache dir for
    jetgen (``~/.cache/jetgen`` on Linux). Not created here: the first write creates it."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("jetgen"))


def cache_dir(sub: str, root: str | os.PathLike | None = None) -> Path:
    """The ``sub`` folder of ``root`` (a caller's own cache root), else of :func:`cache_root`."""
    return Path(root or cache_root()) / sub
