"""``jetgen eval``'s library side: JetNet metrics of generated jets beside the truth floor.

Entry point: :func:`evaluate` (files or :class:`~jetgen.jets.Jets` in, a JSON-ready dict
out); :func:`jetgen.evaluation.report.render` prints it, :func:`jetgen.evaluation.plots.
make_plots` draws the comparison plots. Heavy imports (torch, matplotlib)
happen inside the functions that need them.
"""

from __future__ import annotations

from .metrics import LABELS, UNITS
from .pipeline import evaluate

__all__ = ["LABELS", "UNITS", "evaluate"]
