"""Shrink a training state for committing: keep the online and EMA weights, drop the AdamW
moments (half the file). `jetgen train --resume` on it warms the learning rate up again
over warmup_steps, since fresh moments make the first updates full-size steps.

    python scripts/compact_state.py runs/x/state.safetensors checkpoints/x/state.safetensors
"""

from __future__ import annotations

import sys

from safetensors import safe_open
from safetensors.torch import save_file


def main(src: str, dst: str) -> int:
    with safe_open(src, "pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys() if not k.startswith("opt.")}  # noqa: SIM118
    save_file(tensors, dst, metadata={**meta, "optimiser": "dropped (compact checkpoint)"})
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
