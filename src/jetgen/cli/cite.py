"""``jetgen cite``: BibTeX for the methods and data jetgen uses."""

from __future__ import annotations

import typer


def cite(
    key: list[str] | None = typer.Argument(None, help="Only these entries (default: all)."),
) -> None:
    """Print BibTeX entries (JetNet, EDM, distillation, consistency models, PC-JeDi/PC-Droid,
    FPCD).

    Example: jetgen cite edm pc-droid
    """
    from ..citations import CITATIONS
    from ..errors import UsageError, nearest

    keys = key or list(CITATIONS)
    for k in keys:
        if k not in CITATIONS:
            raise UsageError(f"no citation {k!r}{nearest(k, CITATIONS)}")
    typer.echo("\n\n".join(CITATIONS[k] for k in keys))
