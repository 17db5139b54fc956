"""A real wheel carries the shipped weights as jetgen/weights, and jetgen run from that
wheel (not the source tree) finds and verifies them from any directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_models_cli import ship_model, tiny_model

REPO = Path(__file__).resolve().parents[1]


def build_wheel(source: Path, out: Path) -> Path:
    pytest.importorskip("hatchling")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-q", "-w", str(out),
                           str(source)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = out.glob("jetgen-*.whl")
    return wheel


def test_wheel_of_this_checkout_holds_every_file_in_weights(tmp_path):
    wheel = build_wheel(REPO, tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.name for p in (REPO / "weights").iterdir() if p.is_file()
               and not p.name.startswith(".")]
    assert shipped and all(f"jetgen/weights/{name}" in names for name in shipped)
    assert "jetgen/evaluation/resources/particlenet_jetnet30.safetensors" in names


def test_installed_wheel_finds_and_verifies_its_default_model(tmp_path):
    source = tmp_path / "src_copy"
    source.mkdir()
    for item in ("pyproject.toml", "README.md", "src", "weights"):
        copy = shutil.copytree if (REPO / item).is_dir() else shutil.copy2
        copy(REPO / item, source / item,
             **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree
                else {}))
    ship_model(tiny_model(tmp_path / "m.safetensors", 5), "wheel-test", {}, make_default=True,
               registry_dir=source / "weights")
    site = tmp_path / "site"
    zipfile.ZipFile(build_wheel(source, tmp_path / "dist")).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = ("import json, jetgen.registry as r; p, e = r.resolve_model(None); "
             "print(json.dumps([r.__file__, str(p), e['name']]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETGEN_")}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    module, weights, name = json.loads(done.stdout)
    assert Path(module).is_relative_to(site) and name == "wheel-test"
    assert Path(weights) == site / "jetgen" / "weights" / "wheel-test.safetensors"
