"""Weights on disk: safetensors only, with the model config in the header metadata.

Nothing here ever unpickles: a file that is not safetensors is refused with one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..config import ModelConfig, from_dict, to_dict
from ..errors import FileMissingError, JetgenError
from ..io.atomic import atomic_path
from .jetmodel import JetModel
from .preprocessing import Standardiser

FORMAT = "jetgen-model-1"
_PICKLE_MAGIC = (b"\x80", b"PK\x03\x04")  # raw pickle protocol ≥2, torch zip archive


def save_model(path, model: JetModel, metadata: dict | None = None) -> Path:
    """Atomic write of a model's weights with its config and card in the metadata."""
    from safetensors.torch import save_file

    path = Path(path)
    header = {
        "format": FORMAT,
        "config": json.dumps(to_dict(model.config)),
        "standardiser": json.dumps(model.standardiser.to_dict()),
    }
    for key, value in (metadata or {}).items():
        header[key] = value if isinstance(value, str) else json.dumps(value, default=str)
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=header)
    return path


def read_metadata(path) -> dict:
    """The header metadata of a jetgen weights file (JSON values decoded)."""
    from safetensors import safe_open

    path = _check_safetensors(Path(path))
    try:
        with safe_open(str(path), "pt") as f:
            raw = f.metadata() or {}
    except Exception as err:  # safetensors raises its own error types
        raise JetgenError(f"{path}: not a valid safetensors file ({err})") from None
    if raw.get("format") != FORMAT:
        raise JetgenError(f"{path}: not a jetgen model (no '{FORMAT}' format tag)")
    out = {}
    for key, value in raw.items():
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def read_model(path, device: str | torch.device = "cpu") -> tuple[JetModel, dict]:
    """(model in eval mode, metadata) from a safetensors file."""
    from safetensors.torch import load_file

    meta = read_metadata(path)
    config = from_dict(ModelConfig, meta["config"], f"{path}: config")
    model = JetModel(config, Standardiser(**meta["standardiser"]))
    try:
        state = load_file(str(path))
    except Exception as err:  # safetensors raises its own error types
        raise JetgenError(f"{path}: not a valid safetensors file ({err})") from None
    # Damaged tensor bytes still parse; NaN/inf weights would only show as NaN jets later.
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise JetgenError(f"{path}: corrupted weights ({len(bad)} tensors hold NaN/inf, e.g. "
                          f"{bad[0]})")
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise JetgenError(
            f"{path}: weights do not match the config (missing {len(missing)}, unexpected "
            f"{len(unexpected)} tensors)"
        )
    return model.to(device).eval(), meta


def _check_safetensors(path: Path) -> Path:
    if not path.exists():
        raise FileMissingError(f"{path}: no such model file", path=path)
    with open(path, "rb") as f:
        head = f.read(9)
    # A safetensors file opens with its JSON header's length (8 bytes, little-endian) and
    # then "{"; the length's first byte alone can equal a pickle's 0x80.
    is_safetensors = len(head) == 9 and head[8:] == b"{"
    if not is_safetensors and any(head.startswith(m) for m in _PICKLE_MAGIC):
        raise JetgenError(f"{path}: looks like a pickle/torch.save file; jetgen only loads "
                          "safetensors and never unpickles")
    if len(head) < 8:
        raise JetgenError(f"{path}: truncated model file")
    header_len = int.from_bytes(head[:8], "little")
    if header_len <= 0 or header_len > min(path.stat().st_size, 100_000_000):
        raise JetgenError(f"{path}: not a safetensors file (bad header)")
    return path
