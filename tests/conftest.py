"""Shared test factories (every directory's tests use these; no test module imports
another) and the ``--slow`` switch: tests marked ``slow`` (minutes each) run only with it.

* ``pythia_file``: a small real training file (Pythia top and gluon jets);
* ``tiny_run(steps)``: the tiny network and training recipe most tests train with, and
  ``smallest_run(steps)``, smaller still, for tests that drive the CLI in subprocesses;
* ``train_teacher(name, run, data)``: a model trained once per session (on ``pythia_file``
  by default), and the teachers built with it: ``tiny_model``, ``distill_teacher``,
  ``smallest_teacher`` (with its data);
* ``tg_file``: 160 top + 160 gluon Pythia jets, enough for a validation split with two
  halves of 10 jets per class (the physics-validated stages);
* ``one_step_model``: ``tiny_model`` made to sample in one Euler step (a one-step student
  for the adversarial and regression stages);
* ``random_jets(n, p, seed)``: jets of random features in the JetNet layout, for I/O tests
  that need shapes, masks and columns rather than physics;
* ``one_thread``: torch on one thread for tests made of many tiny tensor ops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jetgen.config import RunConfig


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _tiny_run(steps: int = 6) -> RunConfig:
    """Transformer of width 32 and depth 2 sampling in 3 steps; checkpoints and
    validations every 3 optimiser steps."""
    run = RunConfig()
    run.model.net.dim, run.model.net.depth, run.model.net.heads = 32, 2, 2
    run.model.jet_net.dim, run.model.jet_net.depth = 32, 2
    run.model.steps = 3
    run.train.batch_size, run.train.total_steps, run.train.warmup_steps = 32, steps, 2
    run.train.checkpoint_every, run.train.val_every, run.train.val_jets = 3, 3, 24
    run.train.lr = 2e-3
    return run


def _smallest_run(steps: int) -> RunConfig:
    """Width 16, depth 1, both parts sampling in 2 steps (so ``--factor 2`` distils it);
    checkpoints and validations every 2 steps: a command in a subprocess starts fast."""
    run = RunConfig()
    run.model.net.dim, run.model.net.depth, run.model.net.heads = 16, 1, 2
    run.model.jet_net.dim, run.model.jet_net.depth = 16, 1
    run.model.steps = run.model.jet_steps = 2
    run.train.batch_size, run.train.total_steps, run.train.warmup_steps = 16, steps, 1
    run.train.checkpoint_every, run.train.val_every, run.train.val_jets = 2, 2, 16
    return run


@pytest.fixture(scope="session")
def tiny_run() -> Callable[..., RunConfig]:
    """``tiny_run(steps=6)``: a fresh RunConfig of the tiny recipe."""
    return _tiny_run


@pytest.fixture(scope="session")
def smallest_run() -> Callable[[int], RunConfig]:
    """``smallest_run(steps)``: a fresh RunConfig of the smallest recipe."""
    return _smallest_run


def _write_pythia(path: Path, n_per_class: int, seeds: tuple[int, int]) -> Path:
    """``n_per_class`` top then as many gluon Pythia jets (30 particles) into ``path``."""
    from jetgen.data.pythia import generate_block
    from jetgen.io.hdf5 import HDF5Writer
    from jetgen.jets import Jets

    jets = Jets.concatenate([generate_block("t", n_per_class, 30, seeds[0])[0],
                             generate_block("g", n_per_class, 30, seeds[1])[0]])
    with HDF5Writer(path, 30, {"kind": "training data"}) as writer:
        writer.write(jets)
    return path


@pytest.fixture(scope="session")
def pythia_file(tmp_path_factory) -> Path:
    """A small real training file: 80 top + 80 gluon Pythia jets."""
    return _write_pythia(tmp_path_factory.mktemp("data") / "tg30.h5", 80, (11, 12))


@dataclass(frozen=True)
class Teacher:
    """A trained model of the session: its EMA weights, run directory and data."""

    model: Path
    run_dir: Path
    data: Path


@pytest.fixture(scope="session")
def train_teacher(pythia_file, tmp_path_factory) -> Callable[..., Teacher]:
    """``train_teacher(name, run, data=pythia_file)``: train ``run`` on ``data`` (once per
    name and session; the weights are read only)."""
    from jetgen.train import EMA_FILE, train_from_files

    trained: dict[str, Teacher] = {}

    def train(name: str, run: RunConfig, data: Path | None = None) -> Teacher:
        if name not in trained:
            data = data or pythia_file
            run_dir = tmp_path_factory.mktemp(name)
            train_from_files([data], run_dir, run)
            trained[name] = Teacher(run_dir / EMA_FILE, run_dir, data)
        return trained[name]

    return train


@pytest.fixture(scope="session")
def tiny_model(train_teacher) -> Path:
    """EMA weights of a tiny teacher trained for 3 steps on ``pythia_file``."""
    return train_teacher("tiny_run", _tiny_run(3)).model


@pytest.fixture(scope="session")
def distill_teacher(train_teacher) -> Path:
    """A tiny teacher for the distillation tests: 30 training steps, samples in 4 steps."""
    run = _tiny_run(30)
    run.model.steps = 4
    return train_teacher("teacher", run).model


@pytest.fixture(scope="session")
def smallest_teacher(train_teacher, tmp_path_factory) -> Teacher:
    """The smallest recipe trained for 2 steps on a file of its own (60 top + 60 gluon
    jets): for tests that run the CLI many times and read or alter its data."""
    data = _write_pythia(tmp_path_factory.mktemp("smallest_data") / "tg30.h5", 60, (21, 22))
    return train_teacher("smallest", _smallest_run(2), data)


@pytest.fixture(scope="session")
def tg_file(tmp_path_factory) -> Path:
    return _write_pythia(tmp_path_factory.mktemp("tg") / "tg30.h5", 160, (31, 32))


@pytest.fixture(scope="session")
def one_step_model(tiny_model, tmp_path_factory) -> Path:
    """The tiny (barely trained) model made to sample in one Euler step: its jets are far
    from real ones, which a working discriminator must notice at once."""
    from jetgen.models.checkpoint import read_model, save_model

    model, meta = read_model(tiny_model)
    model.config.steps, model.config.sampler = 1, "euler"
    path = tmp_path_factory.mktemp("one") / "one.safetensors"
    save_model(path, model, metadata={k: v for k, v in meta.items() if k != "config"})
    return path


def _random_jets(n: int = 50, p: int = 30, seed: int = 0):
    import numpy as np

    from jetgen.jets import Jets

    rng = np.random.default_rng(seed)
    counts = rng.integers(1, p + 1, n)
    mask = np.arange(p)[None] < counts[:, None]
    particles = rng.normal(size=(n, p, 3)).astype(np.float32) * mask[..., None]
    jet = np.stack([rng.uniform(800, 1600, n), rng.normal(size=n), rng.uniform(10, 300, n),
                    counts], 1)
    # Seeds offset from the row index, so a reader that confused the two would show.
    extra = {"jet_seed": np.arange(n, dtype=np.uint64) + 7}
    return Jets(particles, mask, jet, rng.integers(0, 5, n), extra)


@pytest.fixture(scope="session")
def random_jets() -> Callable:
    return _random_jets


@pytest.fixture
def one_thread() -> Iterator[None]:
    # Tests of thousands of ops on tensors of a few thousand elements: on a shared 2-core
    # machine torch's thread pool spends ~10 ms per op waiting at barriers, so one thread
    # is ~100x faster. Restored afterwards for the rest of the session.
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
