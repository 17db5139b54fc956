"""``evaluate``: generated jets against a reference, class by class, beside the truth floor.

Samples per class (``n = min(--jets, generated, reference // 2)``):

* generated: ``n`` jets (a seeded random subset when the file has more);
* reference half A: the class's first ``n`` reference jets (after the split);
* reference half B: the next ``n``.

Model = metric(generated, A); truth floor = metric(B, A): the same estimator at the same
sample sizes between two independent real samples, i.e. what a perfect model scores.
A and B are fixed rows, not seeded draws, so their features can be cached across runs
and seeds; the seed drives the generated subset and every bootstrap draw. Model and floor
share each metric's seed (common random numbers), which makes their ratio less noisy.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..jets import CLASSES, Jets, parse_classes
from . import metrics as m
from .adherence import adherence
from .cache import FeatureCache, cache_dir, code_versions, entry_key, sha256_arrays, sha256_file
from .efp_graphs import w1efp_columns
from .features import Sample, compute_sample
from .fpnd import JETNET_STORED, fpnd_from_activations, fpnd_jetnet_stored
from .inputs import (
    Side,
    check_finite,
    check_particles,
    load_generated,
    load_reference,
    select_classes,
)
from .ratios import ratio_fields
from .substructure import NAMES as SUBSTRUCTURE
from .threads import single_threaded

FEATURES = ("eta", "phi", "pt")
ProgressFn = Callable[[str, int, int], None]


def evaluate(
    generated: Jets | str | Path,
    reference: Jets | str | Path | None = None,
    *,
    n_jets: int = 50_000,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    n_particles: int | None = None,
    reference_split: str | None = None,
    fpnd_jets: int | None = None,
    bootstrap: int = 5,
    cache: bool | str | Path = True,
    jetnet_fpnd: bool | None = None,
    workers: int | None = None,
    plots: str | Path | None = None,
    on_progress: ProgressFn | None = None,
    tree: str | None = None,
    build_reference: bool = True,
    on_notice: Callable[[str], None] | None = None,
) -> dict:
    """JetNet metrics of ``generated`` against ``reference``, with the truth floor.

    ``reference`` defaults to the one recorded in the generated file's provenance; a jetgen
    training-data file contributes its test split unless ``reference_split`` says
    otherwise ("train", "val", "test", "all"). ``fpnd_jets`` caps the jets run through
    ParticleNet (default: all ``n``; it is the slowest metric). ``cache``: True for the
    user cache dir (``$JETGEN_CACHE_DIR`` overrides), a path, or False. ``jetnet_fpnd``
    adds jetnet's stored-statistics FPND; default: only when the reference is JetNet.
    ``plots``: a directory for PNG/PDF comparison plots (generated vs reference half A).
    ``tree``: the TTree of a generated ROOT file (default: its only TTree).
    ``build_reference``: where the jets name the small shipped reference and it is short
    of 2 × ``n_jets`` for a class, generate the built reference's class into the cache
    once (Pythia, minutes; announced through ``on_notice``, default: a line on stderr).

    Returns a JSON-ready dict: settings, both sides' provenance, and per class every
    metric's raw value, error, floor, floor error, ratio and display scale.
    """
    if n_jets < 2:
        raise ValueError("n_jets must be at least 2")
    # Every kernel single-threaded; ParticleNet spreads over Python threads instead
    # (threads.py: OpenMP/BLAS barriers on a shared 2-core machine cost 5-70x).
    with single_threaded():
        return _evaluate(generated, reference, n_jets=n_jets, seed=seed, classes=classes,
                         n_particles=n_particles, reference_split=reference_split,
                         fpnd_jets=fpnd_jets, bootstrap=bootstrap, cache=cache,
                         jetnet_fpnd=jetnet_fpnd, workers=workers, plots=plots,
                         on_progress=on_progress, tree=tree, build_reference=build_reference,
                         on_notice=on_notice)


def _evaluate(generated, reference, *, n_jets, seed, classes, n_particles, reference_split,
              fpnd_jets, bootstrap, cache, jetnet_fpnd, workers, plots, on_progress,
              tree=None, build_reference=False, on_notice=None) -> dict:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    gen = load_generated(generated, tree, n_jets=n_jets, seed=seed)  # streamed: flat in n
    check_finite(gen)
    ref = load_reference(reference, gen, reference_split, n_jets=n_jets,
                         build=build_reference, workers=workers or 1,
                         on_notice=on_notice or _notice, on_progress=on_progress)
    check_finite(ref)
    timings["read files"] = time.perf_counter() - t0
    particles = check_particles(gen, ref, n_particles)
    wanted = parse_classes(list(classes)) if classes else None
    class_ids = select_classes(gen, ref, wanted)
    store = FeatureCache(_cache_root(cache))
    ref.content_hash = _content_hash(ref)
    if jetnet_fpnd is None:
        jetnet_fpnd = _is_jetnet(ref.provenance)

    result: dict = {
        "settings": {"n_jets": n_jets, "seed": seed, "bootstrap": bootstrap,
                     "n_particles": particles, "fpnd_jets": fpnd_jets,
                     "jetnet_fpnd": bool(jetnet_fpnd),
                     "cache": str(store.root) if store.enabled else None},
        "units": {k: v for k, v in m.UNITS.items()},
        "generated": {"source": gen.label, "provenance": gen.provenance},
        "reference": {"source": ref.label, "split": ref.split, "note": ref.note,
                      "sha256": ref.content_hash, "provenance": ref.provenance},
        "classes": {},
    }
    for c in class_ids:
        result["classes"][CLASSES[c]] = _evaluate_class(
            c, gen, ref, n_jets=n_jets, seed=seed, bootstrap=bootstrap, fpnd_jets=fpnd_jets,
            jetnet_fpnd=bool(jetnet_fpnd), store=store, timings=timings, workers=workers,
            plots=plots, on_progress=on_progress)
    if plots is not None:
        result["plots"] = sorted(p for e in result["classes"].values() for p in e.pop("_plots"))
    timings["total"] = time.perf_counter() - t0
    result["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    return result


def _notice(message: str) -> None:
    print(f"jetgen: {message}", file=sys.stderr, flush=True)


def _cache_root(cache: bool | str | Path) -> Path | None:
    if cache is False:
        return None
    if cache is True:
        return cache_dir()
    return Path(cache)


def _content_hash(side: Side) -> str:
    if side.paths:
        return "+".join(sha256_file(p) for p in side.paths)
    j = side.jets
    return sha256_arrays(j.particles, j.mask, j.jet, j.jet_type)


def _is_jetnet(provenance: dict) -> bool:
    """A reference that says it is JetNet (the only case jetnet's stored statistics fit)."""
    tags = {str(provenance.get(k, "")).lower() for k in ("dataset", "kind", "source")}
    return "jetnet" in tags


@contextmanager
def _timed(timings: dict[str, float], name: str):
    t = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t


def _evaluate_class(c, gen: Side, ref: Side, *, n_jets, seed, bootstrap, fpnd_jets,
                    jetnet_fpnd, store, timings, workers, plots, on_progress) -> dict:
    name = CLASSES[c]
    g_all, r_all = gen.jets.of_class(c), ref.jets.of_class(c)
    n = min(n_jets, len(g_all), len(r_all) // 2)
    if n < len(g_all):
        rng = np.random.default_rng(m.metric_seed(seed, "subsample", c))
        g_all = g_all[np.sort(rng.choice(len(g_all), n, replace=False))]
    half_a, half_b = r_all[:n], r_all[n : 2 * n]
    settings = m.Settings(n, batches=max(bootstrap, 2))
    fpnd_n = n if fpnd_jets is None else max(0, min(fpnd_jets, n))
    if 0 < fpnd_n < 3:
        fpnd_n = 0  # a covariance needs a few jets
    stage = f"{name}: "

    def progress(prefix: str) -> ProgressFn | None:
        if on_progress is None:
            return None
        return lambda s, done, total: on_progress(prefix + s, done, total)

    key_fields = {"reference": ref.content_hash, "split": ref.split, "class": name,
                  "particles": ref.jets.n_particles}
    key_a = entry_key(**key_fields, rows=[0, n])
    key_b = entry_key(**key_fields, rows=[n, 2 * n])
    # The floor is a result, not a feature: keyed also by the metric code and libraries.
    floor_key = entry_key(**key_fields, rows=[0, 2 * n], floor=True, seed=seed,
                          bootstrap=bootstrap, fpnd_jets=fpnd_n, jetnet_fpnd=jetnet_fpnd,
                          code=code_versions())
    sample_g, _ = compute_sample(g_all, fpnd_jets=fpnd_n, timings=timings, workers=workers,
                                 on_progress=progress(stage + "generated "))
    sample_a, hit_a = compute_sample(half_a, fpnd_jets=fpnd_n, timings=timings, cache=store,
                                     key=key_a, workers=workers,
                                     on_progress=progress(stage + "reference "))
    stored_floor = store.get_json(floor_key)
    use_stored = jetnet_fpnd and name in JETNET_STORED and fpnd_n > 0
    model = _metrics(sample_g, sample_a, settings, seed, c, bootstrap, use_stored, timings)
    if stored_floor is None:
        sample_b, _ = compute_sample(half_b, fpnd_jets=fpnd_n, timings=timings, cache=store,
                                     key=key_b, workers=workers,
                                     on_progress=progress(stage + "floor sample "))
        with _timed(timings, "truth floor"):
            floor = _metrics(sample_b, sample_a, settings, seed, c, bootstrap, use_stored, {})
        store.put_json(floor_key, {k: list(v) for k, v in floor.items()})
    else:
        floor = {k: tuple(v) for k, v in stored_floor.items()}
    available = gen.available.get(c, int((gen.jets.jet_type == c).sum()))
    out = {"n_jets": n, "n_generated_available": available,
           "n_reference_available": len(r_all), "fpnd_jets": fpnd_n,
           "estimator_settings": settings.as_dict(),
           "reference_cache": {"features": "hit" if hit_a else "computed",
                               "floor": "hit" if stored_floor is not None else "computed"},
           "metrics": {}}
    for metric, (value, error) in model.items():
        f_value, f_error = floor.get(metric, (math.nan, math.nan))
        out["metrics"][metric] = {
            "value": value, "error": error, "floor": f_value, "floor_error": f_error,
            **ratio_fields(value, error, f_value, f_error),
            "scale": m.UNITS[metric]}
    _label_fpnd(out["metrics"], ref.jets.n_particles)
    with _timed(timings, "adherence"):
        adh = adherence(g_all, half_a)
    if adh is not None:
        out["adherence"] = adh
    if plots is not None:
        from .plots import make_plots

        with _timed(timings, "plots"):
            out["_plots"] = make_plots(plots, name, sample_g, sample_a)
    return out


def _label_fpnd(metrics: dict, n_particles: int) -> None:
    """ParticleNet is defined on 30 particles: longer jets enter FPND as their 30 hardest by
    pT_rel (particlenet.py), as the JetNet150 papers report it, and the label says so."""
    from .particlenet import N_PARTICLES

    if n_particles <= N_PARTICLES:
        return
    for key in ("fpnd_ref", "fpnd_jetnet"):
        if key in metrics:
            metrics[key]["label"] = f"{m.LABELS[key]} (leading {N_PARTICLES})"


def _metrics(x: Sample, real: Sample, settings: m.Settings, seed: int, c: int,
             bootstrap: int, jetnet_stored: bool, timings: dict) -> dict[str, tuple]:
    """Every metric of sample ``x`` against ``real``: name → (value, error)."""
    out: dict[str, tuple[float, float]] = {}

    def s(metric: str) -> int:
        return m.metric_seed(seed, metric, c)

    with _timed(timings, "w1m"):
        out["w1m"] = m.estimate_w1m(x.jets, real.jets, settings, s("w1m"))
    with _timed(timings, "w1p"):
        means, stds = m.estimate_w1p(x.jets, real.jets, settings, s("w1p"))
    out["w1p"] = (float(means.mean()), float(stds.mean()))
    for i, feat in enumerate(FEATURES):
        out[f"w1p_{feat}"] = (float(means[i]), float(stds[i]))
    cols = w1efp_columns()
    with _timed(timings, "w1efp"):
        means, stds = m.estimate_w1_features(x.efps[:, cols], real.efps[:, cols], settings,
                                             s("w1efp"))
    out["w1efp"] = (float(means.mean()), float(stds.mean()))
    with _timed(timings, "fpd"):
        out["fpd"] = m.estimate_fpd(x.efps, real.efps, settings, s("fpd"))
    with _timed(timings, "kpd"):
        out["kpd"] = m.estimate_kpd(x.efps, real.efps, settings, s("kpd"))
    if x.activations is not None and real.activations is not None:
        with _timed(timings, "fpnd_ref"):
            out["fpnd_ref"] = fpnd_from_activations(x.activations, real.activations,
                                                    seed=s("fpnd"), bootstrap=bootstrap)
        if jetnet_stored:
            with _timed(timings, "fpnd (jetnet stored)"):
                out["fpnd_jetnet"] = (fpnd_jetnet_stored(x.activations, CLASSES[c]),
                                      math.nan)
    with _timed(timings, "substructure w1"):
        xs = np.stack([x.substructure[k] for k in SUBSTRUCTURE], 1)
        rs = np.stack([real.substructure[k] for k in SUBSTRUCTURE], 1)
        means, stds = m.estimate_w1_features(xs, rs, settings, s("substructure"))
    for i, k in enumerate(SUBSTRUCTURE):
        out[f"w1_{k}"] = (float(means[i]), float(stds[i]))
    return out
