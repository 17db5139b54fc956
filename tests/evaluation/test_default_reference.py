"""The reference `jetgen eval` picks by default: the shipped one where it is big enough,
else the built one, generated (real Pythia) into the cache on first use."""

from __future__ import annotations

import numpy as np
import pytest

import jetgen.data.reference as reference
from jetgen.evaluation.default_reference import (
    BUILT_NOW_NOTE,
    default_reference,
    needed_per_class,
    plan_default_reference,
)
from jetgen.evaluation.inputs import Side
from jetgen.io import read_jets, read_provenance
from jetgen.io.hdf5 import HDF5Writer
from jetgen.io.provenance import base_provenance
from jetgen.jets import CLASSES, Jets


def test_plan_prefers_built_then_shipped_then_builds_only_the_short_classes():
    need = {"t": 20_000, "w": 300}
    assert plan_default_reference(need, {"t": 4000, "w": 4000},
                                  {"t": 20_000, "w": 20_000}) == ("built", [])
    assert plan_default_reference({"t": 400}, {"t": 4000}, {"t": 40}) == ("shipped", [])
    assert plan_default_reference(need, {"t": 4000, "w": 4000},
                                  {"w": 20_000}) == ("build", ["t"])
    assert plan_default_reference(need, {"t": 4000}, {}) == ("build", ["t", "w"])


def test_need_is_two_halves_of_n_capped_by_the_build_size():
    side = Side(None, "gen.h5", available={2: 100_000, 3: 700})
    assert needed_per_class(side, 50_000, 20_000) == {"t": 20_000, "w": 1400}
    assert needed_per_class(side, 300, 20_000) == {"t": 600, "w": 600}


def _small_shipped(path, jets: Jets, per_class: int):
    keep = np.concatenate([np.flatnonzero(jets.jet_type == c)[:per_class]
                           for c in np.unique(jets.jet_type)])
    with HDF5Writer(path, jets.n_particles, base_provenance(kind="reference sample")) as w:
        w.write(jets[np.sort(keep)])
    return path


def test_short_shipped_reference_builds_the_class_once(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setattr(reference, "REFERENCE_N", 24)  # real Pythia, kept small
    shipped = _small_shipped(tmp_path / "shipped.h5", read_jets(_real_top(tmp_path)), 6)
    gen = Side(None, "gen.h5", provenance={"n_particles": 30}, available={2: 1000})
    notices: list[str] = []

    small = default_reference(gen, shipped, n_jets=500, build=False, cache_dir=cache)
    assert np.bincount(small.jets.jet_type).tolist() == [0, 0, 6]
    assert "shipped" in small.note and "24 per class" in small.note
    assert not (cache / "reference").exists()

    ref = default_reference(gen, shipped, n_jets=500, cache_dir=cache, on_notice=notices.append)
    assert len(notices) == 1 and "24 Pythia jets (t; seed 1000)" in notices[0]
    assert "min on 1 core" in notices[0]
    assert np.bincount(ref.jets.jet_type).tolist() == [0, 0, 24]
    assert BUILT_NOW_NOTE in ref.note
    built = reference.class_reference_path("t", 30, 24, cache_dir=cache)
    assert ref.paths == [str(built)] and read_provenance(built)["seed"] == 1000

    again = default_reference(gen, shipped, n_jets=500, cache_dir=cache,
                              on_notice=notices.append)
    assert len(notices) == 1 and BUILT_NOW_NOTE not in again.note
    np.testing.assert_array_equal(again.jets.particles, ref.jets.particles)


def _real_top(tmp_path):
    """A few real Pythia top jets of another seed, standing in for the shipped file."""
    from jetgen.data.generate import generate

    path = tmp_path / "real.h5"
    generate(path, [CLASSES.index("t")], 8, seed=7)
    return path


def test_class_reference_holds_the_all_class_files_jets(tmp_path):
    one = reference.build_class_reference("w", n_per_class=12, cache_dir=tmp_path)
    from jetgen.data.generate import generate

    every = tmp_path / "all.h5"
    generate(every, list(range(len(CLASSES))), 12, seed=reference.REFERENCE_SEED)
    w = read_jets(every)
    w = w[w.jet_type == CLASSES.index("w")]
    np.testing.assert_array_equal(read_jets(one).particles, w.particles)
    assert reference.built_per_class(30, tmp_path) == {"w": (one, 12)}


@pytest.mark.parametrize("name", ["pythia30-seed1000-n40.h5", "pythia30-seed1000-t-n40.h5"])
def test_built_files_of_another_seed_or_size_are_told_apart(tmp_path, name):
    folder = reference.reference_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / name).touch()
    (folder / "pythia30-seed7-t-n900.h5").touch()
    (folder / "pythia150-seed1000-t-n900.h5").touch()
    found = reference.built_per_class(30, tmp_path)
    held = list(CLASSES) if "-t-" not in name else ["t"]
    assert found == {c: (folder / name, 40) for c in held}
