"""Settings as dataclasses, loadable from TOML and stored as JSON inside weight files."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path

from .errors import JetgenError, nearest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NETWORKS = ("transformer", "epic")
LR_SCHEDULES = ("cosine", "constant", "anneal")


@dataclass
class NetConfig:
    kind: str = "transformer"
    dim: int = 128
    depth: int = 4
    heads: int = 4
    mlp_ratio: int = 2
    global_dim: int = 64


@dataclass
class JetNetConfig:
    dim: int = 128
    depth: int = 3


@dataclass
class ModelConfig:
    n_particles: int = 30
    classes: list[str] = field(default_factory=lambda: ["g", "q", "t", "w", "z"])
    net: NetConfig = field(default_factory=NetConfig)
    jet_net: JetNetConfig = field(default_factory=JetNetConfig)
    sigma_data: float = 1.0
    sigma_min: float = 0.002
    sigma_max: float = 80.0
    rho: float = 7.0
    #: Default sampling recipe; students overwrite these so `jetgen sample` follows them.
    sampler: str = "heun"
    steps: int = 32
    schedule: str = "karras"
    #: The jet-level model keeps its own (cheap) recipe when the particle model is distilled.
    jet_sampler: str = "heun"
    jet_steps: int = 32
    jet_schedule: str = "karras"
    #: The particle network's sampling precision under `--precision auto`: a student
    #: distilled in bf16 samples in bf16 (where the hardware runs it natively).
    precision: str = "fp32"
    #: "edm" (teacher, progressive students) or "consistency" (boundary-condition form).
    parameterization: str = "edm"


@dataclass
class TrainConfig:
    batch_size: int = 256
    lr: float = 5e-4
    weight_decay: float = 1e-5
    warmup_steps: int = 500
    total_steps: int = 100_000
    ema_decay: float = 0.999
    grad_clip: float = 1.0
    p_mean: float = -1.2
    p_std: float = 1.2
    checkpoint_every: int = 500
    val_every: int = 500
    val_jets: int = 5000
    seed: int = 0
    jet_loss_weight: float = 1.0
    #: "cosine" (decay to zero at total_steps) or "constant" after warm-up (extendable).
    lr_schedule: str = "cosine"
    #: With lr_schedule "anneal": the step the cosine decay to zero (at total_steps) starts.
    anneal_from: int = 0
    #: Every batch holds the classes in equal numbers (slot i takes class i mod C), instead
    #: of drawing jets uniformly from the pooled training set.
    balance_classes: bool = False
    #: Every this many steps, the EMA model's jets (default sampler and steps) are judged
    #: on physics against the validation split (evaluation/validation.py); 0 = never.
    physics_every: int = 0
    physics_jets: int = 1000
    #: Validation files used whole, training on all of --data (independent seeds); empty:
    #: the train and val splits of --data (data/splits.py).
    val_data: list[str] = field(default_factory=list)


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def to_dict(obj) -> dict:
    return asdict(obj)


def from_dict(cls, data: dict, where: str = "config"):
    """Build nested dataclasses; unknown keys are errors that suggest the nearest key."""
    names = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            raise JetgenError(f"{where}: unknown key {key!r}{nearest(key, names)}")
        ftype = names[key].type
        sub = {"NetConfig": NetConfig, "JetNetConfig": JetNetConfig,
               "ModelConfig": ModelConfig, "TrainConfig": TrainConfig}.get(str(ftype))
        kwargs[key] = from_dict(sub, value, f"{where}.{key}") if sub and isinstance(
            value, dict) else value
    out = cls(**kwargs)
    if isinstance(out, TrainConfig) and out.lr_schedule not in LR_SCHEDULES:
        raise JetgenError(f"{where}: unknown lr_schedule {out.lr_schedule!r}"
                          f"{nearest(out.lr_schedule, LR_SCHEDULES)}")
    if is_dataclass(out) and isinstance(out, NetConfig) and out.kind not in NETWORKS:
        raise JetgenError(f"{where}: unknown network {out.kind!r}{nearest(out.kind, NETWORKS)}")
    return out


#: Above this many particles per jet the default network is EPiC: attention costs grow as
#: P² per jet, EPiC's pooling as P (models/epic.py), and the JetNet150 literature's best
#: models (EPiC-FM, PC-Droid's successors) are of that kind.
ATTENTION_MAX_PARTICLES = 30


def for_particles(model: ModelConfig, n_particles: int, where: str = "data") -> ModelConfig:
    """``model`` fitted to ``n_particles``-particle training data, so a run is driven by its
    files' shape: a config that leaves ``n_particles`` at its default takes the data's, and
    one that also leaves the network at its default gets EPiC beyond 30 particles. A config
    that names another count is refused rather than silently retargeted."""
    import copy

    if model.n_particles == n_particles:
        return model
    if model.n_particles != ModelConfig.n_particles:
        raise JetgenError(f"{where}: holds {n_particles}-particle jets, the model is configured "
                          f"for {model.n_particles}")
    out = copy.deepcopy(model)
    out.n_particles = n_particles
    if n_particles > ATTENTION_MAX_PARTICLES and out.net == NetConfig():
        out.net = NetConfig(kind="epic")
    return out


def load_run_config(path: str | Path | None) -> RunConfig:
    if path is None:
        return RunConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise JetgenError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as err:
        raise JetgenError(f"{path}: invalid TOML ({err})") from None
    return from_dict(RunConfig, data, str(path))


def dumps_toml(data: dict, prefix: str = "") -> str:
    """Minimal TOML writer for our flat-or-nested dataclass dicts (for --dry-run)."""
    scalars, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            scalars.append(f"{key} = {_toml_value(value)}")
    out = "\n".join(scalars)
    for key, value in tables:
        name = f"{prefix}{key}"
        out += f"\n\n[{name}]\n" + dumps_toml(value, prefix=f"{name}.")
    return out.strip() + "\n" if not prefix else out


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
