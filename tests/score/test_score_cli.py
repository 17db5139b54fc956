"""`jetgen score` end to end: files, provenance, refusals and one-line errors."""

import numpy as np
import pytest

from jetgen.cli.main import main
from jetgen.io import read_jets, read_provenance
from jetgen.score.table import read_table

FAST = ["--steps", "2", "--hutchinson", "1"]


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_cli_writes_a_score_file_and_refuses_to_overwrite(score_model, pythia_file, tmp_path,
                                                          capsys, suffix):
    out = tmp_path / f"scores{suffix}"
    args = ["score", str(pythia_file), "-o", str(out), "--model", str(score_model), "--jet",
            "g", "--n", "5", *FAST]
    assert main(args) == 0
    columns, provenance = read_table(out)
    given = read_jets(pythia_file)
    gluons = np.flatnonzero(given.jet_type == 0)[:5]
    assert np.array_equal(columns["index"], gluons)
    assert (columns["jet_type"] == 0).all()
    assert np.allclose(columns["jet_pt"], given.jet[gluons, 0])
    assert (columns["n_particles"] == given.mask[gluons].sum(1)).all()
    assert np.isfinite(columns["logp"]).all()
    assert np.allclose(columns["logp_per_particle"] * columns["n_particles"], columns["logp"])
    assert provenance == read_provenance(out)
    assert provenance["kind"] == "jet scores" and provenance["method"] == "ode"
    assert provenance["units"] == "nats" and provenance["hutchinson_probes"] == 1
    assert "pT_rel" in provenance["space"] and provenance["model_sha256"]
    assert "wrote scores of 5 jets" in capsys.readouterr().out
    before = out.read_bytes()
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0]
    assert out.read_bytes() == before
    assert main([*args, "--method", "elbo", "--overwrite"]) == 0
    assert read_table(out)[1]["method"] == "elbo"
    assert not list(tmp_path.glob(".*.part"))


def test_cli_reconstruct_writes_both_files_and_plots(score_model, pythia_file, tmp_path,
                                                     capsys):
    out = tmp_path / "recon.h5"
    plots = tmp_path / "plots"
    args = ["score", str(pythia_file), "-o", str(out), "--model", str(score_model), "--n",
            "4", "--reconstruct", "--sampler", "dpmpp_2m", "--steps", "6", "--plots",
            str(plots)]
    assert main(args) == 0
    recon, orig = read_jets(out), read_jets(tmp_path / "recon_originals.h5")
    given = read_jets(pythia_file)[:4]
    assert np.array_equal(orig.particles, given.particles)
    assert np.array_equal(recon.mask.sum(1), given.mask.sum(1))
    assert np.array_equal(recon.extra["source_index"], np.arange(4))
    assert np.array_equal(recon.extra["recon_l1"], orig.extra["recon_l1"])
    assert (recon.extra["recon_l1"] >= 0).all()
    assert (recon.particles[..., 2][recon.mask] > 0).all()
    assert read_provenance(out)["sampler"] == "dpmpp_2m"
    assert {p.name for p in plots.iterdir()} == {"reconstruction_jets.png",
                                                "reconstruction_mean.png"}
    capsys.readouterr()
    assert main(args) == 1
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.parametrize(("extra", "code", "message"), [
    (["--method", "odee"], 2, "did you mean 'ode'"),
    (["--steps", "0"], 2, "--steps"),
    (["--hutchinson", "-1"], 2, "--hutchinson"),
    (["--jet", "w"], 1, "no jets of class"),
    (["--sampler", "heun"], 2, "--reconstruct only"),
    (["--reconstruct", "--sampler", "euler_maruyama"], 2, "stochastic"),
    (["--reconstruct", "--method", "elbo"], 2, "not to --reconstruct"),
    (["--model", "no_such.safetensors"], 1, "no such model file"),
])
def test_cli_errors_are_one_line(score_model, pythia_file, tmp_path, capsys, extra, code,
                                 message):
    args = ["score", str(pythia_file), "-o", str(tmp_path / "s.h5"), "--model",
            str(score_model), "--n", "2", *extra]
    assert main(args) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "s.h5").exists()


def test_help_shows_a_runnable_example(capsys):
    assert main(["score", "--help"]) == 0
    assert "Example: jetgen score top.root --n 100 -o scores.root" in capsys.readouterr().out
