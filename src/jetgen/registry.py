"""Named models: shipped in ``weights/`` or downloadable, listed in ``models.json`` files.

The shipped ``weights/models.json`` comes first; every file named in ``$JETGEN_REGISTRY``
(``os.pathsep``-separated) is read after it, and its entries replace same-named ones and
its ``default`` the shipped default. That is how a group points everyone at its own
models (or a mirror), and how tests point jetgen at a server on 127.0.0.1.

An entry's weights are looked for beside the registry file that lists it (shipped), then
in the user cache (``jetgen download``); either way the sha256 is checked before use.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import JetgenError, nearest
from .io.cache import cache_dir as _cache_dir
from .io.digest import sha256_file

__all__ = ["REGISTRY_ENV", "REGISTRY_FILE", "Catalogue", "cached_path", "catalogue",
           "default_model_name", "download_model", "list_models", "local_copy",
           "models_cache_dir", "registry", "registry_files", "resolve_model", "sha256_file",
           "shipped_path", "weights_dir"]

REGISTRY_FILE = "models.json"
REGISTRY_ENV = "JETGEN_REGISTRY"
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: A model may be named by its weights' sha256 or a prefix of it (as files record it), so
#: a superseded release stays reachable after its name moves on to a newer one.
_DIGEST = re.compile(r"[0-9a-f]{12,64}")


def weights_dir() -> Path:
    """Installed wheels carry ``jetgen/weights``; a source checkout has ``weights/``."""
    packaged = Path(__file__).parent / "weights"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "weights"


def models_cache_dir(cache_dir: Path | None = None) -> Path:
    """``models`` under ``cache_dir`` or jetgen's cache root (``$JETGEN_CACHE_DIR``, else
    the platform's user cache dir), beside ``jetnet`` and ``eval``."""
    return _cache_dir("models", cache_dir)


@dataclass
class Catalogue:
    models: dict[str, dict] = field(default_factory=dict)
    #: Directory of the registry file that listed each model: where shipped weights lie.
    dirs: dict[str, Path] = field(default_factory=dict)
    default: str | None = None
    #: Former names (``aliases`` of an entry) → current name: renamed models still resolve.
    aliases: dict[str, str] = field(default_factory=dict)

    def canonical(self, name: str) -> str:
        return name if name in self.models else self.aliases.get(name, name)


def registry_files() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(REGISTRY_ENV, "").split(os.pathsep) if p]
    for path in extra:
        if not path.is_file():
            raise JetgenError(f"${REGISTRY_ENV}: {path}: no such registry file")
    return [weights_dir() / REGISTRY_FILE, *extra]


def catalogue() -> Catalogue:
    """All registries merged (read afresh: $JETGEN_REGISTRY may change between calls)."""
    out = Catalogue()
    for path in registry_files():
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text())
            entries = data["models"]
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise JetgenError(f"{path}: not a jetgen model registry ({err.__class__.__name__}"
                              f": {err})") from None
        for entry in entries:
            _check_entry(entry, path)
            out.models[entry["name"]] = entry
            out.dirs[entry["name"]] = path.parent
            for alias in entry.get("aliases", []):
                out.aliases[alias] = entry["name"]
        out.default = data.get("default", out.default)
    if out.default is not None:
        out.default = out.canonical(out.default)
    return out


def _check_entry(entry: dict, origin: Path) -> None:
    name = entry.get("name", "?") if isinstance(entry, dict) else "?"
    missing = [k for k in ("name", "file", "sha256") if not isinstance(entry, dict)
               or not isinstance(entry.get(k), str)]
    if missing:
        raise JetgenError(f"{origin}: model {name!r} lacks {', '.join(missing)}")
    # The file name becomes a path in the cache and beside the registry: no escaping it.
    file = entry["file"]
    if Path(file).name != file or not file.endswith(".safetensors"):
        raise JetgenError(f"{origin}: model {name!r}: file {file!r} must be a bare "
                          "*.safetensors name")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise JetgenError(f"{origin}: model {name!r}: aliases must be a list of names")
    if not _SHA256.fullmatch(entry["sha256"]):
        raise JetgenError(f"{origin}: model {name!r}: sha256 must be 64 lowercase hex digits")


def registry() -> dict[str, dict]:
    """Registry entries by name."""
    return catalogue().models


def default_model_name() -> str | None:
    return catalogue().default


def shipped_path(name: str, cat: Catalogue | None = None) -> Path:
    cat = cat or catalogue()
    return cat.dirs[name] / cat.models[name]["file"]


def cached_path(entry: dict, cache_dir: Path | None = None) -> Path:
    """Where ``jetgen download`` keeps a model: named by content, so a newer release of
    the same file name never collides with an older download."""
    stem = entry["file"].removesuffix(".safetensors")
    return models_cache_dir(cache_dir) / f"{stem}-{entry['sha256'][:12]}.safetensors"


