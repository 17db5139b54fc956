"""Per-jet Gaussian noise that depends only on (jet seed, draw, element), never on the
batch a jet lands in or the device: a counter-based hash (splitmix64) + Box–Muller."""

from __future__ import annotations

import math

import torch

_MASK64 = (1 << 64) - 1


def _signed(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_M1 = _signed(0xBF58476D1CE4E5B9)
_M2 = _signed(0x94D049BB133111EB)


def _shr(x: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift on int64 (torch's >> is arithmetic on negatives)."""
    return (x >> k) & ((1 << (64 - k)) - 1)


def _splitmix(x: torch.Tensor) -> torch.Tensor:
    x = x + _GOLDEN
    x = (x ^ _shr(x, 30)) * _M1
    x = (x ^ _shr(x, 27)) * _M2
    return x ^ _shr(x, 31)


def _uniform(bits: torch.Tensor) -> torch.Tensor:
    """53 random bits → float64 in (0, 1)."""
    return (_shr(bits, 11).double() + 0.5) / float(1 << 53)


def jet_noise(seeds: torch.Tensor, shape: tuple[int, ...], draw: int,
              device: torch.device | str | None = None,
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[B, *shape] standard normals; row i is a function of (seeds[i], draw) alone."""
    device = device or seeds.device
    count = math.prod(shape)
    half = (count + 1) // 2
    key = _splitmix(_splitmix(seeds.to(device=device, dtype=torch.int64)) + _signed(draw * _M2))
    k = torch.arange(half, device=device, dtype=torch.int64)
    base = key[:, None] + 2 * k[None, :] * _GOLDEN
    u1, u2 = _uniform(_splitmix(base)), _uniform(_splitmix(base + _GOLDEN))
    radius = torch.sqrt(-2 * torch.log(u1))
    z = torch.cat([radius * torch.cos(2 * math.pi * u2), radius * torch.sin(2 * math.pi * u2)],
                  1)[:, :count]
    return z.reshape(len(seeds), *shape).to(dtype)


class JetNoise:
    """Noise source for samplers: ``noise(x, draw)`` gives fresh per-jet noise like ``x``.

    Draw 0 is the initial noise; stochastic samplers use draws 1, 2, …; ``draw_offset``
    separates independent streams of the same jets (e.g. jet-level vs particle model).
    """

    def __init__(self, seeds: torch.Tensor, draw_offset: int = 0):
        self.seeds = seeds
        self.offset = draw_offset

    def initial(self, shape: tuple[int, ...], device=None) -> torch.Tensor:
        return jet_noise(self.seeds, shape, self.offset, device)

    def __call__(self, x: torch.Tensor, draw: int) -> torch.Tensor:
        return jet_noise(self.seeds, tuple(x.shape[1:]), self.offset + draw, x.device, x.dtype)
