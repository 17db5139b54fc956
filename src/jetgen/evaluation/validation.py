"""What training runs are judged and stopped on: physics, not their losses (the teacher's
`physics_every` validations and the adversarial stage's early stopping).

Each validation generates jets of every class through the whole chain (the jet-level
model draws pT, η, mass, n; the student draws the constituents) with fixed seeds, and
compares them with the validation split: W1 of the constituent mass (relative to pT, as
JetNet's W1M), of τ21, τ32 and D2, and FPND_ref (Fréchet distance of ParticleNet
activations against the same real jets). Each is divided by its truth floor: the same
metric between two disjoint halves of the validation split, at the same n. The score that
early stopping minimises is the geometric mean of all those ratios.

These are validation-split numbers for model selection (quick, one estimate each, no
bootstrap); the reported numbers come from ``jetgen eval`` on the test split.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
from scipy.stats import wasserstein_distance

from ..errors import JetgenError
from ..jets import CLASSES, Jets
from ..models.jetmodel import JetModel
from ..sampling.batch import generate_batch
from ..sampling.seeds import jet_seeds
from .adherence import constituent_kinematics
from .fpnd import activations, frechet_distance
from .substructure import substructure

METRICS = ("mass", "tau21", "tau32", "d2", "fpnd_ref")
JSON_FILE, CSV_FILE, PLOT_FILE = "validation.json", "validation.csv", "validation.png"
#: Seed of the validation jets: a constant, so every validation sees the same noise.
VALIDATION_SEED = 20_261_204


def _features(jets: Jets) -> dict[str, np.ndarray]:
    # The constituents' mass over the jet's pT: the mass JetNet's W1M uses (relative pT).
    mass = constituent_kinematics(jets)[1] / jets.jet[:, 0].astype(float)
    out = {"mass": mass, **substructure(jets.particles, jets.mask)}
    out["activations"] = activations(jets.particles, jets.mask, workers=1)
    return out


def _distance(metric: str, a: dict, b: dict) -> float:
    if metric == "fpnd_ref":
        x, y = a["activations"].astype(np.float64), b["activations"].astype(np.float64)
        return frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0),
                                np.cov(y, rowvar=False))
    return float(wasserstein_distance(a[metric], b[metric]))


class PhysicsValidation:
    """Validation metrics of a model against ``val`` jets, with floors computed once."""

    def __init__(self, val: Jets, classes: list[str], n_jets: int, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.n_jets = n_jets
        self.real: dict[str, dict] = {}
        self.floor: dict[str, dict[str, float]] = {}
        present = set(np.unique(val.jet_type).tolist())
        classes = [c for c in classes if CLASSES.index(c) in present]
        for name in classes:
            jets = val[val.jet_type == CLASSES.index(name)]
            if len(jets) < 2 * n_jets:
                n_jets = self.n_jets = min(self.n_jets, len(jets) // 2)
        if not classes or n_jets < 10:
            raise JetgenError("the validation split holds too few jets per class to validate "
                              "(need 20 or more per class)")
        for name in classes:
            jets = val[val.jet_type == CLASSES.index(name)]
            half_a, half_b = _features(jets[:n_jets]), _features(jets[n_jets : 2 * n_jets])
            self.real[name] = half_a
            self.floor[name] = {k: _distance(k, half_b, half_a) for k in METRICS}
        self.history: list[dict] = self._load()

    def _load(self) -> list[dict]:
        path = self.run_dir / JSON_FILE
        return json.loads(path.read_text())["history"] if path.exists() else []

    def measure(self, model: JetModel, step: int) -> dict:
        """One validation, appended to the run's history (JSON, CSV, plot)."""
        record = self.score(model, step)
        self.history = [h for h in self.history if h["step"] < step] + [record]
        self._write()
        return record

    def score(self, model: JetModel, step: int) -> dict:
        """Per class and metric value, floor and ratio, plus the score; writes nothing."""
        c = model.config
        record: dict = {"step": step, "classes": {}}
        logs = []
        for name in self.real:
            cid = CLASSES.index(name)
            seeds = jet_seeds(VALIDATION_SEED + cid, np.arange(self.n_jets))
            jets = generate_batch(model, np.full(self.n_jets, cid), seeds, sampler=c.sampler,
                                  steps=c.steps, schedule=c.schedule, precision=c.precision)
            gen = _features(jets)
            entry = {}
            for k in METRICS:
                value, floor = _distance(k, gen, self.real[name]), self.floor[name][k]
                ratio = value / floor if floor > 0 else math.inf
                entry[k] = {"value": value, "floor": floor, "ratio": ratio}
                logs.append(math.log(max(ratio, 1e-6)))
            record["classes"][name] = entry
        record["score"] = math.exp(sum(logs) / len(logs))
        return record

    def best(self) -> dict | None:
        return min(self.history, key=lambda h: h["score"]) if self.history else None

    def _write(self) -> None:
        from ..io.atomic import commit, temporary_sibling

        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = temporary_sibling(self.run_dir / JSON_FILE)
        tmp.write_text(json.dumps(
            {"n_jets_per_class": self.n_jets, "metrics": list(METRICS),
             "score": "geometric mean of value/floor over classes and metrics",
             "history": self.history}, indent=1))
        commit(tmp, self.run_dir / JSON_FILE)
        with open(self.run_dir / CSV_FILE, "w", newline="") as f:
            out = csv.writer(f)
            names = list(self.real)
            out.writerow(["step", "score", *(f"{c}_{k}_ratio" for c in names for k in METRICS)])
            for h in self.history:
                out.writerow([h["step"], f"{h['score']:.4g}", *(
                    f"{h['classes'][c][k]['ratio']:.4g}" for c in names for k in METRICS)])
        self._plot()

    def _plot(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        steps = [h["step"] for h in self.history]
        fig, axes = plt.subplots(1, len(METRICS) + 1, figsize=(3.2 * (len(METRICS) + 1), 3.2))
        for ax, k in zip(axes, METRICS, strict=False):
            for c in self.real:
                ax.plot(steps, [h["classes"][c][k]["ratio"] for h in self.history], label=c)
            ax.set(title=k, xlabel="step", yscale="log")
            ax.axhline(1, color="k", lw=0.5)
        axes[0].set_ylabel("value / floor (validation)")
        axes[0].legend(fontsize=7)
        axes[-1].plot(steps, [h["score"] for h in self.history], color="k")
        axes[-1].set(title="score (geometric mean)", xlabel="step", yscale="log")
        fig.tight_layout()
        fig.savefig(self.run_dir / PLOT_FILE, dpi=90)
        plt.close(fig)
