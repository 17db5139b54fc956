"""The shipped reference sample: test-split jets of the training data, nothing else."""

import numpy as np
import pytest

from jetgen.data.reference import write_reference
from jetgen.data.splits import split_mask
from jetgen.errors import JetgenError
from jetgen.io import read_jets, read_provenance


def test_reference_holds_the_first_test_jets_of_each_class(pythia_file, tmp_path):
    out = tmp_path / "ref.h5"
    counts = write_reference([pythia_file], out, n_per_class=5)
    assert counts == {"g": 5, "t": 5}
    ref = read_jets(out)
    data = read_jets(pythia_file)
    test = data[split_mask(data.jet_type, "test")]
    for c in (0, 2):
        np.testing.assert_array_equal(ref.of_class(c).particles, test.of_class(c)[:5].particles)
    assert read_provenance(out)["kind"] == "reference sample"


def test_reference_is_not_overwritten_and_needs_a_positive_size(pythia_file, tmp_path):
    out = tmp_path / "ref.h5"
    write_reference([pythia_file], out, n_per_class=2)
    with pytest.raises(JetgenError, match="exists"):
        write_reference([pythia_file], out, n_per_class=2)
    with pytest.raises(JetgenError, match="positive"):
        write_reference([pythia_file], tmp_path / "other.h5", n_per_class=0)
