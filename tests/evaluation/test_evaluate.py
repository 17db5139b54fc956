"""``evaluate`` end to end on small real Pythia samples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from jetgen.errors import JetgenError, UsageError
from jetgen.evaluation import evaluate
from jetgen.evaluation.report import render, write_json
from jetgen.jets import Jets

CORE = ("w1m", "w1p", "w1efp", "fpnd_ref", "w1_tau21", "w1_tau32", "w1_d2")


@pytest.fixture(scope="module")
def same(samples):
    return evaluate(samples.gen_g_path, seed=1)


@pytest.fixture(scope="module")
def wrong(samples):
    return evaluate(samples.gen_t_path, seed=1)


def test_same_class_sits_at_the_floor(same):
    entry = same["classes"]["g"]
    assert entry["n_jets"] == 200
    for key in CORE:
        row = entry["metrics"][key]
        if row["ratio"] is None:
            # A floor consistent with zero gets no ratio; then the model must be too.
            assert row["floor"] < 2 * row["floor_error"]
            assert row["value"] < row["floor"] + 3 * (row["error"] + row["floor_error"]), key
            continue
        assert 1 / 3 < row["ratio"] < 3, (key, row["ratio"])


def test_tops_as_gluons_are_far_above_the_floor(wrong):
    metrics = wrong["classes"]["g"]["metrics"]
    assert metrics["w1m"]["ratio"] > 4
    fpnd = metrics["fpnd_ref"]
    # At 200 jets FPND_ref's floor may be consistent with zero (then no ratio is given):
    # the distance must then stand far above the floor's whole uncertainty instead.
    assert (fpnd["ratio"] or 0) > 10 or fpnd["value"] > 5 * (fpnd["floor"] + fpnd["floor_error"])
    assert metrics["w1_tau32"]["ratio"] > 3


def test_result_records_everything(same, samples):
    assert same["reference"]["source"] == str(samples.ref_path)  # from the provenance
    assert same["reference"]["split"] == "all"
    assert same["generated"]["provenance"]["kind"] == "generated"
    row = same["classes"]["g"]["metrics"]["w1m"]
    assert set(row) == {"value", "error", "floor", "floor_error", "ratio", "ratio_lower",
                        "scale"}
    assert row["scale"] == 1e-4 and same["units"]["kpd"] == 1e-6
    assert "fpnd_jetnet" not in same["classes"]["g"]["metrics"]  # not a JetNet reference


def test_fixed_seed_reproduces_and_cache_is_used(same, samples):
    again = evaluate(samples.gen_g_path, seed=1)
    assert again["classes"]["g"]["metrics"] == same["classes"]["g"]["metrics"]
    assert again["classes"]["g"]["reference_cache"] == {"features": "hit", "floor": "hit"}
    other = evaluate(samples.gen_g_path, seed=2, cache=False)
    assert other["classes"]["g"]["metrics"]["w1m"] != same["classes"]["g"]["metrics"]["w1m"]
    assert other["classes"]["g"]["reference_cache"]["features"] == "computed"


def test_cache_lives_in_jetgen_cache_dir(same, tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "cache" / "eval"
    assert same["settings"]["cache"] == str(root)
    assert list(root.glob("*.npz")) and list(root.glob("*.json"))


def test_fpnd_jets_extends_cached_activations(samples, tmp_path):
    """A run with fewer FPND jets caches a prefix; a later full run adds only the rest and
    matches an uncached run."""
    few = evaluate(samples.gen_g_path, n_jets=100, fpnd_jets=40, cache=tmp_path)
    full = evaluate(samples.gen_g_path, n_jets=100, cache=tmp_path)
    fresh = evaluate(samples.gen_g_path, n_jets=100, cache=False)
    assert few["classes"]["g"]["fpnd_jets"] == 40
    assert full["classes"]["g"]["reference_cache"]["features"] == "hit"
    for key in ("fpnd_ref", "w1m", "kpd"):
        got, want = full["classes"]["g"]["metrics"][key], fresh["classes"]["g"]["metrics"][key]
        assert got["value"] == pytest.approx(want["value"], rel=1e-5)
        assert got["floor"] == pytest.approx(want["floor"], rel=1e-5)


def test_in_memory_jets_and_jetnet_stored_fpnd(samples, tmp_path, write_jets):
    ref = write_jets(tmp_path / "jetnet_g.h5", samples.ref_g, {"dataset": "JetNet"})
    out = evaluate(samples.gen_g, ref, n_jets=60, fpnd_jets=60, seed=0, cache=tmp_path)
    metrics = out["classes"]["g"]["metrics"]
    assert out["classes"]["g"]["n_jets"] == 60
    assert metrics["fpnd_jetnet"]["value"] > 0
    assert out["settings"]["jetnet_fpnd"] is True


def test_training_data_reference_uses_test_split(samples, tmp_path, write_jets):
    ref = write_jets(tmp_path / "train.h5", samples.ref_g, {"kind": "training data"})
    out = evaluate(samples.gen_g, ref, n_jets=20, fpnd_jets=0, cache=False)
    assert out["reference"]["split"] == "test"
    assert "test split" in out["reference"]["note"]
    assert out["classes"]["g"]["n_reference_available"] == round(0.15 * 2 * samples.n)
    assert "fpnd_ref" not in out["classes"]["g"]["metrics"]


def test_adherence_from_constituents(samples):
    """Conditions equal to the constituent sums → zero offset; real jets' recorded
    kinematics → the truth floor's offset (30 constituents carry less than the jet)."""
    from jetgen.evaluation.adherence import adherence, constituent_kinematics

    gen = samples.gen_g
    pt, mass = constituent_kinematics(gen)
    exact = Jets(gen.particles, gen.mask, gen.jet, gen.jet_type,
                 {"cond_pt": pt.astype(np.float32), "cond_mass": mass.astype(np.float64)})
    result = adherence(exact, samples.ref_g)
    assert abs(result["pt"]["model"]["mean"]) < 1e-6 and result["pt"]["model"]["std"] < 1e-6
    assert abs(result["mass"]["model"]["mean"]) < 1e-5
    assert -0.3 < result["pt"]["floor"]["mean"] < 0.0
    assert adherence(samples.gen_g) is None


