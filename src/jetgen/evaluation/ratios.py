"""Model / truth-floor ratios, and what to print when the floor is consistent with zero.

A floor within two standard errors of zero cannot be divided by (it gives ratios like
−29× or 10⁴× that say nothing). Printing nothing there would hide the worst numbers:
W FPND_ref 17.3 against a floor of 0.08 ± 0.05 is at least 17.3 / 0.18 ≈ 96× the floor.
So such rows carry a lower bound: the value over the largest floor the measurement
allows at two standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: Standard errors within which a floor counts as consistent with zero.
ZERO_SIGMAS = 2.0


def _finite(*xs: float | None) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def floor_ratio(value: float, floor: float, floor_error: float) -> float | None:
    """model / floor, or None where the floor is consistent with zero (within 2σ, or not
    positive)."""
    if not _finite(value, floor) or floor <= 0:
        return None
    if _finite(floor_error) and floor < ZERO_SIGMAS * floor_error:
        return None
    return value / floor


def ratio_lower_bound(value: float, error: float, floor: float,
                      floor_error: float) -> float | None:
    """Where :func:`floor_ratio` gives no ratio: value / (max(floor, 0) + 2·floor_error),
    the smallest ratio the floor's uncertainty allows. None where the model's own value is
    consistent with zero too (then the model is as good as the measurement can tell) or
    the floor has no error to bound it with."""
    if not _finite(value, floor, floor_error) or value <= 0:
        return None
    if _finite(error) and value < ZERO_SIGMAS * error:
        return None
    ceiling = max(floor, 0.0) + ZERO_SIGMAS * floor_error
    if ceiling <= 0:
        return None
    return value / ceiling


def ratio_fields(value: float, error: float, floor: float, floor_error: float) -> dict:
    """The two fields every metric row carries: ``ratio`` (or None) and, where there is
    none, ``ratio_lower`` (or None)."""
    ratio = floor_ratio(value, floor, floor_error)
    return {"ratio": ratio, "ratio_lower": None if ratio is not None else
            ratio_lower_bound(value, error, floor, floor_error)}


def ratio_number(row: Mapping) -> tuple[float, bool] | None:
    """(number, is_lower_bound) of a metric row of ``jetgen eval``'s JSON, or None. Rows
    written before ``ratio_lower`` existed get their bound computed here."""
    ratio = row.get("ratio")
    if isinstance(ratio, (int, float)) and math.isfinite(ratio):
        return float(ratio), False
    lower = row.get("ratio_lower")
    if lower is None:
        lower = ratio_lower_bound(*(row.get(k, math.nan) for k in
                                    ("value", "error", "floor", "floor_error")))
    if isinstance(lower, (int, float)) and math.isfinite(lower):
        return float(lower), True
    return None


def ratio_text(row: Mapping, digits: int = 2) -> str:
    """How a ratio is printed everywhere (eval, cards, ``jetgen models``): "2.31", "> 96"
    where the floor is consistent with zero, "–" where neither can be said."""
    number = ratio_number(row)
    if number is None:
        return "–"
    return f"{'> ' if number[1] else ''}{number[0]:.{digits}f}"


def worst_ratio(rows: list[Mapping]) -> tuple[float, str] | None:
    """The largest of the rows' ratios or lower bounds, and its text (a bound counts by
    its value: "> 96" outranks "40.2")."""
    found = [(number[0], ratio_text(row)) for row in rows
             if (number := ratio_number(row)) is not None]
    return max(found, key=lambda t: t[0]) if found else None
