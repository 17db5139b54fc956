"""List trained weights in a model registry (``weights/models.json`` or one's own), with
their card: the library half of ``scripts/ship.py``, importable by tests.

Maintainers' tool, not part of the installed package: jetgen itself only looks models up
(:mod:`jetgen.registry`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from jetgen.errors import UsageError
from jetgen.io.atomic import atomic_path, atomic_write
from jetgen.io.digest import sha256_file
from jetgen.models.checkpoint import read_metadata
from jetgen.registry import REGISTRY_FILE, weights_dir

#: Card keys recorded in the registry entry itself (the rest go in the .md card only).
CARD_KEYS = ("training_data", "train_steps", "metrics", "role", "description", "trained_on",
             "training_data_note")


def ship_model(source: Path, name: str, card: dict, make_default: bool = False, *,
               url: str | None = None, licence: str = "MIT",
               registry_dir: Path | None = None, card_text: str | None = None) -> Path:
    """List trained EMA weights in ``weights/models.json`` (or ``registry_dir``'s, for a
    registry of one's own named in $JETGEN_REGISTRY) with a model card.

    Without ``url`` the weights are copied into ``weights/`` and ship in the wheel (the
    returned path). With ``url`` they do not: upload ``source`` (returned) there, and
    users fetch it with ``jetgen download NAME``. Sampler, steps, classes and particle
    count come from the model's own config; ``card`` holds what a user needs to trust it:
    ``training_data`` (the recipe), ``metrics`` (against the truth floor), ``train_steps``,
    ``role`` (teacher/student), ``description``. The markdown card ``NAME.md`` beside the
    registry is ``card_text`` (e.g. from :func:`jetgen.modelcard.build_card`) or, without
    it, the entry and ``card`` as a list.
    """
    source = Path(source)
    folder = Path(registry_dir) if registry_dir is not None else weights_dir()
    meta = read_metadata(source)
    config = meta["config"]
    if url is None:
        target = folder / f"{name}.safetensors"
        if source.resolve() != target.resolve():
            with atomic_path(target) as tmp:
                shutil.copyfile(source, tmp)
    else:
        if make_default:
            raise UsageError("the default model must be shipped (it has to work offline); "
                             "drop url= or make_default=")
        target = source
        stale = folder / f"{name}.safetensors"
        if stale.exists() and stale.resolve() != source.resolve():
            stale.unlink()  # else it would shadow the download (and fail its hash)
    entry = {
        "name": name,
        "file": f"{name}.safetensors",
        "sha256": sha256_file(target),
        "size": target.stat().st_size,
        "sampler": config["sampler"],
        "steps": config["steps"],
        "classes": config["classes"],
        "particles": config["n_particles"],
        "licence": licence,
        "training_data": meta.get("training_data"),
        "train_steps": meta.get("train_step"),
        "role": "student" if meta.get("distillation") else "teacher",
        **{k: v for k, v in card.items() if k in CARD_KEYS},
    }
    entry["card"] = f"{name}.md"
    if url is not None:
        entry["url"] = url
    path = folder / REGISTRY_FILE
    data = json.loads(path.read_text()) if path.exists() else {"models": []}
    data["models"] = [m for m in data["models"] if m["name"] != name] + [entry]
    if make_default or ("default" not in data and url is None):
        data["default"] = name
    atomic_write(path, json.dumps(data, indent=2) + "\n")
    if card_text is None:
        lines = [f"# {name}", ""]
        for key, value in {**entry, **card}.items():
            lines.append(f"- **{key}**: {value}")
        card_text = "\n".join(lines) + "\n"
    atomic_write(folder / entry["card"], card_text)
    return target


def rename_model(name: str, new_name: str, note: str, *,
                 registry_dir: Path | None = None) -> Path:
    """Move a listed model to ``new_name`` (its weights file and card too), before a newer
    release takes its name. The bytes are unchanged, so files that recorded its sha256
    still resolve to it; its aliases stay with it; ``note`` (e.g. "superseded by ...")
    opens its description and its card. Returns the renamed weights file."""
    folder = Path(registry_dir) if registry_dir is not None else weights_dir()
    path = folder / REGISTRY_FILE
    data = json.loads(path.read_text())
    names = [m["name"] for m in data["models"]]
    if name not in names:
        raise UsageError(f"{path}: no model {name!r} to rename")
    if new_name in names:
        raise UsageError(f"{path}: {new_name!r} is taken")
    entry = next(m for m in data["models"] if m["name"] == name)
    old_file, old_card = folder / entry["file"], folder / entry["card"]
    entry.update(name=new_name, file=f"{new_name}.safetensors", card=f"{new_name}.md",
                 description=f"{note} {entry.get('description', '')}".strip())
    if data.get("default") == name:
        data["default"] = new_name
    old_file.rename(folder / entry["file"])
    card = old_card.read_text().replace(f"# {name}\n", f"# {new_name}\n\n> {note}\n", 1)
    atomic_write(folder / entry["card"], card)
    old_card.unlink()
    atomic_write(path, json.dumps(data, indent=2) + "\n")
    return folder / entry["file"]
