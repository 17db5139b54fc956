"""Fixtures for the score tests: the engine tests' real Pythia file and a tiny model.

The Pythia fixture and the tiny training recipe live in tests/engine/conftest.py; that
module is loaded here by path (two directories' ``conftest`` modules cannot both be
imported by name) so the jets and training set-up stay defined in one place.
"""

import importlib.util
from pathlib import Path

import pytest

from jetgen.train import EMA_FILE, train_from_files

_spec = importlib.util.spec_from_file_location(
    "jetgen_tests_engine_conftest", Path(__file__).parents[1] / "engine" / "conftest.py")
_engine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_engine)

pythia_file = _engine.pythia_file
tiny_run = _engine.tiny_run

# Many small tensor ops, as in the diffusion tests: the same one-thread fixture.
_spec = importlib.util.spec_from_file_location(
    "jetgen_tests_diffusion_conftest", Path(__file__).parents[1] / "diffusion" / "conftest.py")
_diffusion = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_diffusion)

_one_thread = _diffusion._one_thread


@pytest.fixture(scope="session")
def score_model(pythia_file, tmp_path_factory) -> Path:
    """A tiny trained model (6 steps): enough to have a real, conditioned particle net."""
    run_dir = tmp_path_factory.mktemp("score_run")
    train_from_files([pythia_file], run_dir, tiny_run(6))
    return run_dir / EMA_FILE
