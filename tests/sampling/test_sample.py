"""Sampling a trained (tiny) model to files, through the library and the CLI."""

import numpy as np
import pytest

from jetgen.cli.main import main
from jetgen.io import read_jets, read_provenance
from jetgen.sampling.run import sample_to_file
from jetgen.sampling.seeds import jet_seeds


def test_same_seed_same_jets_whatever_the_batch_size(tiny_model, tmp_path):
    outputs = []
    for batch_size in (7, 64):
        path = tmp_path / f"b{batch_size}.h5"
        sample_to_file(path, model=str(tiny_model), classes=[0, 2], n=150, seed=42,
                       batch_size=batch_size, steps=2)
        outputs.append(read_jets(path))
    a, b = outputs
    assert np.array_equal(a.particles, b.particles) and np.array_equal(a.jet, b.jet)
    assert np.array_equal(a.extra["jet_seed"], jet_seeds(42, np.arange(300)))


@pytest.mark.parametrize("seeds", [(0, 1), (1, 2)])
def test_neighbouring_seeds_share_no_jet(tiny_model, tmp_path, seeds):
    runs = []
    for seed in seeds:
        path = tmp_path / f"s{seed}.h5"
        sample_to_file(path, model=str(tiny_model), classes=[2], n=2000, seed=seed, steps=1,
                       sampler="euler", batch_size=2000)
        runs.append(read_jets(path))
    a, b = runs
    assert not set(a.extra["jet_seed"].tolist()) & set(b.extra["jet_seed"].tolist())
    # No jet of one run appears anywhere in the other (not merely shifted by one).
    rows_a = {row.tobytes() for row in a.particles.reshape(len(a), -1)}
    rows_b = {row.tobytes() for row in b.particles.reshape(len(b), -1)}
    assert len(rows_a) == len(a) and not rows_a & rows_b


def test_negative_and_huge_seeds(tiny_model, tmp_path, capsys):
    common = ["sample", "--model", str(tiny_model), "--jet", "t", "--n", "10", "--steps", "1"]
    assert main([*common, "--seed", "-5", "-o", str(tmp_path / "neg.h5")]) == 0
    assert len(read_jets(tmp_path / "neg.h5")) == 10
    capsys.readouterr()
    assert main([*common, "--seed", str(2**70), "-o", str(tmp_path / "huge.h5")]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not fit 64 bits" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "huge.h5").exists()


def test_bf16_precision_is_batch_size_invariant_and_close_to_fp32(tiny_model, tmp_path):
    runs = {}
    for precision, batch_size in (("bf16", 7), ("bf16", 64), ("fp32", 64)):
        path = tmp_path / f"{precision}-{batch_size}.h5"
        sample_to_file(path, model=str(tiny_model), classes=[2], n=40, seed=5, steps=2,
                       batch_size=batch_size, precision=precision)
        runs[precision, batch_size] = read_jets(path)
    low, high = runs["bf16", 64], runs["fp32", 64]
    assert np.array_equal(runs["bf16", 7].particles, low.particles)
    assert read_provenance(tmp_path / "bf16-64.h5")["precision"] == "bf16"
    # Same jets (the fp32 jet-level model sets the same multiplicities), not the same bits.
    assert np.array_equal(low.mask, high.mask) and not np.array_equal(low.particles,
                                                                      high.particles)
    assert np.allclose(summed_pt(low), summed_pt(high), rtol=0.05, atol=0.02)


def summed_pt(jets) -> np.ndarray:
    return np.where(jets.mask, jets.particles[..., 2], 0).sum(1)


def test_sampled_jets_are_in_jetnet_form(tiny_model, tmp_path):
    path = tmp_path / "jets.h5"
    sample_to_file(path, model=str(tiny_model), classes=[2], n=30, steps=2, sampler="euler")
    jets = read_jets(path)
    assert len(jets) == 30 and (jets.jet_type == 2).all()
    pt = np.where(jets.mask, jets.particles[..., 2], -1)
    assert (np.diff(pt, axis=1) <= 0).all()
    assert (jets.particles[..., 2][jets.mask] > 0).all()
    assert (np.abs(jets.particles[..., 1]) <= np.pi).all()
    assert (jets.particles[~jets.mask] == 0).all()
    assert (jets.jet[:, 3] == jets.mask.sum(1)).all()
    prov = read_provenance(path)
    assert prov["sampler"] == "euler" and prov["steps"] == 2 and prov["seed"] == 0


def test_conditions_file_sets_class_and_kinematics(tiny_model, pythia_file, tmp_path):
    path = tmp_path / "fastsim.h5"
    sample_to_file(path, model=str(tiny_model), conditions=pythia_file, n=12, steps=2)
    jets, given = read_jets(path), read_jets(pythia_file)[:12]
    assert np.array_equal(jets.jet_type, given.jet_type)
    assert np.allclose(jets.extra["cond_pt"], given.jet[:, 0])
    assert np.allclose(jets.jet[:, 0], given.jet[:, 0])


def test_cli_sample_writes_a_file_and_refuses_to_overwrite(tiny_model, tmp_path, capsys):
    out = tmp_path / "cli.h5"
    args = ["sample", "--model", str(tiny_model), "--jet", "top", "--n", "5", "--steps", "2",
            "-o", str(out)]
    assert main(args) == 0
    assert len(read_jets(out)) == 5
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0]


def test_cli_unknown_class_suggests_the_nearest(tiny_model, tmp_path, capsys):
    code = main(["sample", "--model", str(tiny_model), "--jet", "tpo", "--n", "5", "-o",
                 str(tmp_path / "x.h5")])
    assert code == 2
    assert "did you mean 'top'" in capsys.readouterr().err


def test_auto_precision_follows_a_bf16_student_and_is_recorded(tiny_model, tmp_path):
    import torch

    from jetgen.models.checkpoint import read_model, save_model
    from jetgen.sampling.precision import resolve_precision

    model, meta = read_model(tiny_model)
    model.config.precision = "bf16"
    student = save_model(tmp_path / "student.safetensors", model, metadata={
        k: v for k, v in meta.items() if k not in ("format", "config", "standardiser")})
    expected = resolve_precision("auto", "bf16", torch.device("cpu"))
    for name, chosen in (("auto", expected), ("fp32", "fp32")):
        path = tmp_path / f"{name}.h5"
        summary = sample_to_file(path, model=str(student), classes=[2], n=8, steps=1,
                                 precision=name)
        assert summary["precision"] == chosen
        assert read_provenance(path)["precision"] == chosen
