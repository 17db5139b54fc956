"""Per-jet log-likelihood of a model's particle model, as a density over JetNet features.

The number reported for a jet with n real constituents is

    log p(y₁ … y_n | class, jet pT, η, mass, n)  in nats,

a density over the 3n JetNet particle features y_i = (η_rel, φ_rel, pT_rel) of the real
constituents (padded slots are not part of it), conditioned exactly as the particle
denoiser is: class one-hot plus the recorded jet features. It is the model-space density
of the standardised coordinates x_i = ((η_rel, φ_rel, log pT_rel) − mean) / std plus the
log-Jacobian of that map, Σ_i [−Σ_f log std_f − log pT_rel,i]. The model is permutation
invariant, so this is the density of the constituents as an exchangeable list; the
density of the pT-ordered list that JetNet files store is larger by log n!. φ_rel is
treated as a real line (jets never reach ±π).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import JetgenError, UsageError, nearest
from ..jets import CLASSES, Jets
from ..models.jetmodel import JetModel
from ..models.preprocessing import Standardiser
from .elbo import elbo_log_likelihood
from .ode import ode_log_likelihood

METHODS: tuple[str, ...] = ("ode", "elbo")
#: ode: RK4 steps; elbo: σ strata (antithetic pairs). Chosen in benchmarks/score_speed.py.
DEFAULT_STEPS: dict[str, int] = {"ode": 32, "elbo": 32}
DEFAULT_PROBES = 4
SPACE = ("log p(constituents | class, jet pT, eta, mass, n) over the real constituents' "
         "(eta_rel, phi_rel, pT_rel), nats; model-space density plus the log-Jacobian of "
         "the standardisation and log pT_rel; exchangeable (unordered) constituents")


@dataclass
class Scores:
    """Per-jet results (numpy, float64 except ``n_particles``)."""

    logp: np.ndarray
    logp_model: np.ndarray
    log_jacobian: np.ndarray
    n_particles: np.ndarray

    @property
    def logp_per_particle(self) -> np.ndarray:
        return self.logp / self.n_particles

    @classmethod
    def concatenate(cls, parts: list[Scores]) -> Scores:
        return cls(*(np.concatenate([getattr(p, k) for p in parts])
                     for k in ("logp", "logp_model", "log_jacobian", "n_particles")))


def check_method(method: str) -> str:
    if method not in METHODS:
        raise UsageError(f"unknown --method {method!r}{nearest(method, METHODS)}")
    return method


def check_scorable(model: JetModel, classes: np.ndarray | list[int]) -> None:
    """Refuse models without a score function and classes the model never saw."""
    cfg = model.config
    if cfg.parameterization != "edm":
        raise JetgenError(f"a {cfg.parameterization} model maps noise to jets in one jump and "
                          "has no probability-flow ODE to score with; use its teacher or an "
                          "EDM (progressive) model")
    unknown = sorted({CLASSES[int(c)] for c in np.unique(classes)} - set(cfg.classes))
    if unknown:
        raise JetgenError(f"the model was not trained on class(es) {', '.join(unknown)}")


def canonical_order(particles: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real constituents first, by pT_rel descending (ties: η_rel, then φ_rel); padding zero.

    The network is permutation equivariant, so the order does not change the density; a
    fixed order makes the per-slot seeded probes and noise see the same particle whatever
    order the file lists them in, so the estimate itself is permutation invariant.
    """
    particles = np.where(mask[..., None], particles, 0.0)
    keys = (particles[..., 1], particles[..., 0], -particles[..., 2], ~mask)
    order = np.lexsort(keys, axis=-1)
    return (np.take_along_axis(particles, order[..., None], 1),
            np.take_along_axis(mask, order, 1))


