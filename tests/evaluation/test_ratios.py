"""Ratios to the truth floor: a floor consistent with zero gives a lower bound, not a
blank that hides a model far off (W FPND_ref 17.3 against a floor of 0.08 ± 0.07)."""

from __future__ import annotations

import io
import math

import pytest
from rich.console import Console

from jetgen.evaluation.ratios import (
    floor_ratio,
    ratio_fields,
    ratio_lower_bound,
    ratio_text,
    worst_ratio,
)
from jetgen.evaluation.report import class_table
from jetgen.modelcard import metrics_table


def row(value, error, floor, floor_error):
    r = floor_ratio(value, floor, floor_error)
    return {"value": value, "error": error, "floor": floor, "floor_error": floor_error,
            "ratio": r, "ratio_lower": None if r is not None else
            ratio_lower_bound(value, error, floor, floor_error), "scale": 1.0}


def test_resolved_floor_gives_the_plain_ratio():
    assert ratio_text(row(2.0, 0.1, 1.0, 0.1)) == "2.00"


def test_floor_consistent_with_zero_gives_a_lower_bound_from_floor_plus_two_sigma():
    r = row(17.29, 0.40, 0.083, 0.0696)  # the shipped adv1 card, W FPND_ref
    assert r["ratio"] is None
    assert r["ratio_lower"] == pytest.approx(17.29 / (0.083 + 2 * 0.0696))
    assert ratio_text(r) == f"> {17.29 / (0.083 + 2 * 0.0696):.2f}"


def test_negative_floor_counts_as_zero_in_the_bound():
    assert ratio_lower_bound(4.0, 0.1, -0.5, 0.25) == pytest.approx(4.0 / 0.5)


def test_model_consistent_with_zero_too_gives_no_number():
    assert ratio_text(row(0.5, 0.4, 0.01, 0.2)) == "–"
    assert ratio_text(row(math.nan, 0.1, 0.01, 0.2)) == "–"


def test_bound_is_computed_from_rows_written_before_it_existed():
    old = {"value": 17.29, "error": 0.40, "floor": 0.083, "floor_error": 0.0696, "ratio": None}
    assert ratio_text(old).startswith("> 77.")


def test_worst_ratio_ranks_bounds_by_their_value():
    rows = [row(2.0, 0.1, 1.0, 0.1), row(17.29, 0.40, 0.083, 0.0696), row(40.2, 1, 1, 0.1)]
    bound = 17.29 / (0.083 + 2 * 0.0696)
    assert worst_ratio(rows) == (pytest.approx(bound, abs=0.005), f"> {bound:.2f}")


def test_eval_table_and_card_print_the_bound():
    entry = {"n_jets": 10_000, "metrics": {"fpnd_ref": row(17.29, 0.40, 0.083, 0.0696)}}
    out = io.StringIO()
    Console(file=out, width=200).print(class_table("w", entry))
    text = f"> {17.29 / (0.083 + 2 * 0.0696):.2f}"
    assert text in out.getvalue()
    card = "\n".join(metrics_table({"classes": {"w": entry}}))
    assert f"| {text} |" in card


def test_report_numbers_are_readable_at_any_size_and_unresolved_ones_are_named():
    from jetgen.evaluation.report import _pm, render

    assert _pm(1436580.99, 45283268.20, 1.0) == "1.44e+06 ± 4.53e+07"
    assert _pm(0.0041e-3, 7.11e-3, 1e-3) == "0.0041 ± 7.11"
    assert _pm(41.3e-4, 6.58e-4, 1e-4) == "41.30 ± 6.58"
    entry = {"n_jets": 300, "fpnd_jets": 300,
             "metrics": {"fpd": {**row(0.0041e-3, 7.11e-3, 0.01e-3, 5e-3), "scale": 1e-3},
                         "w1m": {**row(41.3e-4, 6.58e-4, 15.8e-4, 3.6e-4), "scale": 1e-4}}}
    out = io.StringIO()
    render({"generated": {"source": "a.h5"}, "reference": {"source": "b.h5", "split": "test"},
            "classes": {"t": entry}}, Console(file=out, width=200))
    assert "FPD: the error is larger than the value at n = 300" in out.getvalue()
    assert "W1M:" not in out.getvalue()


def test_worst_ratio_compares_numbers_not_their_text():
    # "9.50" sorts after "12.30" as text; the worst is the larger number.
    assert worst_ratio([row(9.5, 0.1, 1.0, 0.01), row(12.3, 0.1, 1.0, 0.01)]) == (
        pytest.approx(12.3), "12.30")


def test_worst_ratio_of_nothing_rankable_is_none():
    assert worst_ratio([]) is None
    assert worst_ratio([row(math.nan, 0.1, 0.01, 0.2)]) is None


def test_a_value_or_floor_that_is_not_a_number_gives_no_ratio_and_no_bound():
    for value, floor in ((math.nan, 1.0), (1.0, math.nan), (math.inf, 1.0)):
        assert floor_ratio(value, floor, 0.1) is None
        assert ratio_lower_bound(value, 0.1, floor, 0.1) is None
    assert ratio_lower_bound(1.0, 0.1, 0.0, 0.0) is None  # no error to bound a zero floor


def test_ratio_fields_carry_the_bound_where_there_is_no_ratio():
    assert ratio_fields(2.0, 0.1, 1.0, 0.1) == {"ratio": 2.0, "ratio_lower": None}
    assert ratio_fields(17.29, 0.40, 0.083, 0.0696) == {
        "ratio": None, "ratio_lower": pytest.approx(17.29 / (0.083 + 2 * 0.0696))}
