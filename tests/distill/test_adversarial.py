"""The adversarial stage on a tiny one-step model and real Pythia jets."""

import json

import numpy as np
import pytest
import torch

from jetgen.cli.main import main
from jetgen.config import TrainConfig
from jetgen.data.pythia import generate_block
from jetgen.distill.adversarial import AdversarialSettings
from jetgen.distill.methods import distill
from jetgen.distill.observables import NAMES, observables
from jetgen.distill.validated import StageValidation
from jetgen.evaluation.substructure import substructure
from jetgen.io.hdf5 import HDF5Writer
from jetgen.models.checkpoint import read_model


@pytest.fixture(scope="module")
def top_file(tmp_path_factory):
    """160 real top jets: a validation split of 24, enough for two halves of 10."""
    path = tmp_path_factory.mktemp("adv") / "t30.h5"
    with HDF5Writer(path, 30, {"kind": "training data"}) as writer:
        writer.write(generate_block("t", 160, 30, 21)[0])
    return path


def run(one_step_model, top_file, out, steps):
    train = TrainConfig(lr=1e-3, batch_size=32, total_steps=steps, warmup_steps=1,
                        checkpoint_every=10, val_every=10)
    settings = AdversarialSettings(disc_warmup=3, disc_dim=16, disc_depth=1, disc_lr=3e-3)
    return distill(out, method="adversarial", teacher=str(one_step_model), data=[top_file],
                   train=train, adversarial=settings, validation=StageValidation(val_jets=10))


def records(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_generator_moves_and_discriminator_learns(one_step_model, top_file, tmp_path):
    out = tmp_path / "adv"
    best = run(one_step_model, top_file, out, 20)
    log = records(out)
    assert [r["step"] for r in log] == list(range(1, 21))
    # Before the warm-up ends only the critic learns: the generator stays on its anchor.
    assert all(r["anchor_mse"] == 0 for r in log[:3])
    assert log[-1]["anchor_mse"] > 1e-6 and log[-1]["particle_loss"] != log[3]["particle_loss"]
    assert all(0 <= r["disc_accuracy"] <= 1 for r in log)
    # Barely trained one-step jets against real tops: the critic tells them apart.
    assert np.mean([r["disc_accuracy"] for r in log[-4:]]) > 0.7
    history = json.loads((out / "validation.json").read_text())["history"]
    assert [h["step"] for h in history] == [0, 10, 20]
    assert set(history[0]["classes"]["t"]) == {"mass", "tau21", "tau32", "d2", "fpnd_ref"}
    assert (out / "validation.csv").read_text().startswith("step,score,t_mass_ratio")
    assert (out / "validation.png").stat().st_size > 0
    student, meta = read_model(best)
    assert meta["distillation"]["method"] == "adversarial" and student.config.steps == 1
    start = read_model(one_step_model)[0]
    pairs = zip(student.particle.state_dict().values(), start.particle.state_dict().values(),
                strict=True)
    moved = any(not torch.equal(a, b) for a, b in pairs)
    assert moved and all(torch.equal(a, b) for a, b in zip(
        student.jet.state_dict().values(), start.jet.state_dict().values(), strict=True))


def test_resume_continues_the_run_and_its_critic(one_step_model, top_file, tmp_path):
    out = tmp_path / "adv"
    run(one_step_model, top_file, out, 10)
    critic = (out / "discriminator.safetensors").read_bytes()
    run(one_step_model, top_file, out, 20)
    assert [r["step"] for r in records(out)] == list(range(1, 21))
    history = json.loads((out / "validation.json").read_text())["history"]
    assert [h["step"] for h in history] == [0, 10, 20]
    assert (out / "discriminator.safetensors").read_bytes() != critic


def test_observables_match_the_evaluation_and_carry_gradients(top_file):
    from jetgen.io import read_jets

    jets = read_jets(top_file)
    p = torch.from_numpy(jets.particles).requires_grad_(True)
    obs = observables(p, torch.from_numpy(jets.mask))
    assert obs.shape == (len(jets), len(NAMES))
    ref = substructure(jets.particles, jets.mask)
    for name in ("tau21", "tau32"):
        assert np.corrcoef(obs[:, NAMES.index(name)].detach(), ref[name])[0, 1] > 0.98
    assert np.allclose(obs[:, NAMES.index("log_d2")].detach().exp(), ref["d2"], rtol=1e-3)
    obs.sum().backward()
    # Padded particles never matter.
    assert torch.isfinite(p.grad).all() and (p.grad[~torch.from_numpy(jets.mask)] == 0).all()


def test_multistep_teacher_is_one_line(tiny_model, top_file, tmp_path, capsys):
    code = main(["distill", "--method", "adversarial", "--teacher", str(tiny_model),
                 "--data", str(top_file), "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "one-step student" in err
