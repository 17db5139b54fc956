"""Per-jet likelihoods from the diffusion model (`jetgen score`) and ODE reconstructions.

* :mod:`.ode` — log p via the probability-flow ODE and a Hutchinson trace estimator;
* :mod:`.elbo` — the variational lower bound, Monte Carlo over σ;
* :mod:`.likelihood` — both applied to a model's particle model, as a density over JetNet
  features (the space is spelled out there);
* :mod:`.reconstruct` / :mod:`.images` — encode–decode round trips and their distance;
* :mod:`.files` / :mod:`.table` — files in, files out.
"""

from .elbo import elbo_log_likelihood
from .files import reconstruct_file, score_file, select_jets
from .likelihood import METHODS, SPACE, Scores, score_batch
from .ode import ode_log_likelihood
from .reconstruct import ode_samplers, reconstruct_batch
from .table import read_table

__all__ = [
    "METHODS",
    "SPACE",
    "Scores",
    "elbo_log_likelihood",
    "ode_log_likelihood",
    "ode_samplers",
    "read_table",
    "reconstruct_batch",
    "reconstruct_file",
    "score_batch",
    "score_file",
    "select_jets",
]