def local_copy(name: str, cache_dir: Path | None = None,
               cat: Catalogue | None = None) -> tuple[Path, str] | None:
    """(path, "shipped" or "cache") of a model's weights on this machine, unverified."""
    cat = cat or catalogue()
    shipped = shipped_path(name, cat)
    if shipped.is_file():
        return shipped, "shipped"
    cached = cached_path(cat.models[name], cache_dir)
    if cached.is_file():
        return cached, "cache"
    return None


def _lookup(name: str, cat: Catalogue) -> dict:
    name = cat.canonical(name)
    if name not in cat.models and _DIGEST.fullmatch(name):
        hits = [n for n, entry in cat.models.items() if entry["sha256"].startswith(name)]
        if len(hits) > 1:
            raise JetgenError(f"sha256 {name!r} starts the digest of several models "
                              f"({', '.join(hits)}); give more of its digits")
        if hits:
            return cat.models[hits[0]]
        raise JetgenError(f"no registered model has sha256 {name}…; `jetgen models` lists "
                          "them")
    if name not in cat.models:
        raise JetgenError(f"unknown model {name!r}{nearest(name, cat.models)}; "
                          "`jetgen models` lists them (a sha256 of 12+ hex digits works too)")
    return cat.models[name]


def resolve_model(name_or_path: str | None,
                  cache_dir: Path | None = None) -> tuple[Path, dict]:
    """(weights path, registry entry or {}) for a registry name, a file, or the default.

    Registered weights (shipped or downloaded) are checked against their recorded sha256
    before use.
    """
    cat = catalogue()
    if name_or_path is None:
        name_or_path = cat.default
        if name_or_path is None:
            raise JetgenError("no model given and no default model is shipped; pass --model "
                              "PATH (a .safetensors file from `jetgen train`)")
    path = Path(name_or_path)
    if (cat.canonical(name_or_path) not in cat.models
            and (path.suffix == ".safetensors" or path.exists())):
        if not path.exists():
            raise JetgenError(f"{path}: no such model file")
        if path.is_dir():
            candidate = path / "ema.safetensors"
            if not candidate.exists():
                raise JetgenError(f"{path}: directory has no ema.safetensors")
            path = candidate
        return path, {}
    entry = _lookup(name_or_path, cat)
    name_or_path = entry["name"]
    found = local_copy(name_or_path, cache_dir, cat)
    if found is None:
        if entry.get("url"):
            raise JetgenError(f"model {name_or_path!r} is not downloaded yet; fetch it with "
                              f"`jetgen download {name_or_path}`")
        raise JetgenError(f"model {name_or_path!r}: {shipped_path(name_or_path, cat)} is "
                          "missing and the registry gives no URL to download it from")
    path, where = found
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        remedy = (f"fetch it again with `jetgen download {name_or_path} --overwrite`"
                  if where == "cache" else "reinstall jetgen")
        raise JetgenError(f"{path}: sha256 {actual[:12]}… does not match the registry "
                          f"({entry['sha256'][:12]}…) for model {name_or_path!r}; the file is "
                          f"corrupted or was replaced; {remedy}")
    return path, entry


def download_model(name: str, cache_dir: Path | None = None, *, overwrite: bool = False,
                   timeout: float = 30.0, retries: int = 4, backoff: float = 1.0,
                   progress: Callable[[int, int | None], None] | None = None
                   ) -> tuple[Path, str]:
    """Fetch a downloadable model into the cache; (path, "shipped" / "cache" / "fetched").

    The sha256 is checked before the file gets its name; then the file must also read as
    a jetgen safetensors model, or it is removed: a matching hash proves only that this is
    the file the registry names, and a wrong registry entry could name a pickle.
    """
    from .download import download
    from .models.checkpoint import read_metadata

    cat = catalogue()
    entry = _lookup(name, cat)
    name = entry["name"]
    shipped = shipped_path(name, cat)
    if shipped.is_file():
        return resolve_model(name, cache_dir)[0], "shipped"
    url = entry.get("url")
    if not url:
        raise JetgenError(f"model {name!r} has no download URL in the registry, and "
                          f"{shipped} is missing; reinstall jetgen")
    if not url.startswith(("https://", "http://")):
        raise JetgenError(f"model {name!r}: URL {url!r} is not http(s)")
    dest = cached_path(entry, cache_dir)
    already = dest.is_file() and not overwrite and sha256_file(dest) == entry["sha256"]
    download(url, dest, ("sha256", entry["sha256"]), timeout=timeout, retries=retries,
             backoff=backoff, progress=progress, force=overwrite)
    try:
        read_metadata(dest)
    except JetgenError as err:
        dest.unlink()
        raise JetgenError(f"model {name!r} from {url} matches its sha256 but is unusable "
                          f"({err}); removed it, the registry entry is wrong") from None
    return dest, "cache" if already else "fetched"


def list_models(cache_dir: Path | None = None) -> list[dict]:
    """Every registered model with ``default`` and where it is on this machine (``where``
    None: downloadable with `jetgen download NAME`)."""
    cat = catalogue()
    rows = []
    for name, entry in cat.models.items():
        found = local_copy(name, cache_dir, cat)
        rows.append({**entry, "default": name == cat.default,
                     "where": found[1] if found else None,
                     "path": str(found[0]) if found else None})
    return rows
