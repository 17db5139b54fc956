"""150 constituents end to end (#26): every command takes a 150-particle model or file,
driven by the model's config and the file's shape, with tiny models trained on real Pythia
jets. Mixed sizes (30 vs 150) are refused with one line that says why."""

from __future__ import annotations

import json

import numpy as np
import pytest

import jetgen
from jetgen.cli.main import main
from jetgen.config import ModelConfig, NetConfig, for_particles
from jetgen.data.pythia import generate_block
from jetgen.errors import JetgenError
from jetgen.io import read_jets
from jetgen.io.hdf5 import HDF5Writer
from jetgen.jets import Jets
from jetgen.models.checkpoint import read_model

P = 150
#: Sampler settings the tests share: the particle model in 4 steps (so progressive
#: distillation with --factor 4 reaches one step), the jet-level model already one-step
#: (so every distilled student exports to ONNX).
TEACHER_TOML = """
[model]
sampler = "heun"
steps = 4
jet_sampler = "euler"
jet_steps = 1
jet_schedule = "karras_student"

[model.jet_net]
dim = 32
depth = 2

[train]
batch_size = 32
warmup_steps = 2
checkpoint_every = 3
val_every = 3
val_jets = 24
lr = 2e-3
"""
STUDENT_NET = '[model.net]\nkind = "epic"\ndim = 16\ndepth = 1\nglobal_dim = 8\n'


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture(scope="session")
def data150(tmp_path_factory):
    """Real 150-constituent training data: 140 top + 140 gluon Pythia jets (a validation
    split of 21 per class: the adversarial stage's physics validation needs 20)."""
    jets = Jets.concatenate([generate_block("t", 140, P, 21)[0],
                             generate_block("g", 140, P, 22)[0]])
    path = tmp_path_factory.mktemp("data150") / "tg150.h5"
    with HDF5Writer(path, P, {"kind": "training data"}) as writer:
        writer.write(jets)
    return path


