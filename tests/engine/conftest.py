import pytest

from jetgen.config import RunConfig
from jetgen.data.pythia import generate_block
from jetgen.io.hdf5 import HDF5Writer
from jetgen.jets import Jets


@pytest.fixture(scope="session")
def pythia_file(tmp_path_factory):
    """A small real training file: 80 top + 80 gluon Pythia jets."""
    jets = Jets.concatenate([generate_block("t", 80, 30, 11)[0],
                             generate_block("g", 80, 30, 12)[0]])
    path = tmp_path_factory.mktemp("data") / "tg30.h5"
    with HDF5Writer(path, 30, {"kind": "training data"}) as writer:
        writer.write(jets)
    return path


def tiny_run(steps: int = 6) -> RunConfig:
    run = RunConfig()
    run.model.net.dim, run.model.net.depth, run.model.net.heads = 32, 2, 2
    run.model.jet_net.dim, run.model.jet_net.depth = 32, 2
    run.model.steps = 3
    run.train.batch_size, run.train.total_steps, run.train.warmup_steps = 32, steps, 2
    run.train.checkpoint_every, run.train.val_every, run.train.val_jets = 3, 3, 24
    run.train.lr = 2e-3
    return run


@pytest.fixture(scope="session")
def tiny_model(pythia_file, tmp_path_factory):
    """EMA weights of a tiny teacher trained for 3 steps on ``pythia_file`` (read only)."""
    from jetgen.train import EMA_FILE, train_from_files

    run_dir = tmp_path_factory.mktemp("tiny_run")
    train_from_files([pythia_file], run_dir, tiny_run(3))
    return run_dir / EMA_FILE


@pytest.fixture(scope="session")
def distill_teacher(pythia_file, tmp_path_factory):
    """A tiny teacher for the distillation tests: 30 training steps, samples in 4 steps."""
    from jetgen.train import EMA_FILE, train_from_files

    run = tiny_run(30)
    run.model.steps = 4
    run_dir = tmp_path_factory.mktemp("teacher")
    train_from_files([pythia_file], run_dir, run)
    return run_dir / EMA_FILE
