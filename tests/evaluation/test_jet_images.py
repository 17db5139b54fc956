"""One jet-image grid and edge rule for the eval plots and the reconstruction distance."""

import numpy as np

from jetgen.evaluation.jet_images import IMAGE_BINS, jet_images, mean_jet_image


def jets(n: int = 40, spread: float = 0.7, seed: int = 0):
    rng = np.random.default_rng(seed)
    particles = rng.uniform(-spread, spread, (n, 30, 3))
    particles[..., 2] = rng.uniform(0, 0.1, (n, 30))
    mask = rng.uniform(size=(n, 30)) < 0.7
    return particles, mask


def test_inside_the_grid_it_is_the_histogram_of_the_particles():
    particles, mask = jets()
    edges = np.linspace(-0.8, 0.8, IMAGE_BINS + 1)
    expected, _, _ = np.histogram2d(particles[..., 0][mask], particles[..., 1][mask],
                                    bins=(edges, edges), weights=particles[..., 2][mask])
    np.testing.assert_allclose(jet_images(particles, mask).sum(0), expected, atol=1e-12)


def test_particles_outside_count_in_the_edge_pixels_and_the_mean_agrees():
    particles, mask = jets(spread=2.0)
    images = jet_images(particles, mask)
    total = np.where(mask, particles[..., 2], 0).sum(1)
    np.testing.assert_allclose(images.sum((1, 2)), total)  # no pT dropped
    np.testing.assert_allclose(mean_jet_image(particles, mask), images.mean(0), atol=1e-12)
    corner = np.zeros((1, 1, 3))
    corner[0, 0] = (5.0, -5.0, 1.0)
    assert jet_images(corner, np.ones((1, 1), bool))[0, IMAGE_BINS - 1, 0] == 1.0
