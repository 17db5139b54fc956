"""The precision a sampling run uses: ``--precision auto`` follows the model where the
hardware runs it natively (the precisions themselves: jetgen.device)."""

from __future__ import annotations

import torch

from ..device import PRECISIONS, check_precision, native_bf16

#: Sampling also takes "auto": the model's own precision where the hardware runs it natively.
SAMPLE_PRECISIONS = ("auto", *PRECISIONS)


def resolve_precision(requested: str, model_precision: str, device: torch.device) -> str:
    """The precision a sampling run uses: ``requested`` unless it is "auto", which means the
    model's own (students distilled in bf16 say bf16) where ``device`` runs it natively."""
    check_precision(requested, SAMPLE_PRECISIONS)
    if requested != "auto":
        return requested
    return "bf16" if model_precision == "bf16" and native_bf16(device) else "fp32"
