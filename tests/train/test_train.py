"""The training loop on real Pythia jets with a tiny network."""

import json

import pytest
import torch

from jetgen.data.splits import load_splits
from jetgen.errors import JetgenError
from jetgen.models.checkpoint import read_model
from jetgen.train import EMA_FILE, Trainer, train_from_files


def test_loss_decreases_on_a_small_batch(tiny_run, pythia_file, tmp_path):
    from jetgen.models.jetmodel import JetModel
    from jetgen.models.preprocessing import Standardiser

    run = tiny_run()
    train, val = load_splits([pythia_file], 30, run.model.classes)
    torch.manual_seed(0)
    trainer = Trainer(JetModel(run.model, Standardiser.fit(train)), run, tmp_path, train, val,
                      torch.device("cpu"))
    trainer.train_data = trainer.train_data  # one fixed batch: memorise it
    fixed = torch.arange(32)
    batch = trainer.train_data.batch(fixed, "cpu")
    gen_seed = 5

    def loss_now():
        with torch.no_grad():
            p, j = trainer.loss_fn(trainer.model, batch, torch.Generator().manual_seed(gen_seed))
        return (p.mean() + j.mean()).item()

    before = loss_now()
    for _ in range(40):
        p, j = trainer.loss_fn(trainer.model, batch, torch.Generator().manual_seed(gen_seed))
        trainer.opt.zero_grad()
        (p.mean() + j.mean()).backward()
        trainer.opt.step()
    assert loss_now() < 0.7 * before


def test_resume_continues_the_exact_run(tiny_run, pythia_file, tmp_path):
    straight = train_from_files([pythia_file], tmp_path / "a", tiny_run(6))
    train_from_files([pythia_file], tmp_path / "b", tiny_run(3))
    resumed = train_from_files([pythia_file], tmp_path / "b", tiny_run(6), resume=True)
    assert resumed["step"] == straight["step"] == 6
    assert resumed["loss"] == pytest.approx(straight["loss"], rel=1e-5)
    a, _ = read_model(tmp_path / "a" / EMA_FILE)
    b, _ = read_model(tmp_path / "b" / EMA_FILE)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.allclose(pa, pb, atol=1e-6), name
    log = [json.loads(line) for line in (tmp_path / "b" / "metrics.jsonl").read_text().split(
        "\n") if line]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6]
    assert "val_particle_loss" in log[-1]


def test_existing_run_needs_resume(tiny_run, pythia_file, tmp_path):
    train_from_files([pythia_file], tmp_path / "r", tiny_run(3))
    with pytest.raises(JetgenError, match="--resume"):
        train_from_files([pythia_file], tmp_path / "r", tiny_run(3))


def test_particle_count_mismatch_is_refused(pythia_file):
    with pytest.raises(JetgenError, match="150"):
        load_splits([pythia_file], 150, ["t"])


def test_init_from_starts_a_new_run_from_given_weights(tiny_run, pythia_file, tmp_path):
    train_from_files([pythia_file], tmp_path / "first", tiny_run(6))
    first, _ = read_model(tmp_path / "first" / EMA_FILE)
    other = tiny_run(1)
    other.model.net.dim = 48  # the weights' own config wins over the new run's
    other.train.lr = 1e-6
    train_from_files([pythia_file], tmp_path / "next", other,
                     init_from=str(tmp_path / "first" / EMA_FILE))
    nxt, meta = read_model(tmp_path / "next" / EMA_FILE)
    assert nxt.config.net.dim == 32 and meta["train_step"] == 1
    assert meta["initialised_from"]["path"] == str(tmp_path / "first" / EMA_FILE)
    assert len(meta["initialised_from"]["sha256"]) == 64
    other.train.total_steps = 2  # resuming keeps the record of where the run started
    train_from_files([pythia_file], tmp_path / "next", other, resume=True,
                     init_from=str(tmp_path / "first" / EMA_FILE))
    assert read_model(tmp_path / "next" / EMA_FILE)[1]["initialised_from"] == (
        meta["initialised_from"])
    for (name, pa), pb in zip(first.state_dict().items(), nxt.state_dict().values(),
                              strict=True):
        assert torch.allclose(pa, pb, atol=1e-4), name
    fresh = tiny_run(1)
    fresh.train.lr = 1e-6
    train_from_files([pythia_file], tmp_path / "fresh", fresh)
    scratch, _ = read_model(tmp_path / "fresh" / EMA_FILE)
    assert not torch.allclose(scratch.state_dict()["particle.net.embed.weight"],
                              first.state_dict()["particle.net.embed.weight"], atol=1e-3)


def test_init_from_refuses_a_distilled_student(tiny_run, pythia_file, tmp_path):
    from jetgen.distill.methods import distill

    train_from_files([pythia_file], tmp_path / "teacher", tiny_run(2))
    cfg = tiny_run(1).train
    student = distill(tmp_path / "cd", method="consistency", steps=1,
                      teacher=str(tmp_path / "teacher" / EMA_FILE), data=[pythia_file], train=cfg)
    with pytest.raises(JetgenError, match="--init-from takes a teacher"):
        train_from_files([pythia_file], tmp_path / "next", tiny_run(1), init_from=str(student))
