"""Real Pythia jets for the evaluation tests, made once per session (~20 s on 2 cores).

Sizes are small on purpose: every metric runs, the suite stays well under 3 minutes, and
Pythia's fixed seeds make every number (hence every bound below) deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from jetgen.data.pythia import generate_block
from jetgen.io.hdf5 import HDF5Writer
from jetgen.jets import CLASSES, Jets

N = 200  # jets per sample


@dataclass
class Samples:
    ref_g: Jets  # 2N gluons: the reference (halves A and B)
    gen_g: Jets  # N independent gluons: a "perfect model"
    gen_t: Jets  # N tops labelled as gluons: a model that gets the class wrong
    ref_path: Path
    gen_g_path: Path
    gen_t_path: Path
    root: Path
    n: int = N


def write(path: Path, jets: Jets, provenance: dict) -> Path:
    with HDF5Writer(path, jets.n_particles, provenance) as writer:
        writer.write(jets)
    return path


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> Samples:
    root = tmp_path_factory.mktemp("eval")
    ref_g = Jets.concatenate([generate_block("g", N, 30, 101)[0],
                              generate_block("g", N, 30, 102)[0]])
    gen_g = generate_block("g", N, 30, 103)[0]
    gen_t = generate_block("t", N, 30, 104)[0]
    gen_t.jet_type[:] = CLASSES.index("g")
    ref_path = write(root / "ref_g.h5", ref_g, {"kind": "reference sample"})
    entry = {"reference": {"path": str(ref_path), "split": "all"}, "kind": "generated"}
    gen_g_path = write(root / "gen_g.h5", gen_g, entry)
    gen_t_path = write(root / "gen_t.h5", gen_t, entry)
    return Samples(ref_g, gen_g, gen_t, ref_path, gen_g_path, gen_t_path, root)


@pytest.fixture(scope="session")
def write_jets():
    """The HDF5 writer helper, as a fixture (test modules cannot import conftest safely)."""
    return write


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Never touch the user's cache: one session-wide temporary cache dir. Session scope,
    so it is in place before any module-scoped evaluation fixture runs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JETGEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
        yield

