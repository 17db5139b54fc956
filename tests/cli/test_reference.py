"""`jetgen data reference`: a large Pythia reference in the cache that `jetgen eval` uses
in place of the small shipped one; and what the report says about small samples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jetgen.cli.main import main
from jetgen.data.reference import REFERENCE_SEED, cached_reference, reference_path
from jetgen.evaluation.ratios import floor_ratio
from jetgen.io import read_jets, read_provenance
from jetgen.jets import CLASSES


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A 40-jets-per-class reference built through the CLI into a private cache."""
    cache = tmp_path_factory.mktemp("refcache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JETGEN_CACHE_DIR", str(cache))
        assert main(["data", "reference", "--n", "40"]) == 0
        yield cache


def test_reference_is_all_classes_from_its_own_seed(built, monkeypatch):
    monkeypatch.setenv("JETGEN_CACHE_DIR", str(built))
    path = reference_path(30, 40)
    assert cached_reference(30) == path and cached_reference(150) is None
    jets = read_jets(path)
    assert np.bincount(jets.jet_type, minlength=5).tolist() == [40] * len(CLASSES)
    prov = read_provenance(path)
    assert prov["seed"] == REFERENCE_SEED != 1  # not the training data's seed


def test_building_again_needs_overwrite(built, monkeypatch, capsys):
    monkeypatch.setenv("JETGEN_CACHE_DIR", str(built))
    assert main(["data", "reference", "--n", "40"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--overwrite" in err


def test_eval_prefers_the_built_reference_and_warns_at_small_n(built, monkeypatch, tmp_path,
                                                               capsys):
    monkeypatch.setenv("JETGEN_CACHE_DIR", str(built))
    gen = tmp_path / "t.h5"
    assert main(["sample", "--jet", "t", "--n", "20", "-o", str(gen)]) == 0
    capsys.readouterr()
    out = tmp_path / "e.json"
    assert main(["eval", str(gen), "--fpnd-jets", "0", "--json", str(out)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert str(reference_path(30, 40)) in text and "jetgen data reference" in text
    assert "caution" in text and "20 jets per class" in text
    result = json.loads(out.read_text())
    assert result["reference"]["source"] == str(reference_path(30, 40))


def test_no_ratio_where_the_floor_is_consistent_with_zero():
    assert floor_ratio(2.0, 1.0, 0.1) == pytest.approx(2.0)
    assert floor_ratio(2.0, 0.1, 0.97) is None  # FPD "0.00 ± 0.97"
    assert floor_ratio(2.0, -0.5, 0.1) is None  # KPD's negative floors
    assert floor_ratio(2.0, 0.0, 0.0) is None
