"""The numerical precisions networks run in, for training and for sampling alike.

bf16 runs matrix products in bfloat16 (AMX/AVX512-BF16 on recent CPUs, tensor cores on
GPUs) with fp32 accumulation; everything else stays fp32.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import torch

from .errors import UsageError, nearest

PRECISIONS = ("fp32", "bf16")
#: Sampling also takes "auto": the model's own precision where the hardware runs it natively.
SAMPLE_PRECISIONS = ("auto", *PRECISIONS)


def check_precision(precision: str, choices: tuple[str, ...] = PRECISIONS) -> str:
    """``precision`` if it is one of ``choices``, else one UsageError line naming them."""
    if precision not in choices:
        raise UsageError(f"--precision must be one of {', '.join(choices)}, got "
                         f"{precision!r}{nearest(precision, choices)}")
    return precision


@cache
def _cpu_flags() -> frozenset[str]:
    if not sys.platform.startswith("linux"):
        return frozenset()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` multiplies bf16 matrices in hardware (AMX or AVX512-BF16 CPUs,
    GPUs with bf16 tensor cores). Elsewhere bf16 is emulated and slower than fp32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(_cpu_flags() & {"amx_bf16", "avx512_bf16"})
    return False


def resolve_precision(requested: str, model_precision: str, device: torch.device) -> str:
    """The precision a sampling run uses: ``requested`` unless it is "auto", which means the
    model's own (students distilled in bf16 say bf16) where ``device`` runs it natively."""
    check_precision(requested, SAMPLE_PRECISIONS)
    if requested != "auto":
        return requested
    return "bf16" if model_precision == "bf16" and native_bf16(device) else "fp32"


#: CPU instruction sets whose kernels round differently, most capable first.
_CPU_KERNELS = ("amx_bf16", "avx512_bf16", "avx512f", "avx2")


def device_kind(device: torch.device) -> str:
    """What, besides precision, decides a run's bits: the GPU model, or the CPU's widest
    matrix instruction set (oneDNN picks different kernels, which round differently)."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        flags = _cpu_flags()
        best = next((f for f in _CPU_KERNELS if f in flags), "generic")
        return f"cpu ({best})"
    return device.type
