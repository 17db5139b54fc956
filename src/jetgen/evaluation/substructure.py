"""Jet substructure from constituents: N-subjettiness ratios τ21, τ32 and D2 (β = 1).

Definitions (computed from ``(pT_rel, η_rel, φ_rel)``; ratios are invariant under the
longitudinal boost and pT scale that make these relative coordinates, so the jet's own η
and pT are not needed):

* ``τ_N = Σ_i pT_i · min_a ΔR(i, a)`` (β = 1; the usual 1/(Σ pT R₀) normalisation cancels
  in the ratios). The N axes are exclusive-kT axes: particles are merged pairwise with
  ``d_ij = min(pT_i², pT_j²) ΔR_ij²`` and E-scheme (4-vector) recombination until N
  pseudojets remain; with no beam distance, as fastjet-contrib's ``ExclusiveJetAxes`` with
  ``R = max_allowable_R``. No one-pass minimisation. ΔR uses rapidity for the massive
  pseudojets, η (= rapidity) for the massless particles. τ_1 uses the jet axis.
* ``D2 = e3 / e2³`` with energy correlation functions (β = 1, pT-fraction ``z_i``):
  ``e2 = Σ_{i<j} z_i z_j ΔR_ij``, ``e3 = Σ_{i<j<k} z_i z_j z_k ΔR_ij ΔR_ik ΔR_jk``.

A ratio whose denominator is 0 (jets with too few particles: τ_N = 0 when N ≥ n) is set
to 0 rather than NaN, so every jet has a value.

All loops are over merge steps, never over jets: a batch of jets is clustered at once.
Each step scans the [P, P] distance matrix, so the cost grows as P³ per jet: fine at 30
particles (50k jets in ~7 s), minutes at 150.
"""

from __future__ import annotations

import numpy as np
import torch

from .efps import batch_size
from .threads import torch_threads

#: Jets per clustering batch: [B, P, P] float64 distance matrices (7 MB at P = 30).
BATCH = 1024
NAMES = ("tau21", "tau32", "d2")
#: Axis labels in matplotlib mathtext (plain unicode subscripts are missing from the
#: TeX Gyre fonts mplhep selects).
LABELS = {"tau21": r"$\tau_{21}$", "tau32": r"$\tau_{32}$", "d2": r"$D_2^{(\beta=1)}$"}


def _delta_r2(y1, phi1, y2, phi2) -> torch.Tensor:
    dphi = torch.remainder(phi1 - phi2 + torch.pi, 2 * torch.pi) - torch.pi
    return (y1 - y2).square() + dphi.square()


def _kinematics(px, py, pz, e):
    pt2 = px.square() + py.square()
    # Clamp keeps empty slots (all zero) finite; they are masked out by the caller.
    y = 0.5 * torch.log((e + pz).clamp_min(1e-300) / (e - pz).clamp_min(1e-300))
    return pt2, y, torch.atan2(py, px)


def _tau(pt, eta, phi, mask, axes_y, axes_phi, axes_on) -> torch.Tensor:
    """Σ_i pT_i min_a ΔR(i, a) over the live axes."""
    dr2 = _delta_r2(eta[:, :, None], phi[:, :, None], axes_y[:, None, :], axes_phi[:, None, :])
    dr2 = dr2.masked_fill(~axes_on[:, None, :], float("inf"))
    dmin = dr2.min(-1).values.clamp_max(1e30).sqrt()
    return (pt * dmin * mask).sum(1)


