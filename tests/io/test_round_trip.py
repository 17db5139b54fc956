"""ROOT and HDF5 writers/readers: round trips, layout, atomic writes, bad input."""

import h5py
import numpy as np
import pytest
import uproot

from jetgen.cli.main import main
from jetgen.errors import JetgenError
from jetgen.io import open_writer, read_jets, read_provenance


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_round_trip_keeps_jets_columns_and_provenance(random_jets, tmp_path, suffix):
    path = tmp_path / f"jets{suffix}"
    jets = random_jets()
    with open_writer(path, 30, {"kind": "test", "seed": 3}) as writer:
        writer.write(jets[:20])
        writer.write(jets[20:])
    back = read_jets(path)
    assert np.array_equal(back.particles, jets.particles)
    assert np.array_equal(back.mask, jets.mask)
    assert np.allclose(back.jet, jets.jet)
    assert np.array_equal(back.jet_type, jets.jet_type)
    assert np.array_equal(back.extra["jet_seed"], jets.extra["jet_seed"])
    assert read_provenance(path)["seed"] == 3


def test_root_output_is_a_ttree_with_the_documented_branches(random_jets, tmp_path):
    path = tmp_path / "jets.root"
    with open_writer(path, 30, {}) as writer:
        writer.write(random_jets())
    with uproot.open(path) as f:
        tree = f["tree"]
        assert tree.classname == "TTree"
        types = tree.typenames()
    assert types["npart"] == "int32_t"
    for name in ("part_etarel", "part_phirel", "part_ptrel"):
        assert types[name] == "float[]"
    assert types["jet_type"] == "int32_t" and types["jet_seed"] == "uint64_t"


def test_hdf5_output_loads_like_a_jetnet_file(random_jets, tmp_path):
    path = tmp_path / "jets.h5"
    jets = random_jets()
    with open_writer(path, 30, {}) as writer:
        writer.write(jets)
    with h5py.File(path) as f:
        pf, jf = f["particle_features"][:], f["jet_features"][:]
        assert list(f["particle_features"].attrs["feature_names"]) == [
            "etarel", "phirel", "ptrel", "mask"]
    assert pf.shape == (50, 30, 4) and jf.shape == (50, 4)
    assert np.array_equal(pf[..., 3] > 0, jets.mask)


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_failed_write_leaves_nothing_behind(random_jets, tmp_path, suffix):
    path = tmp_path / f"jets{suffix}"
    with pytest.raises(RuntimeError), open_writer(path, 30, {}) as writer:
        writer.write(random_jets())
        raise RuntimeError("killed mid-write")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_not_overwritten_without_the_flag(random_jets, tmp_path):
    path = tmp_path / "jets.root"
    path.write_text("precious")
    with pytest.raises(JetgenError, match="--overwrite"):
        open_writer(path, 30, {})
    assert path.read_text() == "precious"
    with open_writer(path, 30, {}, overwrite=True) as writer:
        writer.write(random_jets())
    assert len(read_jets(path)) == 50


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.root", "no such file"),
        (b"this is not ROOT", "fake.root", "not a readable ROOT file"),
        (b"this is not HDF5", "fake.h5", "not a readable HDF5 file"),
        (b"", "jets.txt", "unknown file type"),
    ],
)
def test_bad_input_files_give_one_clear_error(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(JetgenError, match=message):
        read_jets(path)


def test_truncated_root_file_is_reported(random_jets, tmp_path):
    path = tmp_path / "jets.root"
    with open_writer(path, 30, {}) as writer:
        writer.write(random_jets(2000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(JetgenError, match=r"jets\.root"):
        read_jets(path)


def test_wrong_schema_names_the_missing_branch_and_nearest(tmp_path):
    path = tmp_path / "other.root"
    with uproot.recreate(path) as f:
        f.mktree("tree", {"jet_pT": np.float32})
        f["tree"].extend({"jet_pT": np.ones(3, np.float32)})
    with pytest.raises(JetgenError, match="no branch 'part_etarel'"):
        read_jets(path)
    with pytest.raises(JetgenError, match="did you mean 'tree'"):
        read_jets(path, tree="tre")


def test_wrong_hdf5_schema_names_the_missing_dataset(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["particle_feature"] = np.zeros((2, 30, 4))
    with pytest.raises(JetgenError, match="did you mean 'particle_feature'"):
        read_jets(path)


def test_info_prints_counts_and_fails_cleanly(random_jets, tmp_path, capsys):
    path = tmp_path / "jets.h5"
    with open_writer(path, 30, {"kind": "test"}) as writer:
        writer.write(random_jets())
    assert main(["info", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"jets": 50' in out and '"particles": 30' in out
    assert main(["info", str(tmp_path / "nope.root")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]
