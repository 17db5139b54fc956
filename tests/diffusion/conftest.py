"""Shared set-up for the diffusion tests."""

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread) -> Iterator[None]:
    # Thousands of ops on tensors of a few thousand elements (tests/conftest.py says why).
    yield
