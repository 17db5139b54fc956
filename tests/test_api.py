"""``import jetgen``: the library functions the CLI calls give what the CLI gives."""

import subprocess
import sys

import numpy as np
import pytest

import jetgen
from jetgen.errors import JetgenError, UsageError
from jetgen.io import read_jets
from jetgen.sampling.run import sample_to_file


def test_import_does_not_load_torch():
    code = "import sys, jetgen; assert 'torch' not in sys.modules; print(jetgen.__version__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_sample_equals_the_cli_file(tmp_path):
    jets = jetgen.sample(jet="top", n=300, seed=3, batch_size=100)
    sample_to_file(tmp_path / "t.h5", classes=[2], n=300, seed=3)
    assert np.array_equal(jets.particles, read_jets(tmp_path / "t.h5").particles)
    arr = jets.to_awkward()
    assert len(arr) == 300 and (np.asarray(arr.jet_type) == 2).all()


def test_write_read_round_trip_and_refuses_overwrite(tmp_path):
    jets = jetgen.sample(jet="g", n=20, seed=0)
    path = jetgen.write(jets, tmp_path / "g.root")
    assert np.array_equal(jetgen.read(path).particles, jets.particles)
    with pytest.raises(JetgenError, match="exists"):
        jetgen.write(jets, path)


def test_bad_arguments_are_the_clis_errors():
    with pytest.raises(UsageError, match="unknown jet class"):
        jetgen.sample(jet="muon", n=10)
    with pytest.raises(JetgenError, match="no such model"):
        jetgen.load_model("/nonexistent.safetensors")


def test_evaluate_returns_a_report():
    from jetgen.registry import weights_dir

    jets = jetgen.sample(jet="t", n=200, seed=1)
    report = jetgen.evaluate(jets, weights_dir() / "pythia30-reference.h5", n_jets=200,
                             classes=["t"], cache=False)
    row = report.metric("t", "w1m")
    assert row["value"] > 0 and row["floor"] > 0 and report.ratio("t", "w1m") is not None
