"""The JetNet recipe on a few dozen real Pythia jets per class."""

import numpy as np
import pytest

from jetgen.cli.main import main
from jetgen.data.generate import generate
from jetgen.data.pythia import generate_block
from jetgen.data.splits import split_mask
from jetgen.io import read_jets, read_provenance
from jetgen.jets import CLASSES


@pytest.fixture(scope="module", params=CLASSES)
def block(request):
    return request.param, generate_block(request.param, 25, 30, 5)[0]


def test_jets_follow_the_jetnet_definitions(block):
    name, jets = block
    assert len(jets) == 25 and (jets.jet_type == CLASSES.index(name)).all()
    pt = jets.jet[:, 0]
    assert ((pt > 800) & (pt < 1600)).all() and (np.abs(jets.jet[:, 1]) < 2.5).all()
    real = jets.mask
    assert (np.abs(jets.particles[..., 0][real]) < 1.2).all()
    phi = jets.particles[..., 1][real]
    assert ((phi >= -np.pi) & (phi < np.pi)).all() and (np.abs(phi) < 1.2).all()
    ptrel = np.where(real, jets.particles[..., 2], -1)
    assert (np.diff(ptrel, axis=1) <= 0).all()
    # Σ pT_rel of scalar pTs exceeds 1 only by the jet's angular spread (pT_jet is the
    # vector sum), a few per mille at 1 TeV; the leading 30 carry almost all of it.
    total = jets.particles[..., 2].sum(1)
    assert (total <= 1.02).all() and (total > 0.7).all()
    assert (jets.particles[~real] == 0).all()
    assert (np.diff(real.astype(int), axis=1) <= 0).all()  # mask contiguous from the start
    assert np.array_equal(jets.jet[:, 3], real.sum(1))


def test_mass_ordering_is_physical():
    masses = {c: generate_block(c, 20, 30, 9)[0].jet[:, 2].mean() for c in ("t", "w")}
    assert 150 < masses["t"] < 260 and 60 < masses["w"] < 140


def test_generation_is_independent_of_the_worker_count(tmp_path):
    one = tmp_path / "one.h5"
    two = tmp_path / "two.h5"
    generate(one, [2, 3], 12, seed=4, workers=1, block_jets=5)
    generate(two, [2, 3], 12, seed=4, workers=2, block_jets=5)
    a, b = read_jets(one), read_jets(two)
    assert len(a) == 24 and np.array_equal(a.particles, b.particles)
    assert np.array_equal(a.jet_type, np.repeat([2, 3], 12))
    assert read_provenance(one)["kind"] == "training data"


def test_split_convention_is_70_15_15_within_each_class():
    jet_type = np.repeat([0, 2], 100)
    sizes = [split_mask(jet_type, s).sum() for s in ("train", "val", "test")]
    assert sizes == [140, 30, 30]
    assert not (split_mask(jet_type, "train") & split_mask(jet_type, "test")).any()


def test_cli_generate_refuses_existing_output(tmp_path, capsys):
    out = tmp_path / "t.h5"
    assert main(["data", "generate", "--jet", "top", "--n", "3", "-o", str(out)]) == 0
    assert len(read_jets(out)) == 3
    capsys.readouterr()
    assert main(["data", "generate", "--jet", "top", "--n", "3", "-o", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
