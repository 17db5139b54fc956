"""Fixtures of the ONNX export tests (helpers in onnx_helpers.py)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx_helpers import one_step_config, write_model

from jetgen.sampling.seeds import jet_seeds


@pytest.fixture(scope="session")
def one_step_model(tmp_path_factory):
    return write_model(tmp_path_factory.mktemp("onnx") / "tiny.safetensors", one_step_config())


@pytest.fixture
def seeds() -> np.ndarray:
    return jet_seeds(7, np.arange(64))
