"""jetgen: fast simulation of jets as particle clouds with diffusion models.

    import jetgen
    jets = jetgen.sample(jet="top", n=10_000, seed=0)   # Jets: numpy arrays, .to_awkward()
    jetgen.write(jets, "top.root")
    report = jetgen.evaluate("top.root", "data/t30.h5")
    report.print()

The functions live in :mod:`jetgen.api`; they are loaded on first use so that the
command line starts without importing torch.
"""

from __future__ import annotations

import os
import sys

from ._version import __version__

# torch's OpenMP threads spin-wait for each other at every op's barrier; on a shared node,
# where a core is busy elsewhere, two spinning threads ran 4x slower than one (issue #25,
# benchmarks/sample_speed.py --threads-only). PASSIVE makes a waiting thread sleep. The
# OpenMP runtime reads this once, when torch loads, so it is set here, before any import of
# torch by jetgen; a user's own value wins. jetgen.threads reads _OMP_WAIT_POLICY to know
# which policy torch got.
if "torch" not in sys.modules:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_OMP_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY", "").upper()

__all__ = ["Jets", "Report", "__version__", "evaluate", "load_model", "read", "sample",
           "write"]

_API = {"sample", "read", "write", "evaluate", "load_model", "Report"}


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "Jets":
        from .jets import Jets

        return Jets
    raise AttributeError(f"module 'jetgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
