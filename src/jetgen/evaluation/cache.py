"""On-disk cache of the reference's expensive features (EFPs, ParticleNet activations, …).

Keyed by the content of the reference (SHA-256 of the file, or of the arrays for in-memory
jets) plus the split, class, rows and a feature-version tag, so a changed file or a
changed feature definition can never hit a stale entry; cached truth floors are keyed
also by :func:`code_versions` (jetgen's metric code, jetnet, numpy, scipy, torch).
Location: ``$JETGEN_CACHE_DIR`` if set, else the platform's user cache dir for "jetgen"
(``~/.cache/jetgen`` on Linux), subfolder ``eval``. Entries are written atomically; a
corrupt entry is recomputed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_open
from ..io.cache import CACHE_ENV
from ..io.cache import cache_dir as _cache_dir
from ..io.digest import sha256_file_memo as sha256_file

#: Bump when any cached feature's definition changes.
FEATURE_VERSION = "1"
ENV = CACHE_ENV

#: jetgen's modules (and resources) whose code decides a metric's value: a cached truth
#: floor is keyed by their content, so an edited metric can never return a stale floor.
METRIC_SOURCES = ("metrics.py", "w1.py", "physics_distances.py", "features.py", "efps.py",
                  "efp_graphs.py", "fpnd.py", "particlenet.py", "substructure.py",
                  "pipeline.py", "inputs.py", "threads.py",
                  "resources/particlenet_jetnet30.safetensors",
                  "resources/fpnd_jetnet30_stats.safetensors")
#: Libraries whose numerics the metrics use (jetnet is not one: jetgen computes its
#: metrics itself); "absent" where one does not import.
METRIC_LIBRARIES = ("numpy", "scipy", "torch")


def cache_dir() -> Path:
    """Where evaluation caches live (created on first write)."""
    return _cache_dir("eval")


def sha256_arrays(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(str((a.dtype.str, a.shape)).encode())
        digest.update(a.data)
    return digest.hexdigest()


def metric_sources() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [here / name for name in METRIC_SOURCES]


def code_versions() -> dict[str, str]:
    """What a cached truth floor was computed with: a SHA-256 over jetgen's metric and
    feature code (:data:`METRIC_SOURCES`) and the version of each library it calls."""
    digest = hashlib.sha256()
    for path in metric_sources():
        digest.update(path.name.encode())
        digest.update(sha256_file(path).encode() if path.exists() else b"missing")
    versions = {"jetgen_metrics": digest.hexdigest()}
    for name in METRIC_LIBRARIES:
        try:
            versions[name] = str(getattr(importlib.import_module(name), "__version__", "?"))
        except Exception:  # a broken install is as good as none here
            versions[name] = "absent"
    return versions


def entry_key(**parts) -> str:
    """Stable hash of the key fields (plus the feature version)."""
    record = json.dumps({"version": FEATURE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(record.encode()).hexdigest()[:32]


class FeatureCache:
    """``get``/``put`` of named arrays (``.npz``) and JSON records under one directory."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        if self.root is None:
            return None
        path = self.root / f"{key}.npz"
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError):
            return None  # unreadable: recompute and overwrite

    def put_arrays(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        if self.root is None:
            return
        self._atomic(f"{key}.npz", lambda f: np.savez(f, **arrays))

    def get_json(self, key: str) -> dict | None:
        if self.root is None:
            return None
        path = self.root / f"{key}.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def put_json(self, key: str, record: dict) -> None:
        if self.root is None:
            return
        self._atomic(f"{key}.json", lambda f: f.write(json.dumps(record).encode()))

    def _atomic(self, name: str, write) -> None:
        assert self.root is not None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with atomic_open(self.root / name, "wb") as f:
                write(f)
        except OSError:
            return  # an unwritable (or full) cache only costs speed, never the evaluation