def exclusive_axes(pt: torch.Tensor, eta: torch.Tensor, phi: torch.Tensor, mask: torch.Tensor,
                   targets: tuple[int, ...] = (3, 2)
                   ) -> dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """The N-subjettiness axes of each jet: exclusive-kT clustering (E-scheme recombination)
    of its constituents down to N pseudojets, for each N in ``targets``.

    ``pt``, ``eta``, ``phi``: [B, P] float tensors of the constituents (float64 for
    reference values); ``mask``: [B, P] bool, False for padding. Returns ``{N: (y, φ,
    live)}``, each [B, P]: pseudojet i sits in the slot of the constituent it was merged
    into, and ``live`` marks the slots that hold one of the (at most N) axes (a jet with N
    or fewer constituents keeps them all). The inputs are not modified. Used by the
    evaluation's τ_N and by distillation's differentiable observables, so both measure
    against the same axes.
    """
    p = pt.shape[1]
    px, py = pt * torch.cos(phi), pt * torch.sin(phi)
    pz, e = pt * torch.sinh(eta), pt * torch.cosh(eta)
    active = mask.clone()
    pt2, y, ph = _kinematics(px, py, pz, e)
    d = torch.minimum(pt2[:, :, None], pt2[:, None, :]) * _delta_r2(
        y[:, :, None], ph[:, :, None], y[:, None, :], ph[:, None, :])
    off = ~(active[:, :, None] & active[:, None, :]) | torch.eye(p, dtype=torch.bool)
    d = d.masked_fill(off, float("inf"))
    out = {}
    for target in sorted(targets, reverse=True):
        while True:
            need = torch.nonzero(active.sum(1) > target).squeeze(1)
            if len(need) == 0:
                break
            flat = d[need].reshape(len(need), -1).argmin(1)
            i, j = flat // p, flat % p
            i, j = torch.minimum(i, j), torch.maximum(i, j)
            for arr in (px, py, pz, e):
                arr[need, i] += arr[need, j]
            active[need, j] = False
            pt2_i, y_i, ph_i = _kinematics(px[need, i], py[need, i], pz[need, i], e[need, i])
            pt2[need, i], y[need, i], ph[need, i] = pt2_i, y_i, ph_i
            row = torch.minimum(pt2_i[:, None], pt2[need]) * _delta_r2(
                y_i[:, None], ph_i[:, None], y[need], ph[need])
            row = row.masked_fill(~active[need], float("inf"))
            row[torch.arange(len(need)), i] = float("inf")
            d[need, i, :] = row
            d[need, :, i] = row
            d[need, j, :] = float("inf")
            d[need, :, j] = float("inf")
        out[target] = (y.clone(), ph.clone(), active.clone())
    return out


def substructure(particles: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """``{"tau21", "tau32", "d2"}`` arrays [N] for padded ``[N, P, 3]`` jets."""
    n = len(particles)
    result = {name: np.zeros(n, np.float64) for name in NAMES}
    batch = batch_size(particles.shape[1], BATCH)
    with torch_threads(1), torch.inference_mode():
        for lo in range(0, n, batch):
            p = torch.from_numpy(np.asarray(particles[lo : lo + batch], np.float64))
            m = torch.from_numpy(np.asarray(mask[lo : lo + batch], bool))
            eta, phi, pt = p[..., 0], p[..., 1], torch.where(m, p[..., 2], 0.0)
            mf = m.to(torch.float64)
            # τ1: the single exclusive-kT axis is the E-scheme sum, i.e. the jet axis.
            px, py = (pt * torch.cos(phi)).sum(1), (pt * torch.sin(phi)).sum(1)
            pz, e = (pt * torch.sinh(eta)).sum(1), (pt * torch.cosh(eta)).sum(1)
            _, jy, jphi = _kinematics(px, py, pz, e)
            on = torch.ones(len(p), 1, dtype=torch.bool)
            tau1 = _tau(pt, eta, phi, mf, jy[:, None], jphi[:, None], on)
            axes = exclusive_axes(pt, eta, phi, m)
            tau3 = _tau(pt, eta, phi, mf, *axes[3])
            tau2 = _tau(pt, eta, phi, mf, *axes[2])
            result["tau21"][lo : lo + len(p)] = _ratio(tau2, tau1)
            result["tau32"][lo : lo + len(p)] = _ratio(tau3, tau2)
            result["d2"][lo : lo + len(p)] = _d2(pt, eta, phi, m)
    return result


def _ratio(num: torch.Tensor, den: torch.Tensor) -> np.ndarray:
    return torch.where(den > 0, num / den.clamp_min(1e-300), 0.0).numpy()


def _d2(pt, eta, phi, mask) -> np.ndarray:
    z = pt / pt.sum(1, keepdim=True).clamp_min(1e-300)
    theta = _delta_r2(eta[:, :, None], phi[:, :, None], eta[:, None, :], phi[:, None, :]).sqrt()
    theta = theta * (mask[:, :, None] & mask[:, None, :])
    zz = z[:, :, None] * z[:, None, :] * theta
    e2 = zz.sum((1, 2)) / 2
    # Σ_{i,j,k} z_i z_j z_k θ_ij θ_ik θ_jk = Σ_ij (z_i z_j θ_ij) (Θ diag(z) Θ)_ij; the
    # diagonal terms vanish (θ_ii = 0), so the sum over i<j<k is that over all i,j,k / 6.
    tzt = theta @ (z[:, :, None] * theta)
    e3 = (zz * tzt).sum((1, 2)) / 6
    return _ratio(e3, e2.pow(3))
