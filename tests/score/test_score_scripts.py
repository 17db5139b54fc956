"""The score example and benchmarks run end to end on a tiny model, as a user runs them:
in a fresh interpreter, with warnings as errors, at the smallest useful settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jetgen.score.table import read_table

ROOT = Path(__file__).resolve().parents[2]


def run_script(path: str, cwd: Path, *args: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-W", "error", str(ROOT / path), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_score_classes_example(score_model, pythia_file, tmp_path):
    out = run_script("examples/score_classes.py", tmp_path, "--model", str(score_model),
                     "--data", str(pythia_file), "--n", "4", "--method", "elbo", "--steps",
                     "2", "--workdir", str(tmp_path / "work"))
    assert "ROC AUC of log p(x|top) - log p(x|gluon)" in out
    table, _ = read_table(tmp_path / "work" / "llr.h5")
    assert len(table["llr"]) == 8 and sorted(set(table["jet_type"])) == [0, 2]


@pytest.mark.parametrize(("script", "args", "expected"), [
    ("benchmarks/reconstruction.py", ["--jets", "4", "--steps", "2", "3", "--samplers",
                                      "euler", "heun"], "mean jet-image L1"),
    ("benchmarks/score_speed.py", ["--jets", "4", "--ode-steps", "2", "--probes", "1",
                                   "--elbo-steps", "2"], "jets/s"),
])
def test_benchmarks_print_their_table(score_model, pythia_file, tmp_path, script, args,
                                      expected):
    out = run_script(script, tmp_path, "--model", str(score_model), "--data",
                     str(pythia_file), "--device", "cpu", *args)
    assert expected in out


def test_benchmark_without_a_model_says_so(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks/reconstruction.py"),
                           "--model", str(tmp_path / "missing.safetensors")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "no such model file" in done.stderr
