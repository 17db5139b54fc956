"""pT_rel-weighted jet images: one grid and one edge rule for the eval plots and the
reconstruction distance of ``jetgen score --reconstruct``.

The grid is 25 × 25 pixels over η_rel, φ_rel ∈ [−0.8, 0.8] (the jet radius), η_rel along
the rows and φ_rel along the columns. Edge rule: a particle outside the grid counts in
the nearest edge pixel (its coordinates are clipped), so an image always holds the jet's
whole Σ pT_rel and a particle pushed off the grid still changes the image. A particle
exactly on the upper edge (+0.8) lands in the last pixel.
"""

from __future__ import annotations

import numpy as np

IMAGE_BINS = 25
IMAGE_RANGE = 0.8  # jet radius: images span ±R in η_rel and φ_rel


def _pixel_index(particles: np.ndarray, bins: int, extent: float) -> np.ndarray:
    """[N, P] flat pixel index (η row × bins + φ column) of every particle slot."""
    def pixel(v: np.ndarray) -> np.ndarray:
        return np.clip(np.floor((v + extent) / (2 * extent) * bins), 0, bins - 1).astype(
            np.int64)

    return pixel(particles[..., 0]) * bins + pixel(particles[..., 1])


def jet_images(particles: np.ndarray, mask: np.ndarray, bins: int = IMAGE_BINS,
               extent: float = IMAGE_RANGE) -> np.ndarray:
    """[N, bins, bins] images of padded jets (``particles`` [N, P, 3], ``mask`` [N, P])."""
    n = len(mask)
    jet = np.broadcast_to(np.arange(n)[:, None], mask.shape)
    flat = jet * bins * bins + _pixel_index(particles, bins, extent)
    image = np.zeros(n * bins * bins, np.float64)
    np.add.at(image, flat[mask], particles[..., 2][mask].astype(np.float64))
    return image.reshape(n, bins, bins)


def mean_jet_image(particles: np.ndarray, mask: np.ndarray, bins: int = IMAGE_BINS,
                   extent: float = IMAGE_RANGE) -> np.ndarray:
    """[bins, bins] mean of :func:`jet_images` over the jets, without holding one image
    per jet (an eval sample has up to millions of jets)."""
    mask = np.asarray(mask, bool)
    flat = _pixel_index(particles, bins, extent)[mask]
    weights = particles[..., 2][mask].astype(np.float64)
    total = np.bincount(flat, weights=weights, minlength=bins * bins)
    return total.reshape(bins, bins) / max(len(mask), 1)
