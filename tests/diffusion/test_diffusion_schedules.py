"""σ schedules: shape, monotonicity, end points, and errors by name."""

import math

import pytest
import torch

from jetgen.diffusion.schedules import (
    SCHEDULES,
    exponential_sigmas,
    get_sigmas,
    karras_sigmas,
    linear_sigmas,
)
from jetgen.errors import UsageError


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("steps", [1, 2, 10, 1000])
def test_schedules_decrease_to_zero(name, steps):
    sigmas = get_sigmas(name, steps, 0.002, 80.0, rho=7.0)
    assert sigmas.shape == (steps + 1,) and sigmas.dtype == torch.float32
    assert sigmas[-1] == 0
    assert (sigmas[:-1] > sigmas[1:]).all()
    assert math.isclose(sigmas[0].item(), 80.0, rel_tol=1e-6)
    if steps > 1 and name != "karras_student":
        assert math.isclose(sigmas[-2].item(), 0.002, rel_tol=1e-5)
    if name == "karras_student":  # every step does work: no σ_min → 0 step
        assert sigmas[-2] > 0.002


def test_schedule_shapes():
    k = karras_sigmas(4, 0.1, 10.0, rho=1.0)
    assert torch.allclose(k, linear_sigmas(4, 0.1, 10.0))
    e = exponential_sigmas(5, 0.01, 100.0)[:-1]
    assert torch.allclose(e[1:] / e[:-1], torch.full((4,), 0.1))
    # ρ = 7 concentrates steps at low σ, where the linear grid has almost none.
    assert (karras_sigmas(20, 0.002, 80.0)[:-1] < 1).sum() == 8
    assert (linear_sigmas(20, 0.002, 80.0)[:-1] < 1).sum() == 1
    assert SCHEDULES == ("karras", "karras_student", "exponential", "linear")


def test_bad_arguments_are_usage_errors():
    with pytest.raises(UsageError, match="did you mean 'karras'"):
        get_sigmas("karas", 10, 0.1, 1.0)
    with pytest.raises(UsageError, match="exponential"):
        get_sigmas("expo", 10, 0.1, 1.0)
    with pytest.raises(UsageError, match="at least 1"):
        get_sigmas("karras", 0, 0.1, 1.0)
    with pytest.raises(UsageError, match="sigma_min"):
        get_sigmas("linear", 5, 1.0, 0.5)
    with pytest.raises(UsageError, match="sigma_min"):
        karras_sigmas(5, 0.0, 1.0)