def fit_slots(particles: np.ndarray, mask: np.ndarray,
              n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Canonically ordered jets padded or cut to the model's particle slots."""
    most = int(mask.sum(1).max()) if len(mask) else 0
    if most > n_slots:
        raise JetgenError(f"jets have up to {most} constituents; the model handles "
                          f"{n_slots}")
    have = mask.shape[1]
    if have >= n_slots:
        return particles[:, :n_slots], mask[:, :n_slots]
    pad = n_slots - have
    return (np.pad(particles, ((0, 0), (0, pad), (0, 0))),
            np.pad(mask, ((0, 0), (0, pad))))


def check_jets(jets: Jets) -> None:
    """One clear error for inputs that have no density: NaN/inf, pT_rel ≤ 0, empty jets."""
    real = jets.particles[jets.mask]
    if not np.isfinite(real).all() or not np.isfinite(jets.jet).all():
        raise JetgenError("input holds NaN/inf particle or jet features; nothing was scored")
    if (real[:, 2] <= 0).any():
        raise JetgenError(f"{int((real[:, 2] <= 0).sum())} real constituents have pT_rel "
                          "<= 0, where the density over log pT_rel is undefined")
    empty = int((jets.mask.sum(1) == 0).sum())
    if empty:
        raise JetgenError(f"{empty} jets have no constituents; there is nothing to score")


def preprocessing_log_jacobian(standardiser: Standardiser, particles: np.ndarray,
                               mask: np.ndarray) -> np.ndarray:
    """[N] log |det ∂x/∂y| of JetNet features y → model coordinates x, over real particles."""
    per_particle = -np.log(np.asarray(standardiser.particle_std, np.float64)).sum()
    log_pt = np.log(np.where(mask, particles[..., 2].astype(np.float64), 1.0))
    return (mask.sum(1) * per_particle - (log_pt * mask).sum(1)).astype(np.float64)


def score_batch(model: JetModel, jets: Jets, seeds: np.ndarray, *, method: str = "ode",
                steps: int | None = None, probes: int = DEFAULT_PROBES,
                jet_type: np.ndarray | None = None,
                device: str | torch.device = "cpu") -> Scores:
    """Log-likelihoods of ``jets`` (see the module docstring for the space).

    Args:
        seeds: [N] per-jet seeds (jetgen uses seed + index in the input), so a jet's
            estimate does not depend on the batch it is scored in.
        method: ``ode`` (probability flow + Hutchinson) or ``elbo`` (variational bound).
        steps: ODE steps (ode) or σ strata (elbo); default :data:`DEFAULT_STEPS`.
        probes: Hutchinson probes per ODE node (ode only); 0 = exact trace.
        jet_type: class to condition on (default: each jet's recorded class).
    """
    check_method(method)
    jet_type = jets.jet_type if jet_type is None else np.asarray(jet_type)
    check_scorable(model, jet_type)
    check_jets(jets)
    steps = DEFAULT_STEPS[method] if steps is None else steps
    cfg = model.config
    particles, mask = canonical_order(jets.particles, jets.mask)
    particles, mask = fit_slots(particles, mask, cfg.n_particles)
    log_jacobian = preprocessing_log_jacobian(model.standardiser, particles, mask)
    t_mask = torch.as_tensor(mask, device=device)
    t_jet = torch.as_tensor(jets.jet, dtype=torch.float32, device=device)
    t_type = torch.as_tensor(jet_type, dtype=torch.long, device=device)
    t_seeds = torch.as_tensor(np.asarray(seeds).astype(np.int64), device=device)
    with torch.no_grad():
        x = model.standardiser.particles_to_model(
            torch.as_tensor(particles, dtype=torch.float32, device=device), t_mask)
        cond = model.particle_cond(t_type, t_jet)
    common = {"sigma_min": cfg.sigma_min, "sigma_max": cfg.sigma_max}
    if method == "ode":
        logp_model = ode_log_likelihood(model.particle, x, t_mask, cond, t_seeds, steps=steps,
                                        probes=probes, rho=cfg.rho, **common)
    else:
        logp_model = elbo_log_likelihood(model.particle, x, t_mask, cond, t_seeds,
                                         samples=steps, sigma_data=cfg.sigma_data, **common)
    logp_model = logp_model.cpu().numpy()
    return Scores(logp_model + log_jacobian, logp_model, log_jacobian,
                  mask.sum(1).astype(np.int32))
