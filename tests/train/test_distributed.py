"""Data-parallel training for real: 2 CPU processes on gloo against 1 process."""

import json
import os
import subprocess
import sys

import pytest
import torch

from jetgen.cli.main import main
from jetgen.config import dumps_toml, to_dict
from jetgen.models.checkpoint import read_model
from jetgen.train import EMA_FILE, train_from_files


@pytest.fixture(scope="module")
def config(tiny_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    path.write_text(dumps_toml(to_dict(tiny_run(6))))
    return path


def losses(run_dir):
    return [json.loads(line)["loss"] for line in (run_dir / "metrics.jsonl").read_text()
            .splitlines()]


def assert_same_weights(a, b, atol=1e-5):
    ma, _ = read_model(a / EMA_FILE)
    mb, _ = read_model(b / EMA_FILE)
    for (name, ta), tb in zip(ma.state_dict().items(), mb.state_dict().values(), strict=True):
        assert torch.allclose(ta, tb, atol=atol), name


def train_args(data, out, config, steps, *extra):
    return ["train", "--data", str(data), "-o", str(out), "--config", str(config), "--steps",
            str(steps), "--device", "cpu", *extra]


def test_two_ranks_follow_the_one_rank_loss_curve(tiny_run, pythia_file, config, tmp_path, capfd):
    train_from_files([pythia_file], tmp_path / "one", tiny_run(4))
    assert main(train_args(pythia_file, tmp_path / "two", config, 4, "--devices", "2")) == 0
    out = capfd.readouterr().out  # the ranks are processes: their output is on fd 1
    assert out.count("step 4") == 1
    one, two = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert len(one) == len(two) == 4
    assert two == pytest.approx(one, rel=1e-5)
    assert_same_weights(tmp_path / "one", tmp_path / "two")


def test_torchrun_run_resumes_on_another_number_of_ranks(tiny_run, pythia_file, config, tmp_path):
    straight = tmp_path / "straight"
    train_from_files([pythia_file], straight, tiny_run(6))
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         "-m", "jetgen", *train_args(pythia_file, run, config, 3)],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("step 3") == 1  # rank 0 alone reports
    train_from_files([pythia_file], run, tiny_run(6), resume=True)  # now on 1 rank
    assert losses(run) == pytest.approx(losses(straight), rel=1e-5)
    assert_same_weights(run, straight)


def test_bf16_autocast_trains_on_cpu(tiny_run, pythia_file, tmp_path):
    last = train_from_files([pythia_file], tmp_path / "bf16", tiny_run(2), precision="bf16")
    assert last["step"] == 2 and torch.isfinite(torch.tensor(last["loss"]))


def test_unknown_precision_is_one_line(pythia_file, config, tmp_path, capsys):
    assert main(train_args(pythia_file, tmp_path / "x", config, 2, "--precision", "fp61")) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "did you mean 'fp16'" not in err and "fp32" in err
