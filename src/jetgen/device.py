"""Where a network runs and in which number format, for training and sampling alike.

bf16 runs matrix products in bfloat16 (AMX/AVX512-BF16 on recent CPUs, tensor cores on
GPUs) with fp32 accumulation; everything else stays fp32. Sampling's ``auto`` precision,
which follows the model, is sampling's own (jetgen.sampling.precision).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import torch

from .errors import UsageError, nearest

PRECISIONS = ("fp32", "bf16")


def resolve_device(device: str) -> torch.device:
    """``auto`` → cuda where available, else cpu; a CUDA request without CUDA is one line."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda requested but no CUDA device is available")
    return torch.device(device)


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