def test_report_and_json(same, tmp_path):
    from rich.console import Console

    console = Console(record=True, width=120)
    render(same, console)
    text = console.export_text()
    assert "truth floor" in text and "W1EFP" in text and "×10⁻⁴" in text
    path = tmp_path / "out.json"
    write_json(same, path)
    data = json.loads(path.read_text())
    assert data["classes"]["g"]["metrics"]["w1m"]["value"] == pytest.approx(
        same["classes"]["g"]["metrics"]["w1m"]["value"])


def test_cached_floor_is_keyed_by_metric_code_and_library_versions(samples, tmp_path,
                                                                    monkeypatch):

    from rich.console import Console

    from jetgen.evaluation import cache

    def run():
        out = evaluate(samples.gen_g_path, n_jets=60, fpnd_jets=0, seed=3, cache=tmp_path)
        console = Console(record=True, width=200)
        render(out, console)
        return out["classes"]["g"]["reference_cache"]["floor"], console.export_text()

    note = "truth floor from the cache"
    floor, text = run()
    assert floor == "computed" and note not in text
    floor, text = run()
    assert floor == "hit" and note in text
    monkeypatch.setattr(np, "__version__", np.__version__ + ".other")
    assert run()[0] == "computed"  # another numpy: the floor is recomputed
    assert run()[0] == "hit"
    edited = tmp_path / "metric_code.py"
    edited.write_text("x = 1\n")
    sources = cache.metric_sources()
    monkeypatch.setattr(cache, "metric_sources", lambda: [*sources, edited])
    assert run()[0] == "computed"
    edited.write_text("x = 12\n")  # an edited metric module
    assert run()[0] == "computed"
    versions = cache.code_versions()
    assert set(versions) >= {"jetgen_metrics", "numpy", "scipy", "torch"}
    assert "jetnet" not in versions  # jetgen computes the metrics itself
    monkeypatch.setattr(cache, "METRIC_LIBRARIES", (*cache.METRIC_LIBRARIES, "no_such_lib"))
    assert cache.code_versions()["no_such_lib"] == "absent"


# --- bad input: one clear line each -------------------------------------------------


def _one_line(err: Exception) -> str:
    text = str(err)
    assert "\n" not in text and text
    return text


def test_mismatched_particle_counts(samples):
    short = samples.ref_g
    ref20 = Jets(short.particles[:, :20], short.mask[:, :20], short.jet, short.jet_type)
    with pytest.raises(JetgenError) as err:
        evaluate(samples.gen_g, ref20, cache=False)
    assert "mismatched particle counts" in _one_line(err.value)
    with pytest.raises(JetgenError, match="not --particles 150"):
        evaluate(samples.gen_g, samples.ref_g, n_particles=150, cache=False)


def test_no_jets_of_requested_class(samples):
    with pytest.raises(JetgenError) as err:
        evaluate(samples.gen_g_path, classes=["top"], cache=False)
    assert "has no top (t) jets; it holds: g" in _one_line(err.value)
    tops = Jets(samples.gen_t.particles, samples.gen_t.mask, samples.gen_t.jet,
                np.full(samples.n, 2, np.int32))
    with pytest.raises(JetgenError) as err:
        evaluate(tops, samples.ref_path, cache=False)
    assert "has 0 top (t) jets" in _one_line(err.value)


@pytest.mark.parametrize("where", ["particle", "jet", "condition"])
def test_nan_in_features(samples, where):
    g = samples.gen_g[:50]
    particles, jet = g.particles.copy(), g.jet.copy()
    extra = {"cond_pt": g.jet[:, 0].copy()}
    if where == "particle":
        particles[7, 3, 1] = np.nan
    elif where == "jet":
        jet[7, 2] = np.inf
    else:
        extra["cond_pt"][7] = np.nan
    bad = Jets(particles, g.mask, jet, g.jet_type, extra)
    with pytest.raises(JetgenError) as err:
        evaluate(bad, samples.ref_path, cache=False)
    assert "1 jet(s) have NaN or infinite features (first: jet 7)" in _one_line(err.value)


def test_missing_reference_says_what_to_pass(samples, tmp_path, write_jets):
    lonely = write_jets(tmp_path / "lonely.h5", samples.gen_g, {"kind": "generated"})
    with pytest.raises(UsageError) as err:
        evaluate(lonely)
    assert "--reference" in _one_line(err.value)
    gone = write_jets(tmp_path / "gone.h5", samples.gen_g,
                 {"reference": {"path": str(tmp_path / "nope.h5")}})
    with pytest.raises(JetgenError, match=r"nope\.h5 .* not found; pass it with --reference"):
        evaluate(gone)
