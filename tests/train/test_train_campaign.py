"""What a long teacher run needs: class-balanced batches, a schedule that can be extended,
and physics validation of the EMA model while it trains."""

from __future__ import annotations

import json

import pytest
import torch

from jetgen.config import RunConfig, TrainConfig, from_dict
from jetgen.errors import JetgenError
from jetgen.io import read_jets
from jetgen.objective import step_generator
from jetgen.train import EMA_FILE, Trainer, lr_factor, train_from_files


def test_constant_schedule_keeps_the_peak_rate_after_warm_up():
    assert lr_factor(0, 10, 100, "constant") == pytest.approx(0.1)
    assert [lr_factor(s, 10, 100, "constant") for s in (10, 99, 100, 10_000)] == [1.0] * 4
    # cosine is unchanged: it decays to zero at total
    assert lr_factor(100, 10, 100) == pytest.approx(0.0)
    assert lr_factor(55, 10, 100) == pytest.approx(0.5)


def test_anneal_schedule_holds_the_peak_then_decays_to_zero_at_total():
    # A constant-rate run ended by a cosine decay from step 1,000 to 1,200.
    rates = [lr_factor(s, 10, 1200, "anneal", 1000) for s in (5, 10, 999, 1000, 1100, 1200)]
    assert rates == pytest.approx([0.6, 1.0, 1.0, 1.0, 0.5, 0.0])
    assert lr_factor(5000, 10, 1200, "anneal", 1000) == 0.0
    # anneal_from 0 is a cosine from the warm-up's end, as "cosine" is.
    assert lr_factor(55, 10, 100, "anneal") == pytest.approx(lr_factor(55, 10, 100))


def test_unknown_schedule_is_refused_with_the_nearest_name():
    with pytest.raises(JetgenError, match=r"lr_schedule 'constnt'.*constant"):
        from_dict(TrainConfig, {"lr_schedule": "constnt"})


def test_balanced_batches_hold_every_class_equally(tiny_run, pythia_file, tmp_path):
    from jetgen.models.jetmodel import JetModel
    from jetgen.models.preprocessing import Standardiser

    jets = read_jets(pythia_file)
    # an unbalanced pool: all 80 top jets, 20 gluon jets
    keep = (jets.jet_type == 2) | (torch.arange(len(jets)).numpy() % 4 == 0)
    jets = jets[keep]
    run = tiny_run(1)
    run.train.batch_size, run.train.balance_classes = 40, True
    model = JetModel(run.model, Standardiser.fit(jets))
    trainer = Trainer(model, run, tmp_path, jets, jets[:8], torch.device("cpu"))
    types = trainer.train_data.jet_type
    counts = torch.zeros(5, dtype=torch.long)
    for step in range(20):
        index = trainer.batch_index(step_generator(0, step))
        batch_counts = torch.bincount(types[index], minlength=5)
        assert batch_counts[0] == batch_counts[2] == 20
        counts += batch_counts
    # within a class, rows are drawn from all of it (20 gluon rows, 400 draws)
    gluon_rows = trainer.batch_index(step_generator(0, 0))[types[
        trainer.batch_index(step_generator(0, 0))] == 0]
    assert len(gluon_rows) == 20
    run.train.balance_classes = False
    plain = Trainer(model, run, tmp_path, jets, jets[:8], torch.device("cpu"))
    drawn = torch.cat([plain.batch_index(step_generator(0, s)) for s in range(20)])
    assert torch.bincount(types[drawn], minlength=5)[2] > 2 * torch.bincount(
        types[drawn], minlength=5)[0]  # the pooled draw follows the 80:20 imbalance


def test_physics_validation_runs_on_the_ema_model_while_training(tiny_run, tmp_path):
    from jetgen.data.pythia import generate_block
    from jetgen.io.hdf5 import HDF5Writer
    from jetgen.jets import Jets

    # 140 jets per class: a validation split of 21, two halves of 10 for the floor
    data = tmp_path / "gt30.h5"
    with HDF5Writer(data, 30, {"kind": "training data"}) as writer:
        writer.write(Jets.concatenate([generate_block("g", 140, 30, 21)[0],
                                       generate_block("t", 140, 30, 22)[0]]))
    run: RunConfig = tiny_run(4)
    run.model.classes = ["g", "t"]
    run.train.physics_every, run.train.physics_jets = 2, 10
    last = train_from_files([data], tmp_path / "run", run)
    tmp_path = tmp_path / "run"
    history = json.loads((tmp_path / "validation.json").read_text())["history"]
    assert [h["step"] for h in history] == [2, 4]
    assert set(history[-1]["classes"]) == {"g", "t"}
    assert last["physics_score"] == pytest.approx(history[-1]["score"])
    assert (tmp_path / "validation.csv").exists() and (tmp_path / EMA_FILE).exists()


def test_validation_files_are_used_whole_and_training_files_too(pythia_file):
    from jetgen.data.splits import load_splits

    every = read_jets(pythia_file)
    train, val = load_splits([pythia_file], 30, ["g", "t"], [pythia_file])
    assert len(train) == len(val) == len(every)
    split_train, split_val = load_splits([pythia_file], 30, ["g", "t"])
    assert len(split_train) + len(split_val) < len(every)  # the 70/15 splits, test held out
    with pytest.raises(JetgenError, match="no jets of class"):
        load_splits([pythia_file], 30, ["w"], [pythia_file])


def test_a_compact_checkpoint_resumes_with_a_fresh_warm_up(tiny_run, pythia_file, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    run = tiny_run(4)
    run.train.lr_schedule = "constant"
    train_from_files([pythia_file], tmp_path, run)
    state = tmp_path / "state.safetensors"
    script = Path(__file__).parents[2] / "scripts" / "compact_state.py"
    subprocess.run([sys.executable, str(script), str(state), str(state)], check=True)
    from safetensors import safe_open

    with safe_open(str(state), "pt") as f:
        assert not [k for k in f.keys() if k.startswith("opt.")]  # noqa: SIM118
    run.train.total_steps = 6
    train_from_files([pythia_file], tmp_path, run, resume=True)
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    lrs = {r["step"]: r["lr"] for r in lines}
    peak = run.train.lr
    assert lrs[4] == pytest.approx(peak)  # warm-up of the first 2 steps long over
    assert lrs[5] == pytest.approx(peak / 2) and lrs[6] == pytest.approx(peak)
