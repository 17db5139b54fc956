"""Properties over many inputs (hypothesis): files give back exactly the jets written, and
the jets of a run depend on the seed alone, never on batch size or sharding."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from jetgen.config import ModelConfig
from jetgen.io import open_writer, read_jets
from jetgen.jets import CLASSES, Jets
from jetgen.models.checkpoint import save_model
from jetgen.models.jetmodel import JetModel
from jetgen.models.preprocessing import Standardiser
from jetgen.sampling.merge import merge_shards
from jetgen.sampling.run import sample_to_file
from jetgen.sampling.seeds import jet_seeds
from jetgen.sampling.shards import Shard

FLOATS = st.floats(-1e6, 1e6, width=32, allow_nan=False, allow_infinity=False)


@st.composite
def valid_jets(draw) -> Jets:
    """Any JetNet-form jets: leading particles real, padding zero, n = real count."""
    n = draw(st.integers(0, 12))
    p = draw(st.integers(1, 8))
    counts = draw(arrays(np.int64, n, elements=st.integers(0, p)))
    mask = np.arange(p)[None, :] < counts[:, None]
    particles = draw(arrays(np.float32, (n, p, 3), elements=FLOATS)) * mask[..., None]
    kinematics = draw(arrays(np.float32, (n, 3), elements=FLOATS))
    jet = np.concatenate([kinematics, counts[:, None].astype(np.float32)], 1)
    jet_type = draw(arrays(np.int32, n, elements=st.integers(0, len(CLASSES) - 1)))
    seeds = draw(arrays(np.uint64, n, elements=st.integers(0, 2**64 - 1)))
    return Jets(particles, mask, jet, jet_type, {"jet_seed": seeds})


@settings(max_examples=25, deadline=None)
@given(jets=valid_jets(), suffix=st.sampled_from([".root", ".h5"]), data=st.data())
def test_files_give_back_exactly_the_jets_written(jets, suffix, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(jets)), max_size=3)))
    # ROOT files may roll over into numbered parts; the set must read back as one.
    max_bytes = data.draw(st.sampled_from([None, 66_000, 70_000])) if suffix == ".root" else None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"jets{suffix}"
        with open_writer(path, jets.n_particles, {"kind": "test"}, max_bytes=max_bytes) as w:
            for lo, hi in zip([0, *cuts], [*cuts, len(jets)], strict=True):
                w.write(jets[lo:hi])
        back = read_jets(path)
    assert back.n_particles == jets.n_particles
    assert np.array_equal(back.mask, jets.mask)
    assert np.array_equal(back.particles, jets.particles)
    assert np.array_equal(back.jet, jets.jet)
    assert np.array_equal(back.jet_type, jets.jet_type)
    assert np.array_equal(back.extra["jet_seed"], jets.extra["jet_seed"])


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """An untrained tiny model: the seed → jets mapping does not care about training."""
    import torch

    config = ModelConfig(classes=["g", "t", "w"], steps=1, jet_steps=2)
    config.net.dim, config.net.depth, config.net.heads = 16, 1, 2
    config.jet_net.dim, config.jet_net.depth = 16, 1
    standardiser = Standardiser([0.0, 0.0, -3.0], [0.1, 0.1, 1.0], [7.0, 0.0, 0.1, 15.0],
                                [0.2, 1.0, 0.05, 8.0], 30)
    torch.manual_seed(0)
    return save_model(tmp_path_factory.mktemp("model") / "tiny.safetensors",
                      JetModel(config, standardiser))


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 300), classes=st.sets(st.sampled_from([0, 2, 3]), min_size=1),
       seed=st.integers(0, 2**40), batch_size=st.integers(1, 700),
       shards=st.integers(1, 4), shard_batch=st.integers(1, 700))
def test_jets_depend_on_the_seed_alone(tiny_model, n, classes, seed, batch_size, shards,
                                       shard_batch):
    args = {"model": str(tiny_model), "classes": sorted(classes), "n": n, "seed": seed,
            "sampler": "euler", "steps": 1}
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.h5"
        sample_to_file(one, batch_size=batch_size, **args)
        pieces = [Path(tmp) / f"s{i}.h5" for i in range(shards)]
        for i, piece in enumerate(pieces):
            sample_to_file(piece, batch_size=shard_batch, shard=Shard(i, shards), **args)
        merge_shards(pieces[::-1], Path(tmp) / "all.h5")
        a, b = read_jets(one), read_jets(Path(tmp) / "all.h5")
    assert len(a) == n * len(classes)
    assert np.array_equal(a.particles, b.particles) and np.array_equal(a.jet, b.jet)
    assert np.array_equal(a.extra["jet_seed"], jet_seeds(seed, np.arange(len(a))))
    assert np.array_equal(b.extra["event"], np.arange(len(a)))
