"""A model's quality in one line, from the metric rows of ``jetgen eval``'s JSON (as the
model cards and the registry carry them): per group of metrics the worst class's
model / truth-floor ratio, or its lower bound where the floor is consistent with zero
(:mod:`.ratios`). ``jetgen models`` prints it."""

from __future__ import annotations

from .ratios import ratio_number, ratio_text

#: (label, metric keys) of the quality summary: the worst class over these keys.
QUALITY = (("W1M", ("w1m",)), ("substructure", ("w1_tau21", "w1_tau32", "w1_d2")),
           ("FPND_ref", ("fpnd_ref",)))
NAMES = {"w1_tau21": "τ21", "w1_tau32": "τ32", "w1_d2": "D2"}


def quality_summary(metrics: object) -> str:
    """"W1M 1.92 (g); substructure 3.10 (t τ32); FPND_ref > 40 (w)": per group of
    :data:`QUALITY` the largest model/floor ratio (or lower bound) over the classes of a
    card's metrics (eval's JSON layout, whole or its "classes", or {class: {key: row}})."""
    if isinstance(metrics, dict) and isinstance(metrics.get("classes"), dict):
        metrics = metrics["classes"]
    if not isinstance(metrics, dict):
        return "–"
    parts = []
    for label, keys in QUALITY:
        worst: tuple[float, str] | None = None
        for cls, per_class in metrics.items():
            if not isinstance(per_class, dict):
                continue
            for key in keys:
                row = per_class.get("metrics", per_class).get(key)
                if not isinstance(row, dict):
                    continue
                number = ratio_number(row)
                if number is None:
                    continue
                where = cls if len(keys) == 1 else f"{cls} {NAMES.get(key, key)}"
                if worst is None or number[0] > worst[0]:
                    worst = (number[0], f"{label} {ratio_text(row)} ({where})")
        if worst is not None:
            parts.append(worst[1])
    return "; ".join(parts) if parts else "–"
