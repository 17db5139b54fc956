"""Real ROOT reads jetgen's TTrees (needs `pip install root`; marked, skipped without it)."""

import numpy as np
import pytest

from jetgen.io import open_writer


@pytest.mark.root
def test_root_rdataframe_reads_the_ttree(random_jets, tmp_path):
    ROOT = pytest.importorskip("ROOT")
    path = tmp_path / "jets.root"
    jets = random_jets(500)
    with open_writer(path, 30, {"kind": "test"}) as writer:
        writer.write(jets)
    frame = ROOT.RDataFrame("tree", str(path))
    assert frame.Count().GetValue() == 500
    total = frame.Define("s", "Sum(part_ptrel)").Sum("s").GetValue()
    assert total == pytest.approx(float(jets.particles[..., 2].sum(dtype=np.float64)), rel=1e-5)
    assert frame.Sum("npart").GetValue() == jets.mask.sum()
