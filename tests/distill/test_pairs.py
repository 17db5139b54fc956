"""Teacher pairs (a `jetgen sample --conditions` file) as regression targets, the
regression method, and the adversarial stage anchored to pairs."""

import json

import numpy as np
import pytest
import torch

from jetgen.cli.main import main
from jetgen.config import TrainConfig
from jetgen.diffusion.samplers import get_sampler
from jetgen.diffusion.schedules import get_sigmas
from jetgen.distill.adversarial import AdversarialSettings
from jetgen.distill.methods import distill
from jetgen.distill.pairs import PairRegression, jetnet_form, read_pairs
from jetgen.distill.validated import StageValidation
from jetgen.errors import JetgenError
from jetgen.jets import CLASSES
from jetgen.models.checkpoint import read_model
from jetgen.sampling.run import sample_to_file


@pytest.fixture(scope="module")
def pairs_file(tiny_model, pythia_file, tmp_path_factory):
    """The tiny multi-step teacher's jets for the kinematics of 160 real jets (t, g)."""
    path = tmp_path_factory.mktemp("pairs") / "pairs.h5"
    sample_to_file(path, model=str(tiny_model), conditions=pythia_file, seed=11,
                   batch_size=64)
    return path


def test_pairs_redraw_the_noise_the_teacher_started_from(tiny_model, pairs_file):
    model = read_model(tiny_model)[0]
    pairs = read_pairs(pairs_file, model)
    assert len(pairs) == 160 and pairs.summary()["steps"] == model.config.steps
    noise, mask, cond, target = pairs.batch(torch.arange(160), "cpu")
    c = model.config
    sigmas = get_sigmas(c.schedule, c.steps, c.sigma_min, c.sigma_max, rho=c.rho)
    with torch.no_grad():
        x = get_sampler(c.sampler)(model.particle, noise * sigmas[0], sigmas,
                                   extra_args={"mask": mask, "cond": cond})
    # Re-running the teacher from the re-drawn noise gives the file's jets once taken
    # through the same round trip (JetNet form: pT_rel clamped to 1, φ wrapped, sorted);
    # float32 features and a log/exp pair make it agree to rounding, not bit for bit.
    assert torch.allclose(jetnet_form(model, x, mask), target, atol=1e-3)
    # A different seed's noise does not.
    other = pairs.batch(torch.arange(1, 161) % 160, "cpu")[0]
    assert not torch.allclose(other, noise, atol=0.1)


def test_regression_loss_vanishes_for_the_model_that_made_the_pairs(one_step_model, pythia_file,
                                                                     tmp_path):
    path = tmp_path / "one-pairs.h5"
    sample_to_file(path, model=str(one_step_model), conditions=pythia_file, n=40, seed=3)
    student = read_model(one_step_model)[0]
    loss = PairRegression(read_pairs(path, student), 16)
    gen = torch.Generator().manual_seed(0)
    nudged = read_model(one_step_model)[0]
    with torch.no_grad():
        weight = next(p for p in nudged.particle.parameters() if p.ndim == 2)
        weight.add_(0.05 * torch.randn(weight.shape, generator=torch.Generator().manual_seed(1)))
        own = loss.mse(student, gen, "cpu")
        other = loss.mse(nudged, torch.Generator().manual_seed(0), "cpu")
    assert own.shape == (16,) and own.max() < 1e-5
    assert other.mean() > 100 * own.mean() + 1e-4


def test_pair_batches_are_class_balanced_and_follow_the_generator(tiny_model, pairs_file):
    pairs = read_pairs(pairs_file, read_model(tiny_model)[0])
    loss = PairRegression(pairs, 30)
    a = loss.draw(torch.Generator().manual_seed(5), "cpu")
    b = loss.draw(torch.Generator().manual_seed(5), "cpu")
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    # The class one-hot leads the conditioning: slot i holds the (i mod 2)-th class present.
    drawn = a[2][:, : len(CLASSES)].argmax(1)
    assert drawn.tolist() == [CLASSES.index("g"), CLASSES.index("t")] * 15
    c = loss.draw(torch.Generator().manual_seed(6), "cpu")
    assert not torch.equal(a[0], c[0])


