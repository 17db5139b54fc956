"""Fixed inputs for pinning every metric of ``jetgen eval`` end to end, and the recorder.

Seeded synthetic jets (no files, no Pythia: numpy's generators are the same everywhere),
400 "generated" gluon jets against 800 reference ones (halves A and B), run through
:func:`jetgen.evaluation.pipeline.evaluate` with jetnet's stored-statistics FPND on.
``pinned_recorded.json`` holds the results of the code that was checked against jetnet's
definitions (``test_jetnet_definitions.py``). Re-record after a deliberate change with:

    python tests/evaluation/pinned.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from jetnet_fixed import jets as cloud

RECORDED = Path(__file__).with_name("pinned_recorded.json")
N = 400
SEED = 5
BOOTSTRAP = 3


def as_jets(seeds_widths: list[tuple[int, float]]):
    from jetgen.jets import CLASSES, Jets

    parts, masks = zip(*(cloud(s, w) for s, w in seeds_widths), strict=True)
    p, mask = np.concatenate(parts), np.concatenate(masks)
    n = len(p)
    jet = np.zeros((n, 4), np.float32)
    jet[:, 0], jet[:, 3] = 1000.0, mask.sum(1)
    return Jets(p, mask, jet, np.full(n, CLASSES.index("g")))


def inputs():
    """(generated, reference): widths 0.12 vs 0.10 in η/φ, so every metric sees a model
    that is off, and the floor (B vs A) sees two samples of the same distribution."""
    return as_jets([(1, 0.12)]), as_jets([(2, 0.10), (3, 0.10)])


def evaluate_inputs() -> dict:
    from jetgen.evaluation.pipeline import evaluate

    gen, ref = inputs()
    return evaluate(gen, ref, n_jets=N, seed=SEED, bootstrap=BOOTSTRAP, cache=False,
                    jetnet_fpnd=True, workers=1)


def numbers(result: dict) -> dict[str, list[float]]:
    """metric → [value, error, floor, floor error] of the one class."""
    (entry,) = result["classes"].values()
    return {k: [v["value"], v["error"], v["floor"], v["floor_error"]]
            for k, v in entry["metrics"].items()}


if __name__ == "__main__":
    RECORDED.write_text(json.dumps(numbers(evaluate_inputs()), indent=1) + "\n")
    print(f"wrote {RECORDED}")
