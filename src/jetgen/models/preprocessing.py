"""Feature transforms that live with a model and are saved with it.

Particles: (etarel, phirel, log ptrel), standardised over real particles. Jets:
(log pt, eta, mass / pt, n) standardised; relative mass is what the JetNet W1M metric
uses and makes mass independent of the pT scale. Everything is stored as plain floats in
the model config so a safetensors file is self-describing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..jets import Jets

PT_REL_FLOOR = 1e-8


@dataclass
class Standardiser:
    particle_mean: list[float]
    particle_std: list[float]
    jet_mean: list[float]
    jet_std: list[float]
    n_particles: int

    @classmethod
    def fit(cls, jets: Jets) -> Standardiser:
        real = jets.particles[jets.mask].astype(np.float64)
        real[:, 2] = np.log(np.clip(real[:, 2], PT_REL_FLOOR, None))
        jet = _jet_raw(jets.jet).astype(np.float64)
        jet_var = jet.var(0)
        # n is trained dequantised (n + U(0, 1)): its spread includes the uniform's 1/12,
        # which also keeps the scale sane when every jet has the full particle count.
        jet_var[3] += 1 / 12
        return cls(
            particle_mean=real.mean(0).tolist(),
            particle_std=np.maximum(real.std(0), 1e-6).tolist(),
            jet_mean=jet.mean(0).tolist(),
            jet_std=np.maximum(np.sqrt(jet_var), 1e-6).tolist(),
            n_particles=jets.n_particles,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    # particles --------------------------------------------------------------------------
    def particles_to_model(self, particles: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Built anew rather than edited in place, so that gradients flow through it
        # (distill.pairs compares a student's output in this space).
        x = torch.stack([particles[..., 0], particles[..., 1],
                         torch.log(particles[..., 2].clamp_min(PT_REL_FLOOR))], -1)
        mean = x.new_tensor(self.particle_mean)
        std = x.new_tensor(self.particle_std)
        return ((x - mean) / std) * mask[..., None]

    def particles_from_model(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Back to JetNet form: pT_rel > 0, φ wrapped, sorted by pT_rel, padding zero."""
        mean = x.new_tensor(self.particle_mean)
        std = x.new_tensor(self.particle_std)
        y = x * std + mean
        eta, phi, logpt = y.unbind(-1)
        phi = torch.remainder(phi + math.pi, 2 * math.pi) - math.pi
        pt = torch.exp(logpt.clamp(max=0.0))
        out = torch.stack([eta, phi, pt], -1) * mask[..., None]
        order = torch.argsort(torch.where(mask, pt, -1.0), dim=1, descending=True)
        out = torch.gather(out, 1, order[..., None].expand_as(out))
        return out

    # jets --------------------------------------------------------------------------------
    def jets_to_model(self, jet: torch.Tensor, dequant: torch.Tensor | None = None) -> torch.Tensor:
        """``dequant`` ~ U(0, 1) spreads the integer n over [n, n + 1) for the jet-level
        density model; without it n sits at the bin centre (conditioning)."""
        raw = _jet_raw_torch(jet, 0.5 if dequant is None else dequant)
        return (raw - raw.new_tensor(self.jet_mean)) / raw.new_tensor(self.jet_std)

    def jets_from_model(self, z: torch.Tensor) -> torch.Tensor:
        """Inverse of jets_to_model; n comes back continuous (dequantised) and is floored."""
        raw = z * z.new_tensor(self.jet_std) + z.new_tensor(self.jet_mean)
        pt = torch.exp(raw[..., 0])
        eta = raw[..., 1]
        mass = raw[..., 2].clamp_min(0.0) * pt
        n = torch.floor(raw[..., 3]).clamp(1, self.n_particles)
        return torch.stack([pt, eta, mass, n], -1)


def _jet_raw(jet: np.ndarray) -> np.ndarray:
    pt, eta, mass, n = jet.T
    # n is integer: uniform dequantisation happens in training (see train.py); the mean
    # centre here is just a shift.
    return np.stack([np.log(pt), eta, mass / pt, n + 0.5], 1)


def _jet_raw_torch(jet: torch.Tensor, dequant) -> torch.Tensor:
    pt, eta, mass, n = jet.unbind(-1)
    return torch.stack([torch.log(pt), eta, mass / pt, n + dequant], -1)
