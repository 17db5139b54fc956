"""The numerical precisions networks run in, for training and for sampling alike.

bf16 runs matrix products in bfloat16 (AMX/AVX512-BF16 on recent CPUs, tensor cores on
GPUs) with fp32 accumulation; everything else stays fp32.
"""

from __future__ import annotations

from .errors import UsageError, nearest

PRECISIONS = ("fp32", "bf16")


def check_precision(precision: str) -> str:
    """``precision`` if it is one of PRECISIONS, else one UsageError line naming them."""
    if precision not in PRECISIONS:
        raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, got "
                         f"{precision!r}{nearest(precision, PRECISIONS)}")
    return precision