@pytest.fixture(scope="session")
def teacher_toml(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg150") / "teacher.toml"
    path.write_text(TEACHER_TOML)
    return path


@pytest.fixture(scope="session")
def teacher150(data150, teacher_toml, tmp_path_factory):
    """`jetgen train` on the 150-particle file with a config naming neither the particle
    count nor the network: both must come from the file."""
    out = tmp_path_factory.mktemp("teacher150")
    assert main(["train", "--data", str(data150), "-o", str(out), "-c", str(teacher_toml),
                 "--steps", "4"]) == 0
    return out / "ema.safetensors"


@pytest.fixture(scope="session")
def one_step150(teacher150, data150, tmp_path_factory):
    """Progressive distillation 4 → 1 step of the 150-particle teacher."""
    out = tmp_path_factory.mktemp("prog150")
    assert main(["distill", "--method", "progressive", "--factor", "4", "--teacher-steps", "4",
                 "--teacher", str(teacher150), "--data", str(data150), "-o", str(out),
                 "--train-steps", "2", "--batch-size", "16"]) == 0
    (student,) = out.glob("round*-1steps/ema.safetensors")
    return student


def test_default_network_beyond_30_particles_is_epic():
    assert for_particles(ModelConfig(), 30) == ModelConfig()
    fitted = for_particles(ModelConfig(), P)
    assert fitted.n_particles == P and fitted.net.kind == "epic"
    named = ModelConfig(net=NetConfig(kind="transformer", dim=32))
    assert for_particles(named, P).net == named.net  # a network the config names is kept
    with pytest.raises(JetgenError, match="holds 30-particle jets, the model is configured "
                                          "for 150"):
        for_particles(ModelConfig(n_particles=P), 30)


def test_train_takes_the_particle_count_from_the_file(teacher150):
    model, meta = read_model(teacher150)
    assert model.config.n_particles == P and model.config.net.kind == "epic"
    assert model.config.net == NetConfig(kind="epic")
    assert meta["standardiser"]["n_particles"] == P


def test_dry_run_shows_the_config_the_file_gives(data150, tmp_path, capsys):
    assert main(["train", "--data", str(data150), "-o", str(tmp_path / "r"), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "n_particles = 150" in printed and 'kind = "epic"' in printed


def test_train_refuses_mixed_sizes_in_one_line(data150, pythia_file, tmp_path, capsys):
    assert main(["train", "--data", str(data150), "--data", str(pythia_file), "-o",
                 str(tmp_path / "r"), "--steps", "1"]) == 1
    line = one_line_error(capsys)
    assert "30-particle jets" in line and "configured for 150" in line


def test_sample_info_and_api_at_150(teacher150, tmp_path, capsys):
    out = tmp_path / "t.h5"
    assert main(["sample", "--model", str(teacher150), "--jet", "t", "--n", "40", "-o",
                 str(out)]) == 0
    jets = read_jets(out)
    assert jets.particles.shape == (40, P, 3) and jets.n_particles == P
    n = jets.mask.sum(1)
    assert (n == jets.jet[:, 3]).all() and n.max() <= P
    assert (jets.particles[~jets.mask] == 0).all()
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    assert "40 jets, 150 particles per jet" in capsys.readouterr().out
    same = jetgen.sample(jet="t", n=40, model=str(teacher150))
    assert np.array_equal(same.particles, jets.particles)


def test_conditions_of_150_particle_jets(teacher150, data150, tmp_path):
    out = tmp_path / "c.h5"
    assert main(["sample", "--model", str(teacher150), "--conditions", str(data150), "-o",
                 str(out)]) == 0
    given, jets = read_jets(data150), read_jets(out)
    assert jets.particles.shape == (len(given), P, 3)
    # Real top jets have more than 30 constituents: the given n is kept, not cut to 30.
    assert given.jet[:, 3].max() > 30
    assert np.array_equal(jets.mask.sum(1), given.jet[:, 3].astype(int))
    assert np.array_equal(jets.jet_type, given.jet_type)


def test_shards_merge_to_the_unsharded_run_and_mixed_sizes_are_refused(
        teacher150, tiny_model, tmp_path, capsys):
    common = ["sample", "--model", str(teacher150), "--jet", "t", "--jet", "g", "--n", "150",
              "--steps", "1", "--sampler", "euler"]
    for i in (0, 1):
        assert main([*common, "--shard", f"{i}/2", "-o", str(tmp_path / f"s{i}.h5")]) == 0
    assert main([*common, "-o", str(tmp_path / "whole.h5")]) == 0
    assert main(["merge", str(tmp_path / "s0.h5"), str(tmp_path / "s1.h5"), "-o",
                 str(tmp_path / "merged.h5")]) == 0
    merged, whole = read_jets(tmp_path / "merged.h5"), read_jets(tmp_path / "whole.h5")
    assert merged.n_particles == P and len(merged) == 300
    assert np.array_equal(merged.particles, whole.particles)
    assert np.array_equal(merged.jet, whole.jet)
    # Shard 1/2 of a 30-particle run of the same size beside shard 0/2 of the 150 run.
    assert main(["sample", "--model", str(tiny_model), "--jet", "t", "--jet", "g", "--n", "150",
                 "--steps", "1", "--sampler", "euler", "--shard", "1/2", "-o",
                 str(tmp_path / "s30.h5")]) == 0
    capsys.readouterr()
    assert main(["merge", str(tmp_path / "s0.h5"), str(tmp_path / "s30.h5"), "-o",
                 str(tmp_path / "mixed.h5")]) == 1
    line = one_line_error(capsys)
    assert "150-particle jets" in line and "30-particle jets" in line
    assert not (tmp_path / "mixed.h5").exists()


# A 4-step model's jets are near-degenerate: scipy's sqrtm warns that Σ_gen Σ_ref is
# singular, and FPD takes pytorch-fid's ridge fallback (physics_distances.py), as at 30.
@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_eval_at_150_names_fpnd_on_the_leading_30(teacher150, data150, pythia_file, tmp_path,
                                                 capsys):
    gen = tmp_path / "t.h5"
    assert main(["sample", "--model", str(teacher150), "--jet", "t", "--n", "60", "-o",
                 str(gen)]) == 0
    report = tmp_path / "e.json"
    capsys.readouterr()
    assert main(["eval", str(gen), "-r", str(data150), "--reference-split", "all",
                 "--bootstrap", "2", "--no-cache", "--json", str(report)]) == 0
    printed = capsys.readouterr().out
    # The table may wrap the label at 80 columns: "FPND_ref" / "(leading 30)".
    assert "(leading 30)" in printed
    result = json.loads(report.read_text())
    assert result["settings"]["n_particles"] == P
    top = result["classes"]["t"]
    assert top["n_jets"] == 60  # the floor: two halves of 60 of the 140 reference top jets
    metrics = top["metrics"]
    for key in ("w1m", "w1p", "w1efp", "fpd", "kpd", "fpnd_ref", "w1_tau21", "w1_tau32",
                "w1_d2"):
        assert np.isfinite(metrics[key]["value"]) and np.isfinite(metrics[key]["floor"]), key
    assert metrics["fpnd_ref"]["label"] == "FPND_ref (leading 30)"
    assert "label" not in metrics["w1m"]
    # 30-particle jets against the 150-particle reference: refused, saying why.
    assert main(["eval", str(pythia_file), "-r", str(data150), "--no-cache"]) == 1
    line = one_line_error(capsys)
    assert "30-particle jets" in line and "150-particle jets" in line


def test_score_at_150(teacher150, data150, tmp_path):
    out = tmp_path / "scores.h5"
    assert main(["score", str(data150), "-o", str(out), "--model", str(teacher150), "--jet",
                 "t", "--n", "6", "--steps", "2", "--hutchinson", "1"]) == 0
    from jetgen.score.table import read_table

    columns, _ = read_table(out)
    given = read_jets(data150)
    rows = np.flatnonzero(given.jet_type == 2)[:6]
    assert np.array_equal(columns["n_particles"], given.mask[rows].sum(1))
    assert columns["n_particles"].max() > 30 and np.isfinite(columns["logp"]).all()


@pytest.mark.parametrize("method", ["consistency", "compress"])
def test_distill_at_150(method, teacher150, data150, tmp_path):
    student_toml = tmp_path / "student.toml"
    student_toml.write_text(STUDENT_NET)
    out = tmp_path / method
    extra = ["--student-config", str(student_toml)] if method == "compress" else []
    assert main(["distill", "--method", method, "--teacher", str(teacher150), "--data",
                 str(data150), "-o", str(out), "--train-steps", "2", "--batch-size", "16",
                 *extra]) == 0
    student, _ = read_model(out / "ema.safetensors")
    assert student.config.n_particles == P
    assert main(["sample", "--model", str(out / "ema.safetensors"), "--jet", "g", "--n", "8",
                 "-o", str(tmp_path / "s.h5")]) == 0
    assert read_jets(tmp_path / "s.h5").particles.shape == (8, P, 3)


def test_progressive_then_adversarial_at_150(one_step150, data150, tmp_path):
    student, _ = read_model(one_step150)
    assert student.config.n_particles == P and student.config.steps == 1
    out = tmp_path / "adv"
    assert main(["distill", "--method", "adversarial", "--teacher", str(one_step150), "--data",
                 str(data150), "-o", str(out), "--train-steps", "2", "--batch-size", "16",
                 "--val-every", "2", "--val-jets", "10"]) == 0
    adv, _ = read_model(out / "ema.safetensors")
    assert adv.config.n_particles == P


def test_export_at_150_runs_in_onnxruntime_as_in_torch(one_step150, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    from jetgen.export.runtime import graph_feed
    from jetgen.sampling.batch import generate_batch
    from jetgen.sampling.seeds import jet_seeds

    onnx = tmp_path / "m.onnx"
    assert main(["export", str(one_step150), "-o", str(onnx)]) == 0
    assert "input.particle_noise: float32 [batch,150,3]" in capsys.readouterr().out
    seeds, jet_type = jet_seeds(3, np.arange(32)), np.arange(32) % 5
    constituents, mask, jet = ort.InferenceSession(str(onnx)).run(
        None, graph_feed(jet_type, seeds, P))
    model, _ = read_model(one_step150)
    c = model.config
    ref = generate_batch(model, jet_type, seeds, sampler=c.sampler, steps=c.steps,
                         schedule=c.schedule, precision="fp32")
    assert constituents.shape == (32, P, 3)
    np.testing.assert_array_equal(mask, ref.mask)
    np.testing.assert_allclose(jet[:, :3], ref.jet[:, :3], rtol=1e-4, atol=1e-5)
    # The graph's sort and torch's may order constituents of equal pT_rel differently (an
    # untrained model gives such ties): compare each jet's constituents ordered by η_rel.
    for a, b in zip(constituents, ref.particles, strict=True):
        np.testing.assert_allclose(a[np.lexsort(a.T[::-1])], b[np.lexsort(b.T[::-1])],
                                   rtol=0, atol=1e-4)


@pytest.fixture(scope="module")
def sampled150(teacher150, tmp_path_factory):
    """300 top and 300 gluon jets of the 150-particle teacher (one Euler step: fast)."""
    out = tmp_path_factory.mktemp("sampled150") / "tg.h5"
    assert main(["sample", "--model", str(teacher150), "--jet", "t", "--jet", "g", "--n", "300",
                 "--steps", "1", "--sampler", "euler", "-o", str(out)]) == 0
    return out


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # as in the eval test above
def test_eval_streams_a_file_in_blocks_with_the_same_numbers(sampled150, data150, monkeypatch):
    from jetgen.evaluation import inputs
    from jetgen.evaluation.pipeline import evaluate

    settings = {"n_jets": 40, "classes": ["t"], "reference_split": "all", "bootstrap": 2,
                "fpnd_jets": 0, "cache": False}
    whole = evaluate(read_jets(sampled150), data150, **settings)  # in memory: no streaming
    # Blocks of 7 jets: the 40 of 300 top jets the pipeline draws come from many blocks.
    monkeypatch.setattr(inputs, "BLOCK_PARTICLES", 7 * P)
    streamed = evaluate(sampled150, data150, **settings)
    assert streamed["classes"]["t"]["n_generated_available"] == 300
    assert streamed["classes"]["t"]["metrics"] == whole["classes"]["t"]["metrics"]


def test_streamed_eval_still_refuses_nan_outside_the_jets_it_keeps(sampled150, data150,
                                                                 tmp_path, monkeypatch, capsys):
    from jetgen.evaluation import inputs

    jets = read_jets(sampled150)
    jets.particles[437, 0, 0] = np.nan  # a gluon jet; only top jets are evaluated
    bad = tmp_path / "bad.h5"
    with HDF5Writer(bad, P, {"kind": "generated", "n_particles": P}) as writer:
        writer.write(jets)
    monkeypatch.setattr(inputs, "BLOCK_PARTICLES", 50 * P)
    assert main(["eval", str(bad), "-r", str(data150), "--jet", "t", "-n", "5",
                 "--no-cache"]) == 1
    assert one_line_error(capsys).endswith("1 jet(s) have NaN or infinite features (first: "
                                           "jet 437)")


def test_root_round_trip_at_150_across_basket_flushes(data150, tmp_path, monkeypatch):
    from jetgen.io import open_writer, particles_in, root

    jets = read_jets(data150)
    # 20 jets per basket here (4,000 at 150 by default, 20,000 at 30): several flushes.
    monkeypatch.setattr(root, "FLUSH_PARTICLES", 100 * 30)
    out = tmp_path / "j.root"
    with open_writer(out, P, {"kind": "test"}) as writer:
        assert writer.flush_jets == 20
        for lo in range(0, len(jets), 70):
            writer.write(jets[lo:lo + 70])
    back = read_jets(out)
    assert particles_in(out) == P and back.n_particles == P
    assert np.array_equal(back.particles, jets.particles) and np.array_equal(back.jet, jets.jet)
    assert np.array_equal(back.mask, jets.mask)
