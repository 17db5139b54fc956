"""The teacher's own samples as regression targets (Luhman & Luhman 2021).

A pair is (a jet's seed and conditions) → the jet the multi-step teacher draws from that
seed's noise. The pairs are an ordinary file of ``jetgen sample --conditions TRAIN.h5
--seed S``: every jet carries its ``jet_seed`` (which fixes its initial noise, see
``diffusion.noise``) and the kinematics it was drawn for, so they are made once, in the
background or sharded over batch nodes, and reused by every stage that needs them:

- ``jetgen distill --method regression --pairs FILE``: a one-step student trained to map
  each pair's noise straight to the teacher's jet;
- ``jetgen distill --method adversarial --pairs FILE``: the adversarial stage's anchor is
  the teacher's multi-step output for fixed noises, not the student's own frozen start,
  so the anchor no longer pulls the student back towards the flaws it should lose.

The file stores constituents in JetNet form (sorted by pT, pT_rel clamped to 1, φ
wrapped), which loses which noise slot each came from. The loss therefore takes the
student's output through the same round trip before comparing (``jetnet_form``): a
student that reproduces the teacher slot for slot matches the file exactly, and the loss
does not depend on the network being equivariant in any particular way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..diffusion.noise import JetNoise
from ..errors import JetgenError
from ..io import read_jets, read_provenance
from ..jets import CLASSES
from ..models.jetmodel import JetModel
from ..train import balanced_index
from .common import masked_mse, one_step_sample

#: Samplers whose output is not a function of the initial noise alone.
STOCHASTIC_SAMPLERS = frozenset({"euler_maruyama"})


@dataclass
class TeacherPairs:
    """Pairs in the student's model space: seeds → (mask, conditions, the teacher's jet)."""

    seeds: torch.Tensor  # [N] int64 jet seeds (the noise is re-drawn from them)
    mask: torch.Tensor  # [N, P] bool
    cond: torch.Tensor  # [N, C] the particle model's conditioning
    target: torch.Tensor  # [N, P, 3] the teacher's constituents, model space, pT-sorted
    jet_type: torch.Tensor  # [N] class index
    provenance: dict

    def __len__(self) -> int:
        return len(self.seeds)

    def batch(self, index: torch.Tensor, device) -> tuple[torch.Tensor, ...]:
        """(unit noise, mask, cond, target) of rows ``index``."""
        mask = self.mask[index].to(device)
        noise = JetNoise(self.seeds[index]).initial(tuple(self.target.shape[1:]), device)
        return (noise * mask[..., None], mask, self.cond[index].to(device),
                self.target[index].to(device))

    def summary(self) -> dict:
        """What a student's metadata records of its pairs."""
        p = self.provenance
        return {"file": p.get("file"), "jets": len(self), "model": p.get("model"),
                "model_sha256": p.get("model_sha256"), "sampler": p.get("sampler"),
                "steps": p.get("steps"), "seed": p.get("seed")}


def read_pairs(paths: Path | str | list, model: JetModel) -> TeacherPairs:
    """Pairs from one or more ``jetgen sample --conditions`` files (e.g. one per class, or
    the shards of one run), in ``model``'s space (the student's standardiser and
    conditioning). Refuses files that cannot be pairs: no per-jet seeds, no conditions, a
    stochastic sampler, another particle count, or seeds repeated across files (two runs
    with the same --seed draw the same noise for their j-th jets)."""
    paths = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
    parts = [_read_one(p, model) for p in paths]
    seeds = torch.cat([p.seeds for p in parts])
    if len(torch.unique(seeds)) < len(seeds):
        raise JetgenError(f"{', '.join(map(str, paths))}: jets share seeds, so their noise "
                          "repeats; give each pairs run its own --seed")
    prov = parts[0].provenance if len(parts) == 1 else {
        "file": [p.provenance["file"] for p in parts],
        **{k: _common(parts, k) for k in ("model", "model_sha256", "sampler", "steps", "seed")}}
    mask, cond, target, jet_type = (torch.cat([getattr(p, k) for p in parts])
                                    for k in ("mask", "cond", "target", "jet_type"))
    return TeacherPairs(seeds, mask, cond, target, jet_type, prov)


