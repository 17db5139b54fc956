"""Jet images for reconstructions: the per-jet distance and the side-by-side plots.

Distance: pixel-wise L1 between pT_rel-weighted jet images, Σ_pixels |I_orig − I_reco|,
on the grid and edge rule of :mod:`jetgen.evaluation.jet_images` (the eval plots' grid:
25 × 25 pixels over η_rel, φ_rel ∈ [−0.8, 0.8]; particles outside count in the edge
pixels, so no pT is dropped). It is 0 for identical jets and at most Σ pT_rel(orig) +
Σ pT_rel(reco) ≈ 2 for jets with no pixel in common; unlike an EMD it ignores how far a
particle moved once it left its pixel, but it is exact, cheap and needs no
optimal-transport solver.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..evaluation.jet_images import IMAGE_RANGE, jet_images


def image_l1(original: tuple[np.ndarray, np.ndarray],
             reconstructed: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """[N] Σ |I_orig − I_reco| for (particles, mask) pairs of the same jets."""
    return np.abs(jet_images(*original) - jet_images(*reconstructed)).sum((1, 2))


def _save(fig, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110)


def _show(ax, image: np.ndarray, title: str, vmax: float):
    from matplotlib.colors import LogNorm

    ext = [-IMAGE_RANGE, IMAGE_RANGE, -IMAGE_RANGE, IMAGE_RANGE]
    shown = np.ma.masked_less_equal(image.T, 0)
    handle = ax.imshow(shown, origin="lower", extent=ext, aspect="equal", cmap="viridis",
                       norm=LogNorm(vmin=max(vmax * 1e-4, 1e-12), vmax=vmax))
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(r"$\eta^{rel}$", fontsize=8)
    ax.set_ylabel(r"$\phi^{rel}$", fontsize=8)
    ax.tick_params(labelsize=7)
    return handle


def plot_reconstructions(directory: str | Path, original: tuple[np.ndarray, np.ndarray],
                         reconstructed: tuple[np.ndarray, np.ndarray],
                         distance: np.ndarray, label: str, n_show: int = 6) -> list[Path]:
    """``reconstruction_jets.png`` (the first ``n_show`` jets: original | reconstruction)
    and ``reconstruction_mean.png`` (average images) in ``directory``; returns the paths."""
    from matplotlib.figure import Figure

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    a, b = jet_images(*original), jet_images(*reconstructed)
    k = min(n_show, len(a))
    out = []
    if k:
        fig = Figure(figsize=(6.4, 3.0 * k))
        axes = fig.subplots(k, 2, squeeze=False)
        for i in range(k):
            vmax = float(max(a[i].max(), b[i].max(), 1e-12))
            _show(axes[i, 0], a[i], f"jet {i}: original", vmax)
            handle = _show(axes[i, 1], b[i], f"reconstruction (L1 {distance[i]:.3f})", vmax)
            fig.colorbar(handle, ax=axes[i, 1], label=r"$p_T^{rel}$")
        fig.suptitle(label, fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (3.0 * k)))
        out.append(directory / "reconstruction_jets.png")
        _save(fig, out[-1])
    fig = Figure(figsize=(8.0, 3.6))
    axes = fig.subplots(1, 2, squeeze=False)
    mean_a, mean_b = (a.mean(0), b.mean(0)) if len(a) else (a.sum(0), b.sum(0))
    vmax = float(max(mean_a.max(initial=0), mean_b.max(initial=0), 1e-12))
    _show(axes[0, 0], mean_a, f"mean of {len(a)} originals", vmax)
    handle = _show(axes[0, 1], mean_b, f"mean reconstruction (mean L1 "
                   f"{float(np.mean(distance)) if len(distance) else 0:.3f})", vmax)
    fig.colorbar(handle, ax=axes[0, 1], label=r"$\langle p_T^{rel}\rangle$")
    fig.suptitle(label, fontsize=10)
    fig.tight_layout()
    out.append(directory / "reconstruction_mean.png")
    _save(fig, out[-1])
    return out
