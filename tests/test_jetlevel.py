"""Retraining the jet-level model beside a kept particle model (`jetgen train --part jet`)."""

import pytest
import torch

from jetgen.data.splits import load_splits
from jetgen.jetlevel import train_jet_level
from jetgen.models.checkpoint import read_model
from jetgen.sampling.batch import sample_jet_kinematics
from jetgen.train import EMA_FILE


def test_new_jet_level_model_learns_and_the_particle_model_is_kept(tiny_run, tiny_model,
                                                                   pythia_file, tmp_path):
    run = tiny_run(300)
    run.train.lr, run.train.batch_size = 1e-2, 64
    run.model.jet_net.dim, run.model.jet_net.depth = 48, 3
    run.model.jet_sampler, run.model.jet_steps = "dpmpp_2m", 8
    run.train.p_mean, run.train.p_std = -0.4, 1.4
    train_jet_level([pythia_file], tmp_path / "jl", run, init_from=str(tiny_model))
    new, meta = read_model(tmp_path / "jl" / EMA_FILE)
    old, _ = read_model(tiny_model)
    assert (new.config.jet_net.dim, new.config.jet_net.depth) == (48, 3)
    assert (new.config.jet_sampler, new.config.jet_steps) == ("dpmpp_2m", 8)
    assert new.config.net == old.config.net and new.config.steps == old.config.steps
    for (name, a), (_, b) in zip(new.particle.state_dict().items(),
                                 old.particle.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert meta["trained_part"] == "jet"
    assert meta["particle_model_from"]["path"] == str(tiny_model)

    # The class conditioning is learnt: sampled top jets are heavier than gluon jets, by
    # about as much as in the training data.
    train = load_splits([pythia_file], 30, new.config.classes)[0]
    data_gap = (train.jet[train.jet_type == 2, 2].mean() - train.jet[train.jet_type == 0, 2].mean())
    seeds = torch.arange(400)
    with torch.no_grad():
        top = sample_jet_kinematics(new, torch.full((400,), 2), seeds, "dpmpp_2m", 8, "karras")
        gluon = sample_jet_kinematics(new, torch.full((400,), 0), seeds, "dpmpp_2m", 8, "karras")
    gap = float(top[:, 2].mean() - gluon[:, 2].mean())
    assert 0.5 * data_gap < gap < 1.5 * data_gap


def test_graft_takes_each_part_bit_for_bit_and_refuses_other_preprocessing(
        tiny_run, tiny_model, pythia_file, tmp_path):
    from jetgen.errors import JetgenError
    from jetgen.jetlevel import graft_jet_level
    from jetgen.models.checkpoint import save_model

    run = tiny_run(4)
    run.model.jet_net.dim, run.model.jet_steps = 40, 6
    train_jet_level([pythia_file], tmp_path / "jl", run, init_from=str(tiny_model))
    donor_file = tmp_path / "jl" / EMA_FILE
    # A "newer" particle model: the same run's model with its particle weights moved.
    newer, _ = read_model(tiny_model)
    with torch.no_grad():
        for p in newer.particle.parameters():
            p.add_(0.01)
    save_model(tmp_path / "newer.safetensors", newer, {"train_step": 99})

    out = graft_jet_level(str(donor_file), str(tmp_path / "newer.safetensors"),
                          tmp_path / "grafted.safetensors")
    grafted, meta = read_model(out)
    donor = read_model(donor_file)[0]
    for mine, theirs in ((grafted.particle, newer.particle), (grafted.jet, donor.jet)):
        for (name, a), (_, b) in zip(mine.state_dict().items(), theirs.state_dict().items(),
                                     strict=True):
            assert torch.equal(a, b), name
    assert grafted.config.jet_net.dim == 40 and grafted.config.jet_steps == 6
    assert grafted.config.net == newer.config.net
    assert meta["train_step"] == 99 and meta["jet_model_from"]["path"] == str(donor_file)

    newer.standardiser.particle_std[0] *= 2
    save_model(tmp_path / "other.safetensors", newer)
    with pytest.raises(JetgenError, match="preprocessing differs"):
        graft_jet_level(str(donor_file), str(tmp_path / "other.safetensors"), tmp_path / "x")