def test_files_that_are_not_pairs_are_refused(tiny_model, pythia_file, tmp_path):
    model = read_model(tiny_model)[0]
    with pytest.raises(JetgenError, match="not teacher pairs"):
        read_pairs(pythia_file, model)  # real jets
    free = tmp_path / "free.h5"
    sample_to_file(free, model=str(tiny_model), classes=[2], n=5, seed=1)
    with pytest.raises(JetgenError, match="not teacher pairs"):
        read_pairs(free, model)  # no conditions: the jet-level model drew them
    sde = tmp_path / "sde.h5"
    sample_to_file(sde, model=str(tiny_model), conditions=pythia_file, n=5, seed=1,
                   sampler="euler_maruyama")
    with pytest.raises(JetgenError, match="stochastic"):
        read_pairs(sde, model)
    with pytest.raises(JetgenError, match="not found"):
        read_pairs(tmp_path / "missing.h5", model)


def test_pairs_from_several_files_need_their_own_seeds(tiny_model, pythia_file, pairs_file,
                                                       tmp_path):
    model = read_model(tiny_model)[0]
    more = tmp_path / "more.h5"
    sample_to_file(more, model=str(tiny_model), conditions=pythia_file, n=20, seed=12)
    both = read_pairs([pairs_file, more], model)
    assert len(both) == 180 and both.summary()["seed"] == [11, 12]
    assert both.summary()["file"] == [str(pairs_file), str(more)]
    again = tmp_path / "again.h5"
    sample_to_file(again, model=str(tiny_model), conditions=pythia_file, n=20, seed=11)
    with pytest.raises(JetgenError, match="share seeds"):
        read_pairs([pairs_file, again], model)


def _train(steps):
    return TrainConfig(lr=1e-3, batch_size=20, total_steps=steps, warmup_steps=1,
                       checkpoint_every=5, val_every=5)


def test_regression_distils_one_step_onto_the_pairs(tiny_model, pythia_file, tg_file, pairs_file,
                                                     tmp_path):
    out = tmp_path / "reg"
    train = _train(10)
    train.val_data = [str(tg_file)]  # validated on another file, whole
    best = distill(out, method="regression", teacher=str(tiny_model), data=[pythia_file],
                   train=train, pairs=[pairs_file], validation=StageValidation(val_jets=10))
    student, meta = read_model(best)
    assert student.config.steps == 1 and student.config.sampler == "euler"
    recorded = meta["distillation"]
    assert recorded["method"] == "regression" and recorded["pairs"]["jets"] == 160
    assert recorded["pairs"]["file"] == str(pairs_file)
    assert meta["validation_data"] == [str(tg_file)]
    log = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 11))
    # Ten steps at a high rate on the same 160 pairs: the regression loss comes down.
    assert np.mean([r["particle_loss"] for r in log[-3:]]) < log[0]["particle_loss"]
    history = json.loads((out / "validation.json").read_text())["history"]
    assert [h["step"] for h in history] == [0, 5, 10]


def test_adversarial_stage_anchors_to_pairs(one_step_model, tg_file, pairs_file, tmp_path):
    out = tmp_path / "adv"
    settings = AdversarialSettings(disc_warmup=2, disc_dim=16, disc_depth=1, disc_lr=3e-3)
    best = distill(out, method="adversarial", teacher=str(one_step_model), data=[tg_file],
                   train=_train(5), adversarial=settings, pairs=[pairs_file],
                   validation=StageValidation(val_jets=10))
    log = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    # The one-step start is not the 3-step teacher: the pair anchor is not zero from the
    # first step (the frozen-start anchor is zero until the generator moves).
    assert log[0]["anchor_mse"] > 1e-4
    anchor = read_model(best)[1]["distillation"]["anchor"]
    assert anchor["file"] == str(pairs_file) and anchor["jets"] == 160


@pytest.mark.parametrize(("args", "message"), [
    (["--method", "regression"], "needs --pairs"),
    (["--method", "progressive", "--pairs", "p.h5"], "--pairs is for"),
])
def test_pairs_options_refused_in_one_line(tiny_model, tmp_path, capsys, args, message):
    code = main(["distill", *args, "--teacher", str(tiny_model), "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and message in err
