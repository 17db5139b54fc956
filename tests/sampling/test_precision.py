"""Which precision a run uses: --precision auto follows the model where hardware allows."""

import pytest
import torch

import jetgen.device as device_module
import jetgen.sampling.precision as precision_module
from jetgen.device import check_precision, native_bf16
from jetgen.errors import UsageError
from jetgen.sampling.precision import resolve_precision

CPU = torch.device("cpu")


@pytest.mark.parametrize(("requested", "model", "native", "expected"), [
    ("auto", "bf16", True, "bf16"),
    ("auto", "bf16", False, "fp32"),  # emulated bf16 is slower than fp32
    ("auto", "fp32", True, "fp32"),
    ("fp32", "bf16", True, "fp32"),  # an explicit choice always wins
    ("bf16", "fp32", False, "bf16"),
])
def test_auto_precision_follows_the_model_where_bf16_is_native(monkeypatch, requested, model,
                                                                native, expected):
    monkeypatch.setattr(precision_module, "native_bf16", lambda device: native)
    assert resolve_precision(requested, model, CPU) == expected


def test_native_bf16_reads_the_cpu_flags(monkeypatch):
    monkeypatch.setattr(device_module, "_cpu_flags", lambda: frozenset({"avx512f"}))
    assert not native_bf16(CPU)
    monkeypatch.setattr(device_module, "_cpu_flags", lambda: frozenset({"amx_bf16"}))
    assert native_bf16(CPU)
    assert not native_bf16(torch.device("meta"))


def test_auto_is_for_sampling_only():
    with pytest.raises(UsageError, match=r"--precision must be one of fp32, bf16, got 'auto'"):
        check_precision("auto")
    with pytest.raises(UsageError, match=r"auto, fp32, bf16.*did you mean 'bf16'"):
        resolve_precision("bf61", "fp32", CPU)
