"""Scores of a tiny trained model on real Pythia jets: symmetries and invariances that any
correct estimator must have, whatever the (barely trained) network has learnt."""

import numpy as np
import pytest
import torch

from jetgen.errors import JetgenError
from jetgen.io import read_jets
from jetgen.jets import Jets
from jetgen.models.checkpoint import read_model
from jetgen.score.files import score_file
from jetgen.score.likelihood import preprocessing_log_jacobian, score_batch
from jetgen.score.ode import ode_log_likelihood
from jetgen.score.table import read_table

COUNTS = (30, 17, 9, 30, 22, 5)
FAST = {"ode": {"steps": 4, "probes": 2}, "elbo": {"steps": 4}}


@pytest.fixture(scope="module")
def model(score_model):
    return read_model(score_model)[0]


@pytest.fixture(scope="module")
def jets(pythia_file):
    """Three top and three gluon jets, cut to fewer constituents so most have padding."""
    every = read_jets(pythia_file)
    chosen = Jets.concatenate([every.of_class(2)[:3], every.of_class(0)[:3]])
    mask = np.arange(30)[None, :] < np.array(COUNTS)[:, None]
    particles = np.where(mask[..., None], chosen.particles, 0.0)
    jet = chosen.jet.copy()
    jet[:, 3] = COUNTS
    return Jets(particles, mask, jet, chosen.jet_type)


def _shuffled(jets: Jets, seed: int) -> Jets:
    rng = np.random.default_rng(seed)
    order = np.stack([rng.permutation(jets.n_particles) for _ in range(len(jets))])
    return Jets(np.take_along_axis(jets.particles, order[..., None], 1),
                np.take_along_axis(jets.mask, order, 1), jets.jet, jets.jet_type)


@pytest.mark.parametrize("method", ["ode", "elbo"])
def test_permuting_constituents_gives_the_same_score(model, jets, method):
    seeds = np.arange(len(jets))
    base = score_batch(model, jets, seeds, method=method, **FAST[method])
    for seed in (1, 2):
        moved = score_batch(model, _shuffled(jets, seed), seeds, method=method,
                            **FAST[method])
        assert np.allclose(moved.logp, base.logp, rtol=0, atol=1e-6)
        assert np.array_equal(moved.n_particles, np.array(COUNTS))


def test_the_network_itself_is_permutation_invariant(model, jets):
    # Below the canonical ordering: permuted model inputs with the exact trace (no probes
    # tied to slots) must give the same density, which is what makes reordering legal.
    sub = jets[[1, 4, 5]]
    mask = torch.as_tensor(sub.mask)
    x = model.standardiser.particles_to_model(torch.as_tensor(sub.particles), mask)
    cond = model.particle_cond(torch.as_tensor(sub.jet_type).long(), torch.as_tensor(sub.jet))
    order = torch.stack([torch.randperm(30, generator=torch.Generator().manual_seed(i))
                         for i in range(len(sub))])
    kw = {"steps": 3, "probes": 0}
    seeds = torch.arange(len(sub))
    base = ode_log_likelihood(model.particle, x, mask, cond, seeds, **kw)
    moved = ode_log_likelihood(model.particle, torch.take_along_dim(x, order[..., None], 1),
                               torch.take_along_dim(mask, order, 1), cond, seeds, **kw)
    assert torch.allclose(moved, base, rtol=0, atol=1e-4)


@pytest.mark.parametrize("method", ["ode", "elbo"])
def test_padded_slots_do_not_change_the_score(model, jets, method):
    seeds = np.arange(len(jets))
    base = score_batch(model, jets, seeds, method=method, **FAST[method])
    dirty = jets.particles.copy()
    dirty[~jets.mask] = np.array([0.3, -2.0, 7.0], np.float32)
    dirty[1, -1] = np.nan  # jet 1 has 17 constituents: slot 29 is padding
    garbage = score_batch(model, Jets(dirty, jets.mask, jets.jet, jets.jet_type), seeds,
                          method=method, **FAST[method])
    assert np.array_equal(garbage.logp, base.logp)
    # A file with fewer slots (here just the 9 this jet fills) changes nothing either.
    short = Jets(jets.particles[2:3, :9], jets.mask[2:3, :9], jets.jet[2:3],
                 jets.jet_type[2:3])
    alone = score_batch(model, short, seeds[2:3], method=method, **FAST[method])
    assert np.allclose(alone.logp, base.logp[2:3], rtol=0, atol=1e-4)


@pytest.mark.parametrize("method", ["ode", "elbo"])
def test_batch_size_does_not_change_the_score(score_model, pythia_file, tmp_path, method):
    tables = []
    for batch_size in (3, 10):
        out = tmp_path / f"b{batch_size}.h5"
        score_file(pythia_file, out, model=str(score_model), method=method, n=10,
                   batch_size=batch_size, seed=7, classes=[0, 2], **FAST[method])
        tables.append(read_table(out)[0])
    a, b = tables
    assert np.array_equal(a["index"], b["index"])
    assert np.allclose(a["logp"], b["logp"], rtol=0, atol=1e-3)
    other = tmp_path / "seed8.h5"
    score_file(pythia_file, other, model=str(score_model), method=method, n=10, seed=8,
               classes=[0, 2], **FAST[method])
    assert not np.allclose(read_table(other)[0]["logp"], a["logp"], rtol=0, atol=1e-3)


def test_the_class_condition_is_used(model, jets):
    seeds = np.arange(len(jets))
    own = score_batch(model, jets, seeds, method="elbo", steps=4)
    swapped = score_batch(model, jets, seeds, method="elbo", steps=4,
                          jet_type=np.where(jets.jet_type == 2, 0, 2))
    assert not np.allclose(own.logp, swapped.logp)
    assert np.array_equal(own.log_jacobian, swapped.log_jacobian)


def test_log_jacobian_matches_the_preprocessing(model, jets):
    # Central differences of the model's own transform (it works in place, so autograd
    # cannot differentiate it), in float64.
    jet = jets[1:2]
    n = int(jet.mask.sum())
    real = torch.as_tensor(jet.particles[0, :n], dtype=torch.float64).flatten()
    mask = torch.ones(1, n, dtype=torch.bool)

    def to_model(flat):
        return model.standardiser.particles_to_model(flat.view(1, n, 3), mask).flatten()

    step = 1e-7
    columns = []
    for i in range(len(real)):
        bump = torch.zeros_like(real)
        bump[i] = step
        columns.append((to_model(real + bump) - to_model(real - bump)) / (2 * step))
    expected = torch.linalg.slogdet(torch.stack(columns, 1))[1].item()
    got = preprocessing_log_jacobian(model.standardiser, jet.particles, jet.mask)[0]
    assert got == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(("change", "message"), [
    ("pt", "pT_rel <= 0"), ("nan", "NaN/inf"), ("empty", "no constituents")])
def test_inputs_without_a_density_are_one_clear_error(model, jets, change, message):
    particles, mask = jets.particles.copy(), jets.mask.copy()
    if change == "pt":
        particles[0, 0, 2] = 0.0
    elif change == "nan":
        particles[0, 0, 0] = np.nan
    else:
        mask[0] = False
    with pytest.raises(JetgenError, match=message):
        score_batch(model, Jets(particles, mask, jets.jet, jets.jet_type),
                    np.arange(len(jets)), method="elbo", steps=2)
