"""The one-line quality summary of ``jetgen models``, read from eval's JSON rows."""

from jetgen.evaluation.quality import quality_summary


def row(value: float, floor: float, floor_error: float = 0.01, **extra) -> dict:
    ratio = value / floor if floor > 2 * floor_error else None
    return {"value": value, "error": 0.01, "floor": floor, "floor_error": floor_error,
            "ratio": ratio, **extra}


def test_worst_class_per_group_with_bounds_outranking_by_value():
    metrics = {"classes": {
        "g": {"metrics": {"w1m": row(2.0, 1.0), "w1_tau21": row(3.0, 1.0),
                          "fpnd_ref": row(4.0, 1.0)}},
        "t": {"metrics": {"w1m": row(1.5, 1.0), "w1_tau32": row(5.0, 1.0),
                          "fpnd_ref": row(40.0, 0.0, 0.1)}},  # floor ~ 0: a lower bound
    }}
    assert quality_summary(metrics) == ("W1M 2.00 (g); substructure 5.00 (t τ32); "
                                        "FPND_ref > 200.00 (t)")


def test_class_keyed_rows_and_nothing_to_say():
    assert quality_summary({"w": {"w1m": row(3.0, 2.0)}}) == "W1M 1.50 (w)"
    assert quality_summary(None) == "–"
    assert quality_summary({"t": {"metrics": {}}}) == "–"
