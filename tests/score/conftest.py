"""Fixtures of the score tests (the shared factories are in tests/conftest.py)."""

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread) -> Iterator[None]:
    # Many small tensor ops, as in the diffusion tests.
    yield


@pytest.fixture(scope="session")
def score_model(train_teacher, tiny_run) -> Path:
    """A tiny trained model (6 steps): enough to have a real, conditioned particle net."""
    return train_teacher("score_run", tiny_run(6)).model
