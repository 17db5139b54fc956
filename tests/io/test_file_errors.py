"""What io raises, as types a caller can catch: a missing/unreadable file is an OSError, a
missing dataset/tree/branch a KeyError naming the valid keys; the messages stay the CLI's
one line."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from jetgen.errors import JetgenError, JetgenFileError, KeyInFileError
from jetgen.io import count_jets, open_writer, read_jets, read_table, tree_name, write_table
from jetgen.jets import Jets


def jets(n=4, p=30):
    mask = np.arange(p)[None] < np.full((n, 1), 3)
    particles = np.full((n, p, 3), 0.1, np.float32) * mask[..., None]
    return Jets(particles, mask, np.tile([1000.0, 0.1, 90.0, 3], (n, 1)), np.zeros(n, int))


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_a_missing_file_is_a_file_not_found_error(tmp_path, suffix):
    path = tmp_path / f"nope{suffix}"
    with pytest.raises(FileNotFoundError) as err:
        read_jets(path)
    assert str(err.value) == f"{path}: no such file" and err.value.path == path


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_a_file_that_is_not_jets_is_an_os_error(tmp_path, suffix):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(b"not a jet file at all" * 10)
    with pytest.raises(OSError, match="not a readable") as err:
        read_jets(path)
    assert isinstance(err.value, JetgenFileError)


def test_a_missing_dataset_is_a_key_error_with_the_valid_keys(tmp_path):
    path = tmp_path / "t.h5"
    with h5py.File(path, "w") as f:
        f["particle_feature"] = np.zeros((2, 30, 4), np.float32)
        f["jet_features"] = np.zeros((2, 4), np.float32)
    with pytest.raises(KeyError) as err:
        read_jets(path)
    assert isinstance(err.value, KeyInFileError) and isinstance(err.value, JetgenError)
    assert str(err.value) == (f"{path}: missing dataset 'particle_features' (did you mean "
                              "'particle_feature'?)")
    assert err.value.key == "particle_features" and err.value.path == path
    assert set(err.value.keys) == {"particle_feature", "jet_features"}
    assert err.value.nearest_key == "particle_feature"
    with pytest.raises(KeyInFileError, match="missing dataset 'particle_features'"):
        count_jets(path)


def test_a_missing_ttree_is_a_key_error_naming_the_nearest(tmp_path):
    path = tmp_path / "j.root"
    with open_writer(path, 30, {}, tree="events") as writer:
        writer.write(jets())
    assert tree_name(path) == "events" and tree_name(tmp_path / "x.h5") is None
    with pytest.raises(KeyError) as err:
        read_jets(path, tree="event")
    assert str(err.value) == f"{path}: no TTree 'event' (did you mean 'events'?)"
    assert err.value.keys == ["events"]


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_tables_round_trip_through_io(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    columns = {"logp": np.arange(5, dtype=np.float64), "jet_type": np.arange(5, dtype=np.int32)}
    write_table(path, columns, {"method": "elbo"}, tree="scores")
    back, provenance = read_table(path, tree="scores")
    assert provenance["method"] == "elbo"
    assert all(np.array_equal(back[k], v) for k, v in columns.items())
    with pytest.raises(OSError, match="output exists"):
        write_table(path, columns, {}, tree="scores")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    if suffix == ".root":
        with pytest.raises(KeyError, match="no tree 'score' \\(did you mean 'scores'"):
            read_table(path, tree="score")


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_writers_share_one_protocol(tmp_path, suffix):
    """Nothing under the final name until a clean exit; an error leaves nothing at all."""
    path = tmp_path / f"out{suffix}"
    with pytest.raises(RuntimeError), open_writer(path, 30, {}) as writer:
        writer.write(jets())
        raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []
    with open_writer(path, 30, {}) as writer:
        writer.write(jets())
        assert not path.exists()
    assert len(read_jets(path)) == 4 and list(tmp_path.iterdir()) == [path]
    with pytest.raises(JetgenError, match="got jets with 20 particles, file holds 30"), \
            open_writer(path, 30, {}, overwrite=True) as writer:
        writer.write(jets(p=20))
    assert list(tmp_path.iterdir()) == [path] and len(read_jets(path)) == 4
