"""Per-jet counter-based noise: Gaussian, uncorrelated, and independent of the batch."""

import numpy as np
import pytest
import torch
from scipy import stats

from jetgen.diffusion.noise import JetNoise, _shr, _splitmix, jet_noise

SHAPE = (30, 3)


def _splitmix_reference(x: int) -> int:
    """splitmix64's output function on Python ints (unbounded, masked to 64 bits)."""
    m = (1 << 64) - 1
    x = (x + 0x9E3779B97F4A7C15) & m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def test_int64_splitmix_matches_unsigned_reference():
    # Inputs with the top bit set exercise the logical-shift emulation and wrap-around.
    values = [0, 1, 2, 12345, (1 << 63) - 1, -1, -(1 << 63), -987654321]
    got = _splitmix(torch.tensor(values, dtype=torch.int64)).tolist()
    want = [_splitmix_reference(v & ((1 << 64) - 1)) for v in values]
    assert [g & ((1 << 64) - 1) for g in got] == want
    assert _shr(torch.tensor([-1]), 11).item() == (1 << 53) - 1


def test_moments_and_ks_against_the_normal():
    z = jet_noise(torch.arange(2000), SHAPE, 0).double()
    assert abs(z.mean().item()) < 0.01
    assert abs(z.std().item() - 1) < 0.01
    flat = z.flatten().numpy()
    assert stats.kstest(flat[:50000], "norm").pvalue > 1e-3
    # Tails: Box–Muller with 53-bit uniforms reaches well beyond 4σ but stays finite.
    assert np.isfinite(flat).all() and abs(flat).max() > 4


def test_no_correlation_between_neighbouring_jets_and_elements():
    z = jet_noise(torch.arange(3000), SHAPE, 0).double().numpy().reshape(3000, -1)
    jets = np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]
    elements = np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]
    # The two halves of each Box–Muller pair (cos, sin of the same uniforms) are
    # uncorrelated too, though dependent; check them explicitly.
    half = z.shape[1] // 2
    pairs = np.corrcoef(z[:, :half].ravel(), z[:, half:2 * half].ravel())[0, 1]
    for value in (jets, elements, pairs):
        assert abs(value) < 0.01
    # Consecutive seeds must not give near-identical streams (a weak hash would).
    assert np.abs(z[:-1] - z[1:]).mean() > 1.0


def test_same_jet_same_noise_in_batches_of_any_size():
    seeds = torch.arange(1000, 1064)
    full = jet_noise(seeds, SHAPE, 3)
    for size in (7, 64):
        parts = torch.cat([jet_noise(seeds[i:i + size], SHAPE, 3) for i in range(0, 64, size)])
        assert torch.equal(parts, full)
    # A jet drawn alone, or in a shuffled batch, is unchanged as well.
    perm = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(jet_noise(seeds[perm], SHAPE, 3), full[perm])
    assert torch.equal(jet_noise(seeds[5:6], SHAPE, 3), full[5:6])


def test_draws_and_seeds_differ():
    seeds = torch.arange(16)
    draws = [jet_noise(seeds, SHAPE, d) for d in range(4)]
    for a in range(4):
        for b in range(a + 1, 4):
            assert not torch.isclose(draws[a], draws[b]).any()
    assert not torch.isclose(jet_noise(seeds + 16, SHAPE, 0), draws[0]).any()


def test_large_and_negative_seeds_are_fine():
    # Seeds come from uint64 jet seeds reinterpreted as int64, so negatives are normal.
    seeds = torch.tensor([-1, -(1 << 63), (1 << 63) - 1, 0], dtype=torch.int64)
    z = jet_noise(seeds, (5,), 0)
    assert torch.isfinite(z).all() and len({tuple(r) for r in z.tolist()}) == 4


def test_dtype_device_and_odd_shapes():
    seeds = torch.arange(5, dtype=torch.int32)
    z = jet_noise(seeds, (3, 3), 1, device="cpu", dtype=torch.float64)
    assert z.shape == (5, 3, 3) and z.dtype == torch.float64
    # float32 is the float64 draw rounded: the same numbers, not a different stream.
    assert torch.equal(jet_noise(seeds, (3, 3), 1), z.float())
    assert jet_noise(seeds, (), 0).shape == (5,)
    with pytest.raises(ValueError, match="integer"):
        jet_noise(torch.zeros(3), (2,), 0)


def test_jetnoise_source():
    seeds = torch.arange(10)
    source = JetNoise(seeds, draw_offset=100)
    x = torch.zeros(10, 4, 2, dtype=torch.float64)
    assert torch.equal(source.initial((4, 2), dtype=torch.float64),
                       jet_noise(seeds, (4, 2), 100, dtype=torch.float64))
    step = source(x, 2)
    assert step.dtype == x.dtype and step.shape == x.shape
    assert torch.equal(step, jet_noise(seeds, (4, 2), 102, dtype=torch.float64))
    assert torch.equal(source.slice(slice(3, 6))(x[3:6], 2), step[3:6])
    assert len(source) == 10
    with pytest.raises(ValueError, match="10 seeds"):
        source(x[:4], 1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_same_noise_on_the_gpu():
    seeds = torch.arange(-50, 200)
    bits = _splitmix(seeds)
    assert torch.equal(_splitmix(seeds.cuda()).cpu(), bits)  # integer maths: exact
    # float64 log/cos/sin may differ in the last ulp between CPU and GPU libraries.
    assert torch.allclose(jet_noise(seeds.cuda(), SHAPE, 2).cpu(), jet_noise(seeds, SHAPE, 2),
                          rtol=1e-6, atol=1e-6)
