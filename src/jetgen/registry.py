"""Named models: the ones shipped in ``weights/`` and listed in ``weights/models.json``."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from .errors import JetgenError, nearest

REGISTRY_FILE = "models.json"


def weights_dir() -> Path:
    """Installed wheels carry ``jetgen/weights``; a source checkout has ``weights/``."""
    packaged = Path(__file__).parent / "weights"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "weights"


@cache
def registry() -> dict[str, dict]:
    path = weights_dir() / REGISTRY_FILE
    if not path.exists():
        return {}
    entries = json.loads(path.read_text())
    return {e["name"]: e for e in entries["models"]}


def default_model_name() -> str | None:
    path = weights_dir() / REGISTRY_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("default")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_model(name_or_path: str | None) -> tuple[Path, dict]:
    """(weights path, registry entry or {}) for a registry name, a file, or the default.

    Registry files are checked against their recorded sha256 before use.
    """
    if name_or_path is None:
        name_or_path = default_model_name()
        if name_or_path is None:
            raise JetgenError("no model given and no default model is shipped; pass --model "
                              "PATH (a .safetensors file from `jetgen train`)")
    path = Path(name_or_path)
    if path.suffix == ".safetensors" or path.exists():
        if not path.exists():
            raise JetgenError(f"{path}: no such model file")
        if path.is_dir():
            candidate = path / "ema.safetensors"
            if not candidate.exists():
                raise JetgenError(f"{path}: directory has no ema.safetensors")
            path = candidate
        return path, {}
    entries = registry()
    if name_or_path not in entries:
        raise JetgenError(f"unknown model {name_or_path!r}{nearest(name_or_path, entries)}")
    entry = entries[name_or_path]
    path = weights_dir() / entry["file"]
    if not path.exists():
        raise JetgenError(f"model {name_or_path!r} is not shipped; fetch it with "
                          f"`jetgen download {name_or_path}`")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise JetgenError(f"{path}: sha256 {actual[:12]}… does not match the registry "
                          f"({entry['sha256'][:12]}…); the file is corrupted")
    return path, entry


def ship_model(source: Path, name: str, card: dict, make_default: bool = False) -> Path:
    """Copy trained EMA weights into ``weights/`` with a card, and list them in models.json.

    ``card`` holds what a user needs to trust the model: data recipe, training config and
    steps, metrics against the truth floor, licence.
    """
    import shutil

    from .models.checkpoint import read_metadata

    meta = read_metadata(source)
    target = weights_dir() / f"{name}.safetensors"
    shutil.copyfile(source, target)
    config = meta["config"]
    entry = {
        "name": name,
        "file": target.name,
        "sha256": sha256_file(target),
        "size": target.stat().st_size,
        "sampler": config["sampler"],
        "steps": config["steps"],
        "classes": config["classes"],
        "particles": config["n_particles"],
        "licence": "MIT",
        **{k: v for k, v in card.items() if k in ("training_data", "train_steps", "metrics")},
    }
    path = weights_dir() / REGISTRY_FILE
    data = json.loads(path.read_text()) if path.exists() else {"models": []}
    data["models"] = [m for m in data["models"] if m["name"] != name] + [entry]
    if make_default or "default" not in data:
        data["default"] = name
    path.write_text(json.dumps(data, indent=2) + "\n")
    lines = [f"# {name}", ""]
    for key, value in {**entry, **card}.items():
        lines.append(f"- **{key}**: {value}")
    (weights_dir() / f"{name}.md").write_text("\n".join(lines) + "\n")
    registry.cache_clear()
    return target
