"""``jetgen eval`` from the command line: table, JSON, plots, one-line errors."""

from __future__ import annotations

import json

import pytest

from jetgen.cli.main import main
from jetgen.data.pythia import generate_block
from jetgen.io.hdf5 import HDF5Writer
from jetgen.jets import Jets


def _write(path, jets, provenance):
    with HDF5Writer(path, jets.n_particles, provenance) as writer:
        writer.write(jets)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 120-gluon reference and 60 generated gluons that point at it in provenance."""
    root = tmp_path_factory.mktemp("cli_eval")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JETGEN_CACHE_DIR", str(root / "cache"))
        ref = _write(root / "ref.h5", Jets.concatenate(
            [generate_block("g", 60, 30, 201)[0], generate_block("g", 60, 30, 202)[0]]),
            {"kind": "reference sample"})
        gen_jets = generate_block("g", 60, 30, 203)[0]
        gen = _write(root / "gen.h5", gen_jets,
                     {"kind": "generated", "reference": {"path": str(ref), "split": "all"}})
        lonely = _write(root / "lonely.h5", gen_jets, {"kind": "generated"})
        yield {"root": root, "ref": ref, "gen": gen, "lonely": lonely}


def test_eval_json_and_plots(files, capsys):
    out, plots = files["root"] / "eval.json", files["root"] / "plots"
    rc = main(["eval", str(files["gen"]), "--jets", "60", "--seed", "3", "--json", str(out),
               "--plots", str(plots)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "truth floor" in captured.out and "W1M" in captured.out
    data = json.loads(out.read_text())
    assert data["settings"]["seed"] == 3 and data["settings"]["n_jets"] == 60
    assert data["reference"]["source"] == str(files["ref"])
    assert data["generated"]["provenance"]["kind"] == "generated"
    w1m = data["classes"]["g"]["metrics"]["w1m"]
    assert w1m["value"] > 0 and w1m["floor"] > 0 and w1m["scale"] == 1e-4
    assert data["units"]["w1efp"] == 1e-6
    assert (plots / "g_jet_mass.png").exists() and (plots / "g_jet_image.pdf").exists()
    assert len(data["plots"]) == 2 * 10


def test_eval_without_reference_is_one_line(files, capsys):
    rc = main(["eval", str(files["lonely"])])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count("\n") == 0 and "--reference" in err and err.startswith("jetgen: error:")


def test_eval_particle_mismatch_is_one_line(files, capsys):
    rc = main(["eval", str(files["gen"]), "--particles", "150"])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and err.count("\n") == 0 and "--particles 150" in err
