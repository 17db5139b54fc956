import numpy as np
import torch

from jetgen.jets import Jets
from jetgen.models.preprocessing import Standardiser


def _jets(n=200, p=30, seed=0):
    rng = np.random.default_rng(seed)
    counts = rng.integers(5, p + 1, n)
    mask = np.arange(p)[None] < counts[:, None]
    pt = np.sort(rng.exponential(0.05, (n, p)), 1)[:, ::-1]
    particles = np.stack([rng.normal(0, 0.1, (n, p)), rng.normal(0, 0.1, (n, p)), pt], -1)
    particles *= mask[..., None]
    jet = np.stack([rng.uniform(800, 1600, n), rng.normal(0, 1, n), rng.uniform(20, 250, n),
                    counts], 1)
    return Jets(particles, mask, jet, rng.integers(0, 5, n))


def test_standardised_particles_have_unit_scale_over_real_particles():
    jets = _jets()
    st = Standardiser.fit(jets)
    x = st.particles_to_model(torch.from_numpy(jets.particles), torch.from_numpy(jets.mask))
    real = x[torch.from_numpy(jets.mask)]
    assert torch.allclose(real.mean(0), torch.zeros(3), atol=1e-4)
    assert torch.allclose(real.std(0), torch.ones(3), atol=1e-2)
    assert (x[~torch.from_numpy(jets.mask)] == 0).all()


def test_particles_round_trip_back_to_jetnet_form():
    jets = _jets()
    st = Standardiser.fit(jets)
    mask = torch.from_numpy(jets.mask)
    back = st.particles_from_model(st.particles_to_model(torch.from_numpy(jets.particles), mask),
                                   mask)
    assert np.allclose(back.numpy(), jets.particles, atol=1e-5)


def test_postprocessing_sorts_wraps_phi_and_keeps_padding_zero():
    jets = _jets()
    st = Standardiser.fit(jets)
    mask = torch.from_numpy(jets.mask)
    x = torch.randn(len(jets), 30, 3) * 5
    out = st.particles_from_model(x, mask)
    pt = out[..., 2]
    assert ((pt[:, :-1] >= pt[:, 1:]) | ~mask[:, 1:]).all()
    assert (pt[mask] > 0).all() and (pt[mask] <= 1).all()
    assert (out[..., 1].abs() <= np.pi).all()
    assert (out[~mask] == 0).all()


def test_jet_features_round_trip_and_integer_multiplicity():
    jets = _jets()
    st = Standardiser.fit(jets)
    jet = torch.from_numpy(jets.jet)
    u = torch.rand(len(jets))
    back = st.jets_from_model(st.jets_to_model(jet, u))
    assert torch.allclose(back[:, :3], jet[:, :3], rtol=1e-4, atol=1e-3)
    assert torch.equal(back[:, 3], jet[:, 3])
