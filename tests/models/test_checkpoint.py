"""Telling safetensors weights from pickles by their first bytes."""

import pytest
import torch
from safetensors.torch import save_file

from jetgen.errors import JetgenError
from jetgen.models.checkpoint import FORMAT, read_metadata


def test_safetensors_whose_header_length_starts_like_a_pickle_load(tmp_path):
    # The header length is little-endian, so its first byte is the length mod 256, and a
    # header of 128 + 256 k bytes starts with 0x80, a pickle's first byte.
    path = tmp_path / "w.safetensors"
    for pad in range(512):
        save_file({"w": torch.zeros(2)}, str(path), metadata={"format": FORMAT, "pad": "x" * pad})
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    assert read_metadata(path)["format"] == FORMAT


def test_a_pickle_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "w.safetensors"
    torch.save({"w": torch.zeros(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(JetgenError, match="pickle"):
        read_metadata(path)
