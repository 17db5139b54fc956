"""Jet observables a discriminator can differentiate through: what prong-sensitive cuts see.

A discriminator that only pools per-particle features stays at chance on substructure
(prongs are a property of the whole jet's energy flow), so it is handed these directly.
All are computed from physical constituents ``(η_rel, φ_rel, pT_rel)`` of real and
generated jets in the same way, with gradients flowing to the generated particles:

* energy correlators e2, e3 at β = 1 and 2 and D2 = e3 / e2³ (β = 1) — 2-prong;
* N-subjettiness τ1, τ2, τ3 (β = 1) and τ21, τ32 — τ32 is the 3-prong (top) handle that
  two-prong correlators miss. The axes come from the same exclusive-kT clustering the
  evaluation uses (evaluation/substructure.py), run without gradients; each particle is
  assigned to its nearest axis and the axis is then re-placed at the pT-weighted centre
  of its particles, so τ_N moves with the particles (the assignment is piecewise constant);
* the constituents' invariant mass and pT sum relative to the jet (adherence to the
  conditions the generator was given).

Logs are taken of the positive, scale-spanning ones so that a standardisation fitted on
real jets makes every input O(1).
"""

from __future__ import annotations

import torch

from ..evaluation.substructure import exclusive_axes

NAMES = ("log_e2_b1", "log_e2_b2", "log_e3_b1", "log_e3_b2", "log_d2", "log_tau1",
         "log_tau2", "log_tau3", "tau21", "tau32", "log_mass_rel", "pt_sum")
_EPS = 1e-8


def _delta_r2(eta: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
    """[B, P, P] ΔR² between constituents; φ_rel of a jet's own constituents stays within
    the jet radius, so no wrap-around is needed."""
    return (eta[:, :, None] - eta[:, None, :]).square() + (phi[:, :, None] - phi[:, None, :]
                                                          ).square()


def _correlators(z: torch.Tensor, dr2: torch.Tensor, pair: torch.Tensor, beta: float):
    theta = (dr2 + _EPS).pow(beta / 2) * pair
    zz = z[:, :, None] * z[:, None, :] * theta
    e2 = zz.sum((1, 2)) / 2
    # Σ_{i<j<k} z_i z_j z_k θ_ij θ_ik θ_jk as one matrix product (θ_ii = 0), as the
    # evaluation's D2 computes it.
    e3 = (zz * (theta @ (z[:, :, None] * theta))).sum((1, 2)) / 6
    return e2, e3


def _taus(pt: torch.Tensor, eta: torch.Tensor, phi: torch.Tensor, mask: torch.Tensor
          ) -> list[torch.Tensor]:
    """[τ1, τ2, τ3], each [B]: Σ_i pT_i ΔR(i, axis of i) over pT-weighted axis centres."""
    with torch.no_grad():
        m = mask.bool()
        axes = exclusive_axes(pt.detach().double(), eta.detach().double(),
                               phi.detach().double(), m.clone())
    out = [(pt * ((eta - _centre(pt, eta, None)).square()
                  + (phi - _centre(pt, phi, None)).square() + _EPS).sqrt()).sum(1)]
    for n in (2, 3):
        y, ph, on = axes[n]
        with torch.no_grad():
            d = (eta.detach().double()[:, :, None] - y[:, None, :]).square() + (
                phi.detach().double()[:, :, None] - ph[:, None, :]).square()
            d = d.masked_fill(~on[:, None, :], float("inf"))
            member = torch.nn.functional.one_hot(d.argmin(-1), d.shape[-1]).to(pt.dtype)
            member = member * mask[..., None]
        ce = _centre(pt, eta, member)
        cp = _centre(pt, phi, member)
        dist = ((eta[:, :, None] - ce[:, None, :]).square()
                + (phi[:, :, None] - cp[:, None, :]).square() + _EPS).sqrt()
        out.append((pt * (dist * member).sum(-1)).sum(1))
    return out


def _centre(pt: torch.Tensor, coord: torch.Tensor, member: torch.Tensor | None) -> torch.Tensor:
    """pT-weighted mean of ``coord`` over each axis's members ([B, K]), or the whole jet."""
    if member is None:
        return ((pt * coord).sum(1) / pt.sum(1).clamp_min(_EPS))[:, None]
    w = pt[..., None] * member
    return (w * coord[..., None]).sum(1) / w.sum(1).clamp_min(_EPS)


def observables(particles: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[B, len(NAMES)] observables of padded ``[B, P, 3]`` jets (η_rel, φ_rel, pT_rel)."""
    m = mask.to(particles.dtype)
    eta, phi = particles[..., 0] * m, particles[..., 1] * m
    pt = particles[..., 2].clamp_min(0) * m
    pt_sum = pt.sum(1)
    z = pt / pt_sum.clamp_min(_EPS)[:, None]
    pair = m[:, :, None] * m[:, None, :]
    dr2 = _delta_r2(eta, phi)
    e2_1, e3_1 = _correlators(z, dr2, pair, 1.0)
    e2_2, e3_2 = _correlators(z, dr2, pair, 2.0)
    d2 = e3_1 / e2_1.pow(3).clamp_min(_EPS**3)
    tau1, tau2, tau3 = _taus(pt, eta, phi, m)
    # Massless constituents: m² = Σ_ij pT_i pT_j (cosh Δη − cos Δφ).
    deta = eta[:, :, None] - eta[:, None, :]
    dphi = phi[:, :, None] - phi[:, None, :]
    m2 = (pt[:, :, None] * pt[:, None, :] * (torch.cosh(deta) - torch.cos(dphi)) * pair).sum(
        (1, 2))
    mass_rel = m2.clamp_min(0).add(_EPS).sqrt() / pt_sum.clamp_min(_EPS)

    def log(x: torch.Tensor) -> torch.Tensor:
        return torch.log(x.clamp_min(_EPS))

    columns = [log(e2_1), log(e2_2), log(e3_1), log(e3_2), log(d2), log(tau1), log(tau2),
               log(tau3), tau2 / tau1.clamp_min(_EPS), tau3 / tau2.clamp_min(_EPS),
               log(mass_rel), pt_sum]
    return torch.stack(columns, -1)
