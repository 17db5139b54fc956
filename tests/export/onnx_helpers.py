"""Tiny one-step models for the ONNX tests (random weights: the export must reproduce any
network, and no training data is needed) and helpers comparing ONNX Runtime with torch."""

from __future__ import annotations

import numpy as np
import torch

from jetgen.config import RunConfig
from jetgen.export.runtime import graph_feed
from jetgen.models.checkpoint import save_model
from jetgen.models.jetmodel import JetModel
from jetgen.models.preprocessing import Standardiser

#: Roughly the shipped model's preprocessing, so jets land at realistic pT and masses.
STANDARDISER = Standardiser(particle_mean=[0.0, 0.0, -3.95], particle_std=[0.146, 0.149, 0.88],
                            jet_mean=[6.93, 0.0, 0.19, 30.5], jet_std=[0.067, 0.9, 0.08, 6.0],
                            n_particles=30)


def one_step_config(kind: str = "transformer", parameterization: str = "edm"):
    """tests/conftest.py's tiny_run model, sampling in one step for both models."""
    config = RunConfig().model
    config.net.kind = kind
    config.net.dim, config.net.depth, config.net.heads = 32, 2, 2
    config.jet_net.dim, config.jet_net.depth = 32, 2
    sampler = "consistency" if parameterization == "consistency" else "euler"
    config.parameterization = parameterization
    config.sampler, config.steps, config.schedule = sampler, 1, "karras_student"
    config.jet_sampler, config.jet_steps, config.jet_schedule = "euler", 1, "karras_student"
    return config


def write_model(path, config, seed: int = 0):
    torch.manual_seed(seed)
    return save_model(path, JetModel(config, STANDARDISER))


def feed(jet_type, seeds, kinematics=None, use=None) -> dict[str, np.ndarray]:
    """Inputs with jetgen's own noise; given kinematics only where ``use`` (default none)."""
    if kinematics is not None and use is None:
        use = np.zeros(len(seeds), bool)
    return graph_feed(jet_type, seeds, 30, kinematics, use)


def assert_same_jets(out, ref, rows=slice(None)) -> None:
    """The documented fp32 tolerance (export/metadata.py TOLERANCE)."""
    constituents, mask, jet = (o[rows] for o in out)
    np.testing.assert_array_equal(mask, ref.mask[rows])
    np.testing.assert_allclose(constituents, ref.particles[rows], rtol=0, atol=1e-4)
    np.testing.assert_allclose(jet[:, :3], ref.jet[rows, :3], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(jet[:, 3], ref.jet[rows, 3])
