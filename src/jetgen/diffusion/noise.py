"""Per-jet Gaussian noise that depends only on (jet seed, draw, element), never on the
batch a jet lands in or on the device: a counter-based hash (splitmix64) + Box–Muller.

A stateful ``torch.Generator`` would tie every jet's noise to its position in the batch;
hashing the counters instead makes jet ``s`` the same whether it is generated alone, in a
batch of 7 or of 10 000, or split across workers. Draw 0 is a jet's initial noise;
stochastic samplers use draws 1, 2, … for their per-step noise.

The random bits are identical on every device (pure int64 arithmetic). The normals come
from float64 ``log``/``cos``/``sin``, which may differ in the last ulp between CPU and GPU
maths libraries; after rounding to float32 such differences essentially never show.
"""

from __future__ import annotations

import math

import torch

_MASK64 = (1 << 64) - 1


def _signed(value: int) -> int:
    """A 64-bit pattern as the int64 torch stores (two's complement)."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


# splitmix64 constants (Steele, Lea & Flood 2014), as signed int64 literals.
_GOLDEN = _signed(0x9E3779B97F4A7C15)
_M1 = _signed(0xBF58476D1CE4E5B9)
_M2 = _signed(0x94D049BB133111EB)


def _shr(x: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift on int64: torch's ``>>`` is arithmetic (sign-extends negatives),
    so the copied sign bits are masked off."""
    return (x >> k) & ((1 << (64 - k)) - 1)


def _splitmix(x: torch.Tensor) -> torch.Tensor:
    """splitmix64's output function; int64 multiply wraps modulo 2⁶⁴ like uint64."""
    x = x + _GOLDEN
    x = (x ^ _shr(x, 30)) * _M1
    x = (x ^ _shr(x, 27)) * _M2
    return x ^ _shr(x, 31)


def _uniform(bits: torch.Tensor) -> torch.Tensor:
    """Top 53 random bits → float64 in the open interval (0, 1) (so log(u) is finite)."""
    return (_shr(bits, 11).double() + 0.5) / float(1 << 53)


def jet_noise(seeds: torch.Tensor, shape: tuple[int, ...], draw: int,
              device: torch.device | str | None = None,
              dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[B, *shape] standard normals; row i is a function of (seeds[i], draw, shape) alone.

    Args:
        seeds: [B] integer jet seeds (any integer dtype; taken modulo 2⁶⁴).
        shape: per-jet shape, e.g. ``(n_particles, n_features)``.
        draw: which independent stream of the jet to use (0 = initial noise).
        device, dtype: of the result; defaults to the seeds' device and float32.
    """
    if seeds.ndim != 1 or seeds.is_floating_point() or seeds.is_complex():
        raise ValueError(f"seeds must be a 1-D integer tensor, got {seeds.dtype} "
                         f"of shape {tuple(seeds.shape)}")
    device = torch.device(device) if device is not None else seeds.device
    count = math.prod(shape)
    half = (count + 1) // 2  # Box–Muller turns each pair of uniforms into two normals
    # Hash the seed twice, mixing the draw in between, so neighbouring seeds and draws give
    # unrelated keys; element k then uses counters key + (2k+1)·γ and key + (2k+2)·γ.
    key = _splitmix(_splitmix(seeds.to(device=device, dtype=torch.int64))
                    + _signed(draw * _M2))
    k = torch.arange(half, device=device, dtype=torch.int64)
    base = key[:, None] + 2 * k[None, :] * _GOLDEN
    u1, u2 = _uniform(_splitmix(base)), _uniform(_splitmix(base + _GOLDEN))
    radius = torch.sqrt(-2 * torch.log(u1))
    angle = 2 * math.pi * u2
    z = torch.cat([radius * torch.cos(angle), radius * torch.sin(angle)], 1)[:, :count]
    return z.reshape(len(seeds), *shape).to(dtype)


class JetNoise:
    """Noise source for samplers: ``noise(x, draw)`` gives fresh per-jet noise like ``x``.

    Draw 0 is the initial noise (:meth:`initial`); stochastic samplers ask for draws
    1, 2, …. ``draw_offset`` separates independent streams of the same jets (e.g. the
    jet-level model versus the particle model).
    """

    def __init__(self, seeds: torch.Tensor, draw_offset: int = 0):
        self.seeds = torch.as_tensor(seeds)
        self.offset = int(draw_offset)

    def __len__(self) -> int:
        return len(self.seeds)

    def initial(self, shape: tuple[int, ...], device: torch.device | str | None = None,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """[B, *shape] unit-variance starting noise (multiply by σ_max yourself)."""
        return jet_noise(self.seeds, tuple(shape), self.offset, device, dtype)

    def __call__(self, x: torch.Tensor, draw: int) -> torch.Tensor:
        if x.shape[0] != len(self.seeds):
            raise ValueError(f"noise for {x.shape[0]} jets requested from a source "
                             f"holding {len(self.seeds)} seeds")
        return jet_noise(self.seeds, tuple(x.shape[1:]), self.offset + draw, x.device,
                         x.dtype)

    def slice(self, index: slice | torch.Tensor) -> JetNoise:
        """The same jets' noise for a sub-batch (e.g. when splitting work)."""
        return JetNoise(self.seeds[index], self.offset)
