"""Shared set-up for the diffusion tests."""

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # These tests run thousands of ops on tensors of a few thousand elements; on a shared
    # 2-core machine torch's thread pool spends ~10 ms per op waiting at barriers, so one
    # thread is ~100x faster here. Restored afterwards for the rest of the session.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
