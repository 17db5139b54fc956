"""Per-sample features every metric reads, computed once (and cached for references)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..jets import Jets
from .cache import FeatureCache
from .substructure import NAMES as SUBSTRUCTURE


@dataclass
class Sample:
    """Jets plus their EFPs [n, 36], ParticleNet activations [m ≤ n, 256] (or None when
    FPND is off) and substructure observables (name → [n])."""

    jets: Jets
    efps: np.ndarray
    activations: np.ndarray | None
    substructure: dict[str, np.ndarray]


def compute_sample(
    jets: Jets,
    *,
    fpnd_jets: int,
    timings: dict[str, float],
    cache: FeatureCache | None = None,
    key: str | None = None,
    workers: int | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> tuple[Sample, bool]:
    """Features of ``jets``; from ``cache[key]`` when present. Returns (sample, cache hit).

    Activations are cached for however many leading jets were run (``fpnd_jets``); a later
    call that wants more computes only the missing ones, one that wants fewer slices.
    """
    hit = cache.get_arrays(key) if cache is not None and key is not None else None
    if hit is not None and len(hit.get("efps", ())) == len(jets):
        act = hit.get("activations")
        have = len(act) if act is not None and act.ndim == 2 and act.shape[1] else 0
        if fpnd_jets > have:
            more = _activations(jets[have:fpnd_jets], timings, workers, on_progress)
            act = more if have == 0 else np.concatenate([act[:have], more])
            cache.put_arrays(key, {**hit, "activations": act})
        sample = Sample(jets, hit["efps"], act[:fpnd_jets] if fpnd_jets > 0 else None,
                        {k: hit[k] for k in SUBSTRUCTURE})
        return sample, True
    sample = _compute(jets, fpnd_jets, timings, workers, on_progress)
    if cache is not None and key is not None:
        arrays = {"efps": sample.efps, **sample.substructure,
                  "activations": sample.activations if sample.activations is not None
                  else np.zeros((0, 0), np.float32)}
        cache.put_arrays(key, arrays)
    return sample, False


def _progress(on_progress, stage: str, total: int):
    if on_progress is None:
        return None
    done = [0]

    def advance(k: int) -> None:
        done[0] += k
        on_progress(stage, done[0], total)

    return advance


def _activations(jets: Jets, timings, workers, on_progress) -> np.ndarray:
    from .fpnd import activations

    t = time.perf_counter()
    act = activations(jets.particles, jets.mask, workers=workers,
                      on_progress=_progress(on_progress, "ParticleNet", len(jets)))
    timings["features: ParticleNet"] = (timings.get("features: ParticleNet", 0.0)
                                        + time.perf_counter() - t)
    return act


def _compute(jets, fpnd_jets, timings, workers, on_progress) -> Sample:
    from .efps import efps
    from .substructure import substructure

    t0 = time.perf_counter()
    feats = efps(jets.particles, jets.mask, on_progress=_progress(on_progress, "EFPs",
                                                                  len(jets)))
    t1 = time.perf_counter()
    sub = substructure(jets.particles, jets.mask)
    t2 = time.perf_counter()
    for name, dt in (("features: EFPs", t1 - t0), ("features: substructure", t2 - t1)):
        timings[name] = timings.get(name, 0.0) + dt
    act = _activations(jets[:fpnd_jets], timings, workers, on_progress) if fpnd_jets else None
    return Sample(jets, feats, act, sub)
