"""ODE round trips: encode real jets to noise and decode them with the same solver."""

import numpy as np
import pytest

from jetgen.errors import UsageError
from jetgen.evaluation.jet_images import jet_images
from jetgen.io import read_jets
from jetgen.models.checkpoint import read_model
from jetgen.score.images import image_l1
from jetgen.score.reconstruct import ode_samplers, reconstruct_batch


@pytest.fixture(scope="module")
def model(score_model):
    return read_model(score_model)[0]


@pytest.fixture(scope="module")
def jets(pythia_file):
    return read_jets(pythia_file)[::20]


@pytest.mark.parametrize("sampler", ["heun", "dpmpp_2m", "ddim"])
def test_more_steps_reconstruct_more_faithfully(model, jets, sampler):
    few = reconstruct_batch(model, jets, sampler=sampler, steps=3)[1]
    many = reconstruct_batch(model, jets, sampler=sampler, steps=40)[1]
    assert many.mean() < few.mean() / 2
    if sampler != "ddim":  # first order: still visibly off at 40 steps
        assert many.mean() < 0.1


def test_reconstructions_are_jets_in_jetnet_form(model, jets):
    recon, distance = reconstruct_batch(model, jets, sampler="heun", steps=4)
    assert np.array_equal(recon.mask.sum(1), jets.mask.sum(1))
    assert np.array_equal(recon.jet, jets.jet)
    pt = np.where(recon.mask, recon.particles[..., 2], -1)
    assert (np.diff(pt, axis=1) <= 0).all() and (recon.particles[~recon.mask] == 0).all()
    assert distance.shape == (len(jets),) and np.isfinite(distance).all()


def test_image_distance_is_zero_for_the_same_jet_and_counts_every_particle(jets):
    pair = (jets.particles, jets.mask)
    assert (image_l1(pair, pair) == 0).all()
    images = jet_images(*pair)
    assert np.allclose(images.sum((1, 2)), (jets.particles[..., 2] * jets.mask).sum(1))
    far = jets.particles.copy()
    far[..., 0] += 5.0  # out of the image: lands in the edge pixels, not lost
    assert np.allclose(jet_images(far, jets.mask).sum((1, 2)), images.sum((1, 2)))
    assert (image_l1(pair, (far, jets.mask)) > 0).all()


def test_only_deterministic_solvers_reconstruct(model, jets):
    assert {"euler", "heun", "dpmpp_2m", "rk4", "lms", "ddim"} <= set(ode_samplers())
    assert "euler_maruyama" not in ode_samplers()
    with pytest.raises(UsageError, match="stochastic"):
        reconstruct_batch(model, jets, sampler="euler_maruyama", steps=4)
    with pytest.raises(UsageError, match="at least 2"):
        reconstruct_batch(model, jets, sampler="heun", steps=1)
