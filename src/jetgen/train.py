"""The training loop shared by `jetgen train` and `jetgen distill`: AdamW with warm-up and
cosine decay, EMA weights, gradient clipping, validation, atomic checkpoints and exact
resume.

Every random draw of step k comes from a generator seeded by (seed, k), so a resumed run
repeats exactly what the uninterrupted run would have done.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import torch

from .config import RunConfig, to_dict
from .data.splits import jet_range, load_splits
from .distributed import DistContext, check_options, wrap_objective
from .errors import JetgenError
from .io.atomic import temporary_sibling
from .jets import Jets
from .models.checkpoint import save_model
from .models.jetmodel import JetModel
from .objective import Objective, Tensors, diffusion_losses, draw_noise, step_generator

STATE_FILE = "state.safetensors"
EMA_FILE = "ema.safetensors"
LOG_FILE = "metrics.jsonl"


def balanced_index(class_rows: list[torch.Tensor], b: int,
                   gen: torch.Generator) -> torch.Tensor:
    """``b`` rows, slot i from class i mod C (``class_rows[c]``: that class's rows),
    uniform within it."""
    sizes = torch.tensor([len(r) for r in class_rows])
    slot_class = torch.arange(b) % len(class_rows)
    within = (torch.rand(b, generator=gen, dtype=torch.float64) * sizes[slot_class]).long()
    pooled = torch.cat(class_rows)
    offsets = torch.cumsum(sizes, 0) - sizes
    return pooled[offsets[slot_class] + within]


def lr_factor(step: int, warmup: int, total: int, schedule: str = "cosine",
              anneal_from: int = 0) -> float:
    """Linear warm-up, then cosine decay to zero at ``total``, or (``"constant"``) the peak
    rate for good: a run that can be extended by any number of steps, its EMA doing the
    averaging that the decay would; or (``"anneal"``) the peak rate until ``anneal_from``
    and a cosine decay to zero from there to ``total``: how a constant-rate run ends, once
    its validation curve says so."""
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant" or (schedule == "anneal" and step < anneal_from):
        return 1.0
    start = max(warmup, anneal_from) if schedule == "anneal" else warmup
    progress = min(1.0, (step - start) / max(1, total - start))
    return 0.5 * (1 + math.cos(math.pi * progress))


class Trainer:
    """One training run. ``dist`` (distributed.py) splits every global batch over the
    processes of a data-parallel run; ``precision="bf16"`` autocasts the forward pass;
    ``compile`` wraps it in torch.compile. Those three need the default diffusion loss."""

    def __init__(self, model: JetModel, run: RunConfig, run_dir: Path, train: Jets,
                 val: Jets, device: torch.device, provenance: dict | None = None,
                 loss_fn: Callable | None = None,
                 after_step: Callable[[Trainer], None] | None = None, *,
                 dist: DistContext | None = None, precision: str = "fp32",
                 compile: bool = False):
        self.model = model.to(device)
        self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.cfg = run.train
        self.run = run
        self.run_dir = Path(run_dir)
        self.device = device
        self.dist = dist or DistContext(device=device)
        self.provenance = provenance or {}
        self.train_data = Tensors.from_jets(model, train)
        self.val_data = Tensors.from_jets(model, val[: self.cfg.val_jets])
        self.loss_fn = loss_fn or (lambda m, b, g: diffusion_losses(m, b, g, self.cfg))
        self.after_step = after_step
        # Frozen parts (a distilled student's jet-level model) get no optimiser state, so
        # weight decay cannot drift them.
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=self.cfg.lr,
                                     weight_decay=self.cfg.weight_decay)
        self.step = 0
        self._class_rows: list[torch.Tensor] | None = None
        #: Step the learning-rate warm-up counts from (0, or where a compact resume began).
        self.warmup_from = 0
        #: Physics validation (evaluation/validation.py) every cfg.physics_every steps.
        self.physics = None
        check_options(self.dist, precision, self.cfg.batch_size, custom_loss=loss_fn is not None,
                      compile=compile)
        #: Called after every checkpoint (state a loss keeps outside the model).
        self.checkpoint_hooks: list[Callable[[], None]] = []
        self.objective = None if loss_fn is not None else wrap_objective(
            Objective(self.model, precision), self.dist, compile)

    # ---- one optimisation step -------------------------------------------------------
    def batch_index(self, gen: torch.Generator) -> torch.Tensor:
        """Rows of step's batch: uniform over the pooled training set, or (balance_classes)
        slot i from class i mod C, uniform within it."""
        b = self.cfg.batch_size
        if not self.cfg.balance_classes:
            return torch.randint(len(self.train_data), (b,), generator=gen)
        if self._class_rows is None:
            jet_type = self.train_data.jet_type
            self._class_rows = [torch.nonzero(jet_type == c).flatten()
                                for c in torch.unique(jet_type).tolist()]
        return balanced_index(self._class_rows, b, gen)

    def train_step(self) -> dict:
        cfg, ctx = self.cfg, self.dist
        gen = step_generator(cfg.seed, self.step)
        index = self.batch_index(gen)
        self.model.train()
        if self.objective is None:
            particle, jet = self.loss_fn(self.model, self.train_data.batch(index, self.device),
                                         gen)
        else:
            # Every rank draws the global batch's noise and keeps its own rows: the global
            # batch is the one a single process would see.
            rows = ctx.rows(cfg.batch_size)
            draws = draw_noise(cfg.batch_size, tuple(self.train_data.x.shape[1:]), gen, cfg)
            particle, jet = self.objective(*self.train_data.batch(index[rows], self.device),
                                           *(d[rows] for d in draws))
        loss = particle.mean() + cfg.jet_loss_weight * jet.mean()
        if ctx.active:
            sums = ctx.all_sum(torch.stack([particle.sum(), jet.sum()]).detach())
            particle_loss, jet_loss = (sums / cfg.batch_size).tolist()
            total = particle_loss + cfg.jet_loss_weight * jet_loss
            # DDP averages gradients over ranks; weighting by this rank's share of the batch
            # turns that average into the gradient of the global batch mean.
            loss = loss * (len(particle) * ctx.world_size / cfg.batch_size)
        else:
            particle_loss, jet_loss, total = particle.mean().item(), jet.mean().item(), loss.item()
        if not math.isfinite(total):
            raise JetgenError(f"training diverged at step {self.step} (loss {total})")
        for group in self.opt.param_groups:
            group["lr"] = cfg.lr * lr_factor(self.step, cfg.warmup_steps, cfg.total_steps,
                                               cfg.lr_schedule, cfg.anneal_from)
            if self.warmup_from and self.step - self.warmup_from < cfg.warmup_steps:
                group["lr"] *= (self.step - self.warmup_from + 1) / cfg.warmup_steps
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, cfg.grad_clip)
        self.opt.step()
        self._update_ema()
        if self.after_step is not None:
            self.after_step(self)
        self.step += 1
        return {"step": self.step, "loss": total, "particle_loss": particle_loss,
                "jet_loss": jet_loss, "grad_norm": float(grad_norm),
                "lr": self.opt.param_groups[0]["lr"]}

    @torch.no_grad()
    def _update_ema(self) -> None:
        # Ramp the decay up early on (as k-diffusion's EMA warm-up) so the EMA is usable
        # long before 1/(1-decay) steps have passed.
        decay = min(self.cfg.ema_decay, (1 + self.step) / (10 + self.step))
        for e, p in zip(self.ema.parameters(), self.model.parameters(), strict=True):
            e.lerp_(p, 1 - decay)
        for e, b in zip(self.ema.buffers(), self.model.buffers(), strict=True):
            e.copy_(b)

    @torch.no_grad()
    def validate(self) -> dict:
        gen = step_generator(self.cfg.seed + 1_000_003, 0)  # the same draws every time
        n = len(self.val_data)
        totals = torch.zeros(2)
        for start in range(0, n, 1024):
            index = torch.arange(start, min(n, start + 1024))
            batch = self.val_data.batch(index, self.device)
            particle, jet = self.loss_fn(self.ema, batch, gen)
            totals += torch.stack([particle.sum(), jet.sum()]).cpu()
        return {"val_particle_loss": (totals[0] / n).item(), "val_jet_loss": (totals[1] / n).item()}

    # ---- the loop ----------------------------------------------------------------------
    def fit(self, until_step: int, on_step: Callable[[dict], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> dict:
        """Train to ``until_step``. In a distributed run only rank 0 validates, logs, calls
        ``on_step`` and writes checkpoints; a stop request on any rank stops them all."""
        main = self.dist.is_main
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.run_dir / LOG_FILE, "a") if main else None  # noqa: SIM115
        last: dict = {}
        t0, jets_seen = time.perf_counter(), 0
        try:
            while self.step < until_step:
                record = self.train_step()
                jets_seen += self.cfg.batch_size
                record["jets_per_s"] = jets_seen / (time.perf_counter() - t0)
                if main and (self.step % self.cfg.val_every == 0 or self.step == until_step):
                    record.update(self.validate())
                if (main and self.physics is not None
                        and self.step % self.cfg.physics_every == 0):
                    record["physics_score"] = self.physics.measure(self.ema, self.step)["score"]
                if log is not None:
                    log.write(json.dumps(record) + "\n")
                if self.step % self.cfg.checkpoint_every == 0 or self.step == until_step:
                    if log is not None:
                        log.flush()
                    self.save()
                last = record
                if on_step is not None and main:
                    on_step(record)
                stop = should_stop is not None and should_stop()
                if self.dist.any(stop):
                    self.save()
                    break
            self.dist.check_same(self.ema, "EMA weights")
        finally:
            if log is not None:
                log.close()
        return last

    # ---- checkpoints ---------------------------------------------------------------------
    def save(self) -> None:
        """Checkpoint (rank 0 only; the state is the same on every rank and holds nothing
        rank-specific, so any number of ranks can resume it)."""
        from safetensors.torch import save_file

        if not self.dist.is_main:
            return
        meta = {"train_step": self.step, "run": to_dict(self.run), **self.provenance}
        save_model(self.run_dir / EMA_FILE, self.ema, metadata=meta)
        tensors = {f"model.{k}": v.detach().cpu().contiguous()
                   for k, v in self.model.state_dict().items()}
        tensors.update({f"ema.{k}": v.detach().cpu().contiguous()
                        for k, v in self.ema.state_dict().items()})
        for i, p in enumerate(self.params):
            for key, value in self.opt.state.get(p, {}).items():
                tensors[f"opt.{i}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
        path = self.run_dir / STATE_FILE
        tmp = temporary_sibling(path)
        save_file(tensors, str(tmp), metadata={"step": str(self.step),
                                               "run": json.dumps(to_dict(self.run))})
        os.replace(tmp, path)
        for hook in self.checkpoint_hooks:
            hook()

    def resume(self) -> bool:
        from safetensors import safe_open
        from safetensors.torch import load_file

        path = self.run_dir / STATE_FILE
        if not path.exists():
            return False
        with safe_open(str(path), "pt") as f:
            step = int((f.metadata() or {})["step"])
        tensors = load_file(str(path))
        self.model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        self.ema.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
        for key, value in tensors.items():
            if key.startswith("opt."):
                _, i, name = key.split(".", 2)
                self.opt.state[self.params[int(i)]][name] = value.to(self.device)
        self.step = step
        if step and not self.opt.state:
            # A compact checkpoint (weights, no AdamW moments): fresh moments make the first
            # updates full-size steps in every direction, so warm the rate up again.
            self.warmup_from = step
        return True


def _initial_model(name: str) -> tuple[JetModel, dict]:
    """The model a run starts from, and the record of where it came from."""
    from .errors import UsageError
    from .models.checkpoint import read_model
    from .registry import resolve_model, sha256_file

    path = resolve_model(name)[0]
    model, meta = read_model(path)
    if meta.get("distillation") or model.config.parameterization != "edm":
        raise UsageError(f"{path}: a distilled student; --init-from takes a teacher")
    return model.train(), {"path": str(path), "sha256": sha256_file(path),
                           "train_step": meta.get("train_step"),
                           "initialised_from": meta.get("initialised_from")}


def train_from_files(data: list[Path], run_dir: Path, run: RunConfig, *, resume: bool = False,
                     device: str = "cpu", provenance: dict | None = None,
                     on_step: Callable[[dict], None] | None = None,
                     should_stop: Callable[[], bool] | None = None, precision: str = "fp32",
                     compile: bool = False, init_from: str | None = None) -> dict:
    """Train (or resume) a teacher; returns the last log record. Weights land in
    ``run_dir/ema.safetensors`` (loadable by `jetgen sample --model`).

    ``init_from`` (a model name or file): start a new run from those weights, with their
    model config and preprocessing, instead of from scratch. The way to continue training
    across machines from committed EMA weights, which carry no optimiser state.

    Under torchrun (WORLD_SIZE > 1 in the environment) every process calls this and they
    train one model data-parallel (distributed.py)."""
    from .config import ModelConfig, from_dict
    from .device import check_precision
    from .distributed import session
    from .models.checkpoint import read_metadata
    from .models.preprocessing import Standardiser

    check_precision(precision)
    run_dir = Path(run_dir)
    state_exists = (run_dir / STATE_FILE).exists()
    if state_exists and not resume:
        raise JetgenError(f"{run_dir}: holds a training run; pass --resume to continue it or "
                          "choose another -o")
    torch.manual_seed(run.train.seed)  # initial weights, the same on every rank
    start, origin, standardiser = None, None, None
    if resume and state_exists:
        meta = read_metadata(run_dir / EMA_FILE)
        run.model = from_dict(ModelConfig, meta["config"], "checkpoint config")
        standardiser = Standardiser(**meta["standardiser"])
        origin = meta.get("initialised_from")  # a resumed run keeps its starting point
    elif init_from is not None:
        start, origin = _initial_model(init_from)
        run.model, standardiser = start.config, start.standardiser
    elif data:  # a new model: its particle count (and default network) follow the first file
        from .config import for_particles
        from .io import particles_in

        run.model = for_particles(run.model, particles_in(data[0]), str(data[0]))
    val_paths = [Path(p) for p in run.train.val_data]
    train, val = load_splits(data, run.model.n_particles, run.model.classes, val_paths)
    if standardiser is None:
        standardiser = Standardiser.fit(train)
    model = JetModel(run.model, standardiser)
    if start is not None:
        model.load_state_dict(start.state_dict())
    if origin is not None:
        provenance = {**(provenance or {}), "initialised_from": origin}
    provenance = {**(provenance or {}), "training_data": [str(p) for p in data],
                  **({"validation_data": [str(p) for p in val_paths]} if val_paths else {}),
                  "reference": {"path": str(data[0]) if len(data) == 1 else [str(p) for p in data],
                                "split": "test"},
                  "training_jet_range": jet_range(train)}
    with session(device) as dist:
        trainer = Trainer(model, run, run_dir, train, val, dist.device, provenance, dist=dist,
                          precision=precision, compile=compile)
        if run.train.physics_every > 0 and trainer.dist.is_main:
            from .evaluation.validation import PhysicsValidation

            trainer.physics = PhysicsValidation(val, run.model.classes, run.train.physics_jets,
                                                run_dir)
        if resume:
            trainer.resume()
        last = trainer.fit(run.train.total_steps, on_step=on_step, should_stop=should_stop)
        del trainer  # DDP's reducer must go before its process group (session exit)
    return last
