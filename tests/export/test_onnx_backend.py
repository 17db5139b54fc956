"""`jetgen sample --backend onnxruntime`: the exported graph as a sampling backend, and the
ONNX Runtime example script run without torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx_helpers import one_step_config, write_model

from jetgen.cli.main import main
from jetgen.io import read_jets, read_provenance
from jetgen.sampling.plan import ONNX_BLOCK

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "onnx_sample.py"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("JETGEN_CACHE_DIR", str(tmp_path / "cache"))


def sample(model, out, *extra) -> int:
    return main(["sample", "--model", str(model), "--jet", "t,w", "--n", "300", "--seed", "5",
                 "-o", str(out), *extra])


def test_onnx_backend_matches_torch_fp32(one_step_model, tmp_path, capsys):
    assert sample(one_step_model, tmp_path / "ort.h5", "--backend", "onnxruntime") == 0
    assert "onnxruntime" in capsys.readouterr().out
    assert sample(one_step_model, tmp_path / "torch.h5", "--precision", "fp32") == 0
    ort, ref = read_jets(tmp_path / "ort.h5"), read_jets(tmp_path / "torch.h5")
    np.testing.assert_array_equal(ort.mask, ref.mask)
    np.testing.assert_array_equal(ort.jet_type, ref.jet_type)
    np.testing.assert_allclose(ort.particles, ref.particles, rtol=0, atol=1e-4)
    # ONNX Runtime calls hold 4096 jets, torch's 256: other kernels, other rounding, so
    # the documented cross-batch tolerance (export/metadata.py), not the same-batch one.
    np.testing.assert_allclose(ort.jet[:, [0, 2]], ref.jet[:, [0, 2]], rtol=1e-4)
    np.testing.assert_allclose(ort.jet[:, 1], ref.jet[:, 1], rtol=0, atol=1e-4)
    prov = read_provenance(tmp_path / "ort.h5")
    assert (prov["backend"], prov["compute_block"], prov["precision"]) == (
        "onnxruntime", ONNX_BLOCK, "fp32")
    assert read_provenance(tmp_path / "torch.h5")["backend"] == "torch"
    assert list((tmp_path / "cache" / "onnx").glob("*.onnx"))  # exported once, cached


def test_onnx_backend_same_jets_whatever_batch_size_and_shards(one_step_model, tmp_path):
    args = ("--backend", "onnxruntime")
    assert sample(one_step_model, tmp_path / "a.h5", *args, "--batch-size", "7") == 0
    assert sample(one_step_model, tmp_path / "b.h5", *args, "--batch-size", "10000") == 0
    a, b = read_jets(tmp_path / "a.h5"), read_jets(tmp_path / "b.h5")
    np.testing.assert_array_equal(a.particles, b.particles)
    np.testing.assert_array_equal(a.jet, b.jet)


def test_merge_refuses_mixed_backends(one_step_model, tmp_path, capsys):
    # Enough jets that both halves of the run hold jets under ONNX Runtime's 4096-jet
    # blocks (a shard with none is refused).
    assert sample(one_step_model, tmp_path / "s0.h5", "--backend", "onnxruntime",
                  "--shard", "0/2", "--n", "2100") == 0
    assert sample(one_step_model, tmp_path / "s1.h5", "--precision", "fp32",
                  "--shard", "1/2", "--n", "2100") == 0
    capsys.readouterr()
    assert main(["merge", str(tmp_path / "s0.h5"), str(tmp_path / "s1.h5"), "-o",
                 str(tmp_path / "all.h5")]) != 0
    err = capsys.readouterr().err.strip()
    assert ("\n" not in err and "compute_block" in err) or "backend" in err


def test_onnx_backend_bad_requests_are_one_line(one_step_model, tmp_path, capsys):
    config = one_step_config()
    config.sampler, config.steps = "heun", 3
    multistep = write_model(tmp_path / "multi.safetensors", config)
    cases = [(multistep, ("--backend", "onnxruntime"), "only one-step models"),
             (one_step_model, ("--backend", "onnxruntime", "--precision", "bf16"),
              "runs in fp32"),
             (one_step_model, ("--backend", "onnxruntime", "--steps", "2"),
              "drop --sampler/--steps"),
             (one_step_model, ("--backend", "onnx"), "--backend must be one of torch, "
              "onnxruntime, got 'onnx'")]
    for model, extra, message in cases:
        assert sample(model, tmp_path / "x.h5", *extra) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and message in err, err
    assert not (tmp_path / "x.h5").exists()


def test_example_runs_with_onnxruntime_alone(one_step_model, tmp_path):
    """examples/onnx_sample.py with torch and jetgen unimportable gives jetgen's jets."""
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", str(one_step_model), "-o", str(onnx_path)]) == 0
    blocker = tmp_path / "block" / "sitecustomize.py"
    blocker.parent.mkdir()
    blocker.write_text("import sys\nsys.modules['torch'] = None\nsys.modules['jetgen'] = None\n")
    env = {**os.environ, "PYTHONPATH": str(blocker.parent), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-W", "error", str(EXAMPLE), str(onnx_path),
                           "--jet", "t", "--n", "300", "--seed", "5", "--batch", "128", "-o",
                           str(tmp_path / "ex.npz")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "300 t jets from" in done.stdout
    ex = np.load(tmp_path / "ex.npz")
    assert main(["sample", "--model", str(one_step_model), "--jet", "t", "--n", "300",
                 "--seed", "5", "--precision", "fp32", "-o", str(tmp_path / "t.h5")]) == 0
    ref = read_jets(tmp_path / "t.h5")
    np.testing.assert_array_equal(ex["mask"], ref.mask)
    np.testing.assert_allclose(ex["constituents"], ref.particles, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ex["jet"][:, [0, 2]], ref.jet[:, [0, 2]], rtol=1e-4)
    np.testing.assert_allclose(ex["jet"][:, 1], ref.jet[:, 1], rtol=0, atol=1e-4)
