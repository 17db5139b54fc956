"""Rendering an evaluation: rich tables in PC-Droid units, and the JSON file."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..jets import CLASS_LONG
from .metrics import LABELS
from .ratios import ratio_number, ratio_text

#: Below this many jets per class the report warns that ratios flatter a model.
RELIABLE_N = 10_000

#: Display order; metrics absent from a result (FPND off, no stored stats) are skipped.
ORDER = ("w1m", "w1p", "w1p_eta", "w1p_phi", "w1p_pt", "w1efp", "fpd", "kpd", "fpnd_ref",
         "fpnd_jetnet", "w1_tau21", "w1_tau32", "w1_d2")


def _unit(scale: float) -> str:
    if scale == 1.0:
        return ""
    exp = round(math.log10(scale))
    sup = str(exp).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"×10{sup}"


def _num(v: float) -> str:
    # Three significant digits at any size: "1.44e+06 ± 4.53e+07", not 13 digits of noise.
    return f"{v:.2f}" if 0.01 <= abs(v) < 100 or v == 0 else f"{v:.3g}"


def _pm(value, error, scale) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    v = value / scale
    if error is None or not math.isfinite(error):
        return _num(v)
    return f"{_num(v)} ± {_num(error / scale)}"


def unresolved(entry: dict) -> list[str]:
    """Labels of the metrics whose model value is smaller than its own error: at this n the
    estimator cannot tell the model from the reference (FPD and KPD first, at small n)."""
    out = []
    for key in ORDER:
        row = entry["metrics"].get(key)
        if row and all(isinstance(row.get(k), float) and math.isfinite(row[k])
                       for k in ("value", "error")) and abs(row["value"]) < row["error"]:
            out.append(LABELS[key])
    return out


def _ratio(row: dict) -> str:
    number = ratio_number(row)
    if number is None:
        return "–"
    r, text = number[0], ratio_text(row)
    style = "green" if r < 1.5 else "yellow" if r < 3 else "red"
    return f"[{style}]{text}[/{style}]"


def class_table(name: str, entry: dict) -> Table:
    title = (f"{CLASS_LONG.get(name, name)} jets ({name}): {entry['n_jets']:,} generated vs "
             f"{entry['n_jets']:,} reference; floor = reference half B vs half A")
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("unit", justify="right")
    table.add_column("model", justify="right")
    table.add_column("truth floor", justify="right")
    table.add_column("model / floor", justify="right")
    metrics = entry["metrics"]
    for key in ORDER:
        if key not in metrics:
            continue
        row = metrics[key]
        indent = "  " if key.startswith("w1p_") else ""
        table.add_row(indent + row.get("label", LABELS[key]), _unit(row["scale"]),
                      _pm(row["value"], row["error"], row["scale"]),
                      _pm(row["floor"], row["floor_error"], row["scale"]),
                      _ratio(row))
    return table


def adherence_table(name: str, adh: dict) -> Table:
    table = Table(title=f"{name}: conditional adherence, {adh['definition']}",
                  title_justify="left")
    for col in ("quantity", "model mean", "model spread", "truth mean", "truth spread"):
        table.add_column(col, justify="left" if col == "quantity" else "right")
    for q in ("pt", "mass"):
        if q not in adh:
            continue
        model, floor = adh[q]["model"], adh[q].get("floor", {})
        table.add_row("jet pT" if q == "pt" else "jet mass",
                      f"{model['mean']:+.4f}", f"{model['std']:.4f}",
                      f"{floor.get('mean', math.nan):+.4f}", f"{floor.get('std', math.nan):.4f}")
    return table


def render(result: dict, console: Console | None = None) -> None:
    """Print every class's table (stdout by default)."""
    console = console or Console()
    ref = result["reference"]
    console.print(f"generated: {result['generated']['source']}")
    console.print(f"reference: {ref['source']} (split: {ref['split']})")
    if ref.get("note"):
        console.print(f"note: {ref['note']}")
    for name, entry in result["classes"].items():
        console.print(class_table(name, entry))
        if entry["fpnd_jets"] < entry["n_jets"]:
            console.print(f"FPND_ref on the first {entry['fpnd_jets']:,} jets of each sample")
        if unresolved(entry):
            console.print(f"{', '.join(unresolved(entry))}: the error is larger than the "
                          f"value at n = {entry['n_jets']:,}; too few jets to measure them")
        if entry.get("reference_cache", {}).get("floor") == "hit":
            console.print("truth floor from the cache (same reference, settings, metric code "
                          "and library versions); `--no-cache` recomputes it")
        if "adherence" in entry:
            console.print(adherence_table(name, entry["adherence"]))
    console.print("truth floor: the same metric between two disjoint halves of the "
                  "reference; a perfect model scores a ratio near 1; where the floor is "
                  "consistent with zero (within 2σ) the ratio is a lower bound, \"> x\": "
                  "the value over the floor plus two standard errors; – where the model's "
                  "value is consistent with zero too.")
    smallest = min((e["n_jets"] for e in result["classes"].values()), default=0)
    if 0 < smallest < RELIABLE_N:
        console.print(f"[yellow]caution[/yellow]: ratios here use {smallest:,} jets per "
                      "class; at small n the floor is wide and the ratios understate how far "
                      f"a model is off; judge models at ≥ {RELIABLE_N:,} jets per class "
                      "(`jetgen data reference` builds a 20,000-per-class reference that "
                      "`jetgen eval` then uses).")


def _clean(obj):
    """NaN/inf → null (strict JSON), numpy scalars → Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(result: dict, path: str | Path) -> None:
    """The full result: raw values (not scaled), errors, units, settings, provenance."""
    from ..io.atomic import commit, temporary_sibling

    path = Path(path)
    record = _clean(result)
    record["units_note"] = ("values are raw; display value = value / scale "
                            "(PC-Droid units: W1M, W1P ×1e-4, W1EFP ×1e-6, FPD ×1e-3, "
                            "KPD ×1e-6, FPND_ref plain)")
    tmp = temporary_sibling(path)
    try:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=False, allow_nan=False,
                                  default=str) + "\n")
        commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