def _common(parts: list[TeacherPairs], key: str):
    """A provenance field shared by all files, else the list of each file's."""
    values = [p.provenance.get(key) for p in parts]
    return values[0] if all(v == values[0] for v in values) else values


def _read_one(path: Path, model: JetModel) -> TeacherPairs:
    if not path.exists():
        raise JetgenError(f"pairs file not found: {path}")
    prov = read_provenance(path)
    if prov.get("kind") != "generated" or not prov.get("conditions"):
        raise JetgenError(f"{path}: not teacher pairs (make them with `jetgen sample --model "
                          "TEACHER --conditions TRAIN.h5 --seed S -o PAIRS.h5`)")
    if prov.get("sampler") in STOCHASTIC_SAMPLERS:
        raise JetgenError(f"{path}: sampled with {prov['sampler']}, which is stochastic: its "
                          "jets are not a function of their seed's noise")
    jets = read_jets(path)
    if "jet_seed" not in jets.extra:
        raise JetgenError(f"{path}: has no jet_seed column, so its noise cannot be re-drawn")
    if jets.n_particles != model.config.n_particles:
        raise JetgenError(f"{path}: {jets.n_particles} particles per jet, the student has "
                          f"{model.config.n_particles}")
    names = {CLASSES[int(c)] for c in np.unique(jets.jet_type)}
    if not names <= set(model.config.classes):
        raise JetgenError(f"{path}: classes {sorted(names - set(model.config.classes))} are "
                          f"not among the student's {model.config.classes}")
    with torch.no_grad():
        jet = torch.from_numpy(jets.jet).float()
        jet_type = torch.from_numpy(jets.jet_type).long()
        mask = model.particle_mask(jet)
        if not torch.equal(mask, torch.from_numpy(jets.mask).bool()):
            raise JetgenError(f"{path}: the masks disagree with the jets' multiplicity n")
        target = model.standardiser.particles_to_model(torch.from_numpy(jets.particles), mask)
        cond = model.particle_cond(jet_type, jet)
    seeds = torch.from_numpy(jets.extra["jet_seed"].astype(np.uint64).view(np.int64))
    return TeacherPairs(seeds, mask, cond, target, jet_type, {**prov, "file": str(path)})


def jetnet_form(model: JetModel, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Model-space constituents taken through the round trip a written jet takes (JetNet
    form: sorted by pT, pT_rel at most 1, φ wrapped; standardiser.particles_from_model) and
    back: what the pairs file holds of the teacher's output. Differentiable almost
    everywhere (a sort is a permutation, a clamp is flat)."""
    s = model.standardiser
    return s.particles_to_model(s.particles_from_model(x.float(), mask), mask)


class PairRegression:
    """The Trainer's loss: each step draws a class-balanced batch of pairs (from the step's
    generator, so a resumed run sees the same batches) and returns the per-jet MSE between
    the student's one step from the pair's noise and the teacher's jet. The real-jet batch
    the Trainer passes is not used."""

    def __init__(self, pairs: TeacherPairs, batch_size: int):
        self.pairs = pairs
        self.batch_size = batch_size
        self.rows = [torch.nonzero(pairs.jet_type == c).flatten()
                     for c in torch.unique(pairs.jet_type).tolist()]

    def draw(self, gen: torch.Generator, device) -> tuple[torch.Tensor, ...]:
        return self.pairs.batch(balanced_index(self.rows, self.batch_size, gen), device)

    def mse(self, student: JetModel, gen: torch.Generator, device) -> torch.Tensor:
        noise, mask, cond, target = self.draw(gen, device)
        out = one_step_sample(student, noise, mask, cond)
        return masked_mse(jetnet_form(student, out, mask), target, mask)

    def __call__(self, student: JetModel, batch, gen: torch.Generator):
        loss = self.mse(student, gen, batch[0].device)
        return loss, torch.zeros_like(loss)
