"""``--plots DIR``: reference vs generated histograms with ratio panels, and jet images.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, so no global
backend or interactive state: PNG goes through Agg, PDF through matplotlib's PDF backend)
in mplhep's ROOT style. One PNG and one PDF per plot, named ``<class>_<quantity>``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..jets import CLASS_LONG
from .adherence import constituent_kinematics
from .jet_images import IMAGE_RANGE, mean_jet_image
from .substructure import LABELS as SUB_LABELS


def _quantities(sample) -> dict[str, tuple[np.ndarray, str]]:
    j = sample.jets
    pt, mass = constituent_kinematics(j)
    out = {
        "particle_etarel": (j.particles[..., 0][j.mask], r"particle $\eta^{rel}$"),
        "particle_phirel": (j.particles[..., 1][j.mask], r"particle $\phi^{rel}$"),
        "particle_ptrel": (j.particles[..., 2][j.mask], r"particle $p_T^{rel}$"),
        "multiplicity": (j.mask.sum(1).astype(float), "particle multiplicity"),
        "jet_mass": (mass, "jet mass from constituents [GeV]"),
        "jet_pt": (pt, r"jet $p_T$ from constituents [GeV]"),
    }
    for key, label in SUB_LABELS.items():
        out[key] = (sample.substructure[key], label)
    return out


def _edges(a: np.ndarray, b: np.ndarray, key: str) -> np.ndarray:
    both = np.concatenate([a, b])
    both = both[np.isfinite(both)]
    if key == "multiplicity":
        hi = both.max() if len(both) else 1
        return np.arange(0.5, hi + 1.5)
    lo, hi = np.percentile(both, [0.5, 99.5]) if len(both) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return np.linspace(lo, hi, 41)


def _histogram_figure(key, label, gen, ref, title):
    import mplhep as hep
    from matplotlib.figure import Figure

    edges = _edges(gen, ref, key)
    h_ref, _ = np.histogram(ref, edges, density=True)
    h_gen, _ = np.histogram(gen, edges, density=True)
    fig = Figure(figsize=(6, 6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1],
                                                              "hspace": 0.05})
    hep.histplot(h_ref, edges, ax=top, label="reference", color="black")
    hep.histplot(h_gen, edges, ax=top, label="generated", color="tab:red", ls="--")
    top.set_ylabel("normalised")
    top.set_title(title, fontsize=11, loc="left")
    top.legend()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(h_ref > 0, h_gen / h_ref, np.nan)
    hep.histplot(ratio, edges, ax=bottom, color="tab:red")
    bottom.axhline(1.0, color="black", lw=0.8)
    bottom.set_ylim(0.0, 2.0)
    bottom.set_ylabel("gen / ref")
    bottom.set_xlabel(label)
    return fig


def _image_figure(gen, ref, title):
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    img_ref, img_gen = (mean_jet_image(s.jets.particles, s.jets.mask) for s in (ref, gen))
    fig = Figure(figsize=(15, 4.6), layout="constrained")
    axes = fig.subplots(1, 3)
    ext = [-IMAGE_RANGE, IMAGE_RANGE, -IMAGE_RANGE, IMAGE_RANGE]
    positive = np.concatenate([img_ref[img_ref > 0], img_gen[img_gen > 0]])
    vmin = max(positive.min(), positive.max() * 1e-5) if len(positive) else 1e-6
    vmax = positive.max() if len(positive) else 1.0
    for ax, img, name in ((axes[0], img_ref, "reference"), (axes[1], img_gen, "generated")):
        im = ax.imshow(np.clip(img.T, vmin, None), origin="lower", extent=ext,
                       norm=LogNorm(vmin, vmax), cmap="viridis")
        ax.set_title(f"{name}: mean $p_T^{{rel}}$ per pixel", fontsize=11)
        fig.colorbar(im, ax=ax)
    diff = (img_gen - img_ref).T
    lim = np.abs(diff).max() or 1.0
    im = axes[2].imshow(diff, origin="lower", extent=ext, cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[2].set_title("generated − reference", fontsize=11)
    fig.colorbar(im, ax=axes[2])
    for ax in axes:
        ax.set_xlabel(r"$\eta^{rel}$")
        ax.set_ylabel(r"$\phi^{rel}$")
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


def make_plots(directory: str | Path, class_name: str, generated, reference) -> list[str]:
    """All plots for one class; ``generated``/``reference`` are feature samples
    (:class:`~jetgen.evaluation.features.Sample`). Returns the files written."""
    import mplhep as hep
    from matplotlib import rc_context

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    title = f"{CLASS_LONG.get(class_name, class_name)} jets"
    written: list[str] = []
    gen_q, ref_q = _quantities(generated), _quantities(reference)
    # mplhep's ROOT look at a size where a 3-panel image row and ratio panels stay legible.
    style = {**hep.style.ROOT, "font.size": 12, "axes.labelsize": 13, "axes.titlesize": 12,
             "xtick.labelsize": 11, "ytick.labelsize": 11, "legend.fontsize": 11}
    with rc_context(style):
        figures = [(key, _histogram_figure(key, label, gen_q[key][0], ref_q[key][0], title))
                   for key, (_, label) in gen_q.items()]
        figures.append(("jet_image", _image_figure(generated, reference, title)))
        for key, fig in figures:
            for ext in ("png", "pdf"):
                path = out / f"{class_name}_{key}.{ext}"
                fig.savefig(path, dpi=110 if ext == "png" else None, bbox_inches="tight")
                written.append(str(path))
    return written
