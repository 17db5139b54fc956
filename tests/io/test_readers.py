"""Every file jetgen writes, jetgen reads back: TTree names, jet-level-only conditions."""

import h5py
import numpy as np
import pytest
import uproot

from jetgen.cli.main import main
from jetgen.io import read_jets


def ntuple(path, n, tree="events", **override):
    """A user's ntuple: jet-level branches only, no constituents."""
    rng = np.random.default_rng(0)
    branches = {"jet_pt": rng.uniform(900, 1100, n).astype(np.float32),
                "jet_eta": rng.uniform(-1, 1, n).astype(np.float32),
                "jet_mass": rng.uniform(150, 200, n).astype(np.float32),
                "jet_nparticles": np.full(n, 20, np.float32),
                "jet_type": np.full(n, 2, np.int32), **override}
    write_tree(path, {tree: branches})
    return path


def write_tree(path, trees):
    # mktree: uproot ≥ 5.7 writes an RNTuple for plain ``f[name] = dict``.
    with uproot.recreate(path) as f:
        for name, branches in trees.items():
            f.mktree(name, {k: v.dtype for k, v in branches.items()})
            f[name].extend(branches)


@pytest.fixture(scope="module")
def events_file(tiny_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("trees") / "events.root"
    assert main(["sample", "--model", str(tiny_model), "--jet", "t", "--n", "60", "--steps",
                 "1", "--tree-name", "events", "-o", str(path)]) == 0
    return path


def test_renamed_tree_is_read_by_info_score_conditions_and_eval(events_file, tiny_model,
                                                                 pythia_file, tmp_path, capsys):
    capsys.readouterr()
    assert main(["info", str(events_file)]) == 0
    assert "ROOT TTree 'events'" in capsys.readouterr().out
    assert main(["score", str(events_file), "--model", str(tiny_model), "--method", "elbo",
                 "--steps", "2", "--n", "8", "-o", str(tmp_path / "s.h5")]) == 0
    assert main(["sample", "--model", str(tiny_model), "--conditions", str(events_file),
                 "--steps", "1", "-o", str(tmp_path / "c.h5")]) == 0
    again = read_jets(tmp_path / "c.h5")
    assert np.array_equal(again.jet[:, :3], read_jets(events_file).jet[:, :3])
    assert main(["eval", str(events_file), "-r", str(pythia_file), "--reference-split", "all",
                 "--jets", "40", "--no-cache", "--fpnd-jets", "40"]) == 0


def test_several_trees_need_tree_and_are_named(events_file, tmp_path, capsys):
    path = tmp_path / "two.root"
    write_tree(path, {"events": {"jet_pt": np.ones(3)}, "other": {"x": np.arange(3)}})
    capsys.readouterr()
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "events" in err and "other" in err and "--tree" in err
    assert main(["info", str(path), "--tree", "evnts"]) == 1
    assert "did you mean 'events'" in capsys.readouterr().err


def test_file_without_a_ttree_is_one_line(tmp_path, capsys):
    path = tmp_path / "hist.root"
    with uproot.recreate(path) as f:
        f["h"] = np.histogram(np.arange(10), bins=3)
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "holds no TTree" in err and "h (TH1D)" in err


def test_conditions_need_only_jet_level_columns(tiny_model, tmp_path):
    root = ntuple(tmp_path / "user.root", 12)
    h5 = tmp_path / "user.h5"
    with h5py.File(h5, "w") as f:
        f["jet_features"] = np.tile([[1000.0, 0.1, 170.0, 15.0]], (9, 1)).astype(np.float32)
        f["jet_type"] = np.full(9, 3, np.int32)
    for source, n, cls in ((root, 12, 2), (h5, 9, 3)):
        out = tmp_path / f"{source.stem}-{source.suffix[1:]}.h5"
        assert main(["sample", "--model", str(tiny_model), "--conditions", str(source),
                     "--steps", "1", "-o", str(out)]) == 0
        jets = read_jets(out)
        assert len(jets) == n and (jets.jet_type == cls).all()


def test_conditions_multiplicity_out_of_range_is_clamped_with_a_warning(tiny_model, tmp_path,
                                                                        capsys):
    n = np.array([0, 5, 50, 30], np.float32)
    source = ntuple(tmp_path / "n.root", 4, jet_nparticles=n)
    capsys.readouterr()
    assert main(["sample", "--model", str(tiny_model), "--conditions", str(source),
                 "--steps", "1", "-o", str(tmp_path / "n.h5")]) == 0
    err = capsys.readouterr().err
    assert "1 jets with n < 1 and 1 with n > 30" in err
    assert read_jets(tmp_path / "n.h5").mask.sum(1).tolist() == [1, 5, 30, 30]


def test_conditions_missing_branch_is_one_line(tiny_model, tmp_path, capsys):
    path = tmp_path / "bad.root"
    write_tree(path, {"events": {"jet_pt": np.ones(3), "jet_eta": np.ones(3),
                                 "jet_mas": np.ones(3), "jet_nparticles": np.ones(3),
                                 "jet_type": np.zeros(3, np.int32)}})
    assert main(["sample", "--model", str(tiny_model), "--conditions", str(path),
                 "-o", str(tmp_path / "x.h5")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'jet_mass'" in err and "jet_mas" in err
