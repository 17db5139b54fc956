"""`jetgen export`: one ONNX graph reproduces jetgen's fp32 torch path for the same noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx_helpers import assert_same_jets, feed, one_step_config, write_model

from jetgen.cli.main import main
from jetgen.models.checkpoint import read_model
from jetgen.registry import default_model_name, shipped_path
from jetgen.sampling.batch import generate_batch

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytest.importorskip("onnxscript")


def export(model, out: Path, *extra: str) -> int:
    return main(["export", str(model), "-o", str(out), *extra])


def torch_jets(model_path, jet_type, seeds, conditions=None):
    model, _ = read_model(model_path)
    c = model.config
    return generate_batch(model, jet_type, seeds, sampler=c.sampler, steps=c.steps,
                          schedule=c.schedule, conditions=conditions, precision="fp32")


def check_against_torch(model_path, onnx_path, seeds) -> float:
    """Generated and given-kinematics jets, in one call with use_kinematics mixed; returns
    the largest constituent difference."""
    session = ort.InferenceSession(str(onnx_path))
    jet_type = np.arange(len(seeds)) % 5
    generated = torch_jets(model_path, jet_type, seeds)
    given = generated.jet.copy()
    given[:, 0] *= 1.1  # other kinematics than the jet-level model's, n kept
    use = np.arange(len(seeds)) % 2 == 1
    out = session.run(None, feed(jet_type, seeds, given, use))
    assert_same_jets(out, generated, ~use)
    conditioned = torch_jets(model_path, jet_type, seeds, conditions=given)
    assert_same_jets(out, conditioned, use)
    return float(np.abs(out[0] - np.where(use[:, None, None], conditioned.particles,
                                          generated.particles)).max())


@pytest.mark.parametrize(("kind", "param"), [("transformer", "edm"), ("epic", "edm"),
                                             ("epic", "consistency")])
def test_matches_torch(tmp_path, seeds, kind, param, capsys):
    model = write_model(tmp_path / "m.safetensors", one_step_config(kind, param))
    assert export(model, tmp_path / "m.onnx") == 0
    check_against_torch(model, tmp_path / "m.onnx", seeds)
    printed = capsys.readouterr().out
    assert "input.particle_noise: float32 [batch,30,3]" in printed and "opset: 18" in printed


def test_dynamic_batch_and_metadata(one_step_model, tmp_path, seeds):
    out = tmp_path / "m.onnx"
    assert export(one_step_model, out, "--opset", "20") == 0
    session = ort.InferenceSession(str(out))
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["opset"] == "20" and meta["format"] == "jetgen-onnx-1"
    assert meta["inputs"] == "jet_type, jet_noise, particle_noise, jet_kinematics, use_kinematics"
    assert "JET_LEVEL_DRAW_OFFSET" in meta["noise"] and meta["dtype"].startswith("float32")
    assert [i.shape[0] for i in session.get_inputs()] == ["batch"] * 5
    jet_type = np.arange(len(seeds)) % 5
    whole = session.run(None, feed(jet_type, seeds))
    for rows in (slice(0, 1), slice(5, 18)):
        part = session.run(None, feed(jet_type[rows], seeds[rows]))
        for a, b in zip(part, whole, strict=True):
            np.testing.assert_array_equal(a, b[rows])
    constituents, mask, jet = whole
    assert mask.dtype == bool and (mask.sum(1) == jet[:, 3]).all()
    assert (constituents[~mask] == 0).all() and (np.diff(constituents[..., 2], axis=1) <= 0).all()


def test_refuses_multistep(tmp_path, capsys):
    config = one_step_config()
    config.jet_steps = 4
    model = write_model(tmp_path / "m.safetensors", config)
    assert export(model, tmp_path / "m.onnx") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "only one-step models can be exported" in err
    assert "jet-level model samples with euler in 4 steps" in err
    config = one_step_config()
    config.sampler = "heun"
    model = write_model(tmp_path / "m.safetensors", config)
    assert export(model, tmp_path / "m.onnx", "--overwrite") == 2
    assert "particle model samples with heun in 1 steps" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_output_checks(one_step_model, tmp_path, capsys):
    out = tmp_path / "m.onnx"
    out.write_bytes(b"keep")
    assert export(one_step_model, out) == 1
    assert "output exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"keep"
    assert export(one_step_model, tmp_path / "missing" / "m.onnx") == 1
    assert "does not exist" in capsys.readouterr().err
    assert export(one_step_model, out, "--opset", "12") == 2
    assert "--opset must be in 18.." in capsys.readouterr().err
    assert out.read_bytes() == b"keep"
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.slow
def test_shipped_default_matches_torch(tmp_path, seeds, capsys):
    out = tmp_path / "default.onnx"
    assert main(["export", "-o", str(out)]) == 0
    name = default_model_name()
    assert name is not None and f"model: {name}" in capsys.readouterr().out
    diff = check_against_torch(shipped_path(name), out, seeds)
    assert diff < 1e-4
