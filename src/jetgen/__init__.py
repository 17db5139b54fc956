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

from ._version import __version__

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
