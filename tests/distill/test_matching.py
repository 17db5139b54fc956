"""Distribution matching (DMD2) in the adversarial stage: the gradient it gives, the fake
score it trains, and the stage run with it."""

import json

import pytest
import torch

from jetgen.cli.main import main
from jetgen.config import TrainConfig
from jetgen.distill.adversarial import AdversarialSettings
from jetgen.distill.common import one_step_sample
from jetgen.distill.matching import DistributionMatching
from jetgen.distill.methods import distill
from jetgen.distill.validated import StageValidation
from jetgen.models.checkpoint import read_model
from jetgen.objective import Tensors


@pytest.fixture(scope="module")
def batch(tiny_model, pythia_file):
    from jetgen.io import read_jets

    model = read_model(tiny_model)[0]
    jets = read_jets(pythia_file)[::8]
    return Tensors.from_jets(model, jets).batch(torch.arange(20), "cpu")


def test_no_gradient_while_the_fake_score_is_the_teacher(tiny_model, one_step_model, batch):
    teacher, student = read_model(tiny_model)[0], read_model(one_step_model)[0]
    _, mask, _, jet, jet_type = batch
    dm = DistributionMatching(teacher, student, lr=1e-3, updates=1)
    noise = torch.randn((*mask.shape, 3), generator=torch.Generator().manual_seed(0))
    x = one_step_sample(student, noise * mask[..., None], mask, batch[2])
    xt, cond = dm.inputs(x, mask, jet, jet_type)
    # Same standardiser: the map into the teacher's space is the identity.
    assert torch.allclose(xt, x * mask[..., None])
    loss = dm.loss(xt, mask, cond, torch.Generator().manual_seed(1))
    assert loss.shape == (20,) and float(loss.detach().abs().max()) == 0.0
    # Once the fake score has learnt the student's jets it differs from the teacher's,
    # and the loss's gradient reaches the student's weights.
    for _ in range(5):
        dm.update_fake(xt, mask, cond, torch.Generator().manual_seed(2))
    loss = dm.loss(xt, mask, cond, torch.Generator().manual_seed(1))
    assert float(loss.detach().mean()) > 0 and dm.stats["dm_grad"] > 0
    loss.mean().backward()
    grads = [p.grad for p in student.particle.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)
    assert all(p.grad is None for p in teacher.particle.parameters())


def test_map_into_another_teachers_space_is_exact(tiny_model, one_step_model, pythia_file):
    from jetgen.io import read_jets

    teacher, student = read_model(tiny_model)[0], read_model(one_step_model)[0]
    s = student.standardiser
    s.particle_mean = [m + 0.3 for m in s.particle_mean]
    s.particle_std = [v * 1.7 for v in s.particle_std]
    jets = read_jets(pythia_file)[:30]
    p, mask = torch.from_numpy(jets.particles), torch.from_numpy(jets.mask)
    jet, jet_type = torch.from_numpy(jets.jet).float(), torch.from_numpy(jets.jet_type).long()
    dm = DistributionMatching(teacher, student, lr=1e-3, updates=1)
    xt, cond = dm.inputs(s.particles_to_model(p, mask), mask, jet, jet_type)
    # The same physical jets, in the teacher's own space and with its own conditioning.
    assert torch.allclose(xt, teacher.standardiser.particles_to_model(p, mask), atol=1e-5)
    assert torch.equal(cond, teacher.particle_cond(jet_type, jet))


def _run(out, one_step_model, tiny_model, data, steps):
    train = TrainConfig(lr=1e-3, batch_size=16, total_steps=steps, warmup_steps=1,
                        checkpoint_every=3, val_every=3)
    settings = AdversarialSettings(disc_warmup=1, disc_dim=16, disc_depth=1, dm_weight=1.0,
                                   anchor_weight=0.0, fake_lr=1e-3)
    return distill(out, method="adversarial", teacher=str(one_step_model), data=[data],
                   train=train, adversarial=settings, score_teacher=str(tiny_model),
                   validation=StageValidation(val_jets=10))


def test_stage_with_matching_trains_resumes_and_records(one_step_model, tiny_model, tmp_path,
                                                        tg_file):
    out = tmp_path / "dmd"
    _run(out, one_step_model, tiny_model, tg_file, 3)
    fake = (out / "fake_score.safetensors").read_bytes()
    best = _run(out, one_step_model, tiny_model, tg_file, 6)
    log = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 7))
    assert all(r["fake_score_loss"] > 0 and "dm_loss" in r for r in log)
    assert log[-1]["dm_loss"] > 0  # the fake score has moved off the teacher's
    assert (out / "fake_score.safetensors").read_bytes() != fake
    meta = read_model(best)[1]
    assert meta["score_teacher"] == str(tiny_model)
    assert meta["distillation"]["adversarial"]["dm_weight"] == 1.0


def test_score_teacher_must_be_a_multistep_teacher(one_step_model, tmp_path, capsys,
                                                   pythia_file):
    base = ["distill", "--method", "adversarial", "--teacher", str(one_step_model),
            "--data", str(pythia_file), "-o", str(tmp_path / "x"), "--dm-weight", "1"]
    assert main(base) == 2
    assert "needs --score-teacher" in capsys.readouterr().err
    assert main([*base, "--score-teacher", str(one_step_model)]) in (1, 2)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot be the score teacher" in err
