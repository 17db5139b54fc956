"""What the distillation methods share: students start as copies of the teacher and learn
one part of it; losses compare particles per jet, step the teacher's sampler, and run in
the precision the student will sample in."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch

from ..config import NetConfig
from ..models.jetmodel import JetModel


def make_student(teacher: JetModel, net: NetConfig | None = None, train_part: str = "particle",
                 **config_changes) -> JetModel:
    """A copy of the teacher, or, with a different ``net``, a fresh particle network of that
    shape (cheaper to sample) beside a copy of the teacher's jet-level model. Only
    ``train_part`` ("particle" or "jet") is left trainable."""
    config = copy.deepcopy(teacher.config)
    for key, value in config_changes.items():
        setattr(config, key, value)
    fresh = net is not None and net != teacher.config.net
    if fresh:
        config.net = copy.deepcopy(net)
    student = JetModel(config, teacher.standardiser)
    state = teacher.state_dict()
    if fresh:
        state = {k: v for k, v in state.items() if not k.startswith("particle.")}
        missing, unexpected = student.load_state_dict(state, strict=False)
        assert not unexpected and all(k.startswith("particle.") for k in missing)
    else:
        student.load_state_dict(state)
    # The part not being distilled is kept exactly as the teacher's.
    student.jet.requires_grad_(train_part == "jet")
    student.particle.requires_grad_(train_part == "particle")
    return student


def one_step_sample(model: JetModel, noise: torch.Tensor, mask: torch.Tensor,
                    cond: torch.Tensor) -> torch.Tensor:
    """The student's one Euler step from σ_max to 0, which is its denoiser at σ_max."""
    sigma = torch.full((noise.shape[0],), model.config.sigma_max, device=noise.device)
    return model.particle(noise * model.config.sigma_max, sigma, mask, cond)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-jet mean squared error over real particles and features."""
    err = ((pred - target) ** 2 * mask[..., None]).sum((1, 2))
    return err / (mask.sum(1) * pred.shape[-1]).clamp_min(1)


def sampler_step(sampler, denoiser, x, sigma_from: float, sigma_to: float, mask, cond):
    """One deterministic step of a sampler (``diffusion.samplers``) between two noise
    levels: the teacher's move in a distillation target."""
    sigmas = torch.tensor([sigma_from, sigma_to], dtype=x.dtype, device=x.device)
    return sampler(denoiser, x, sigmas, extra_args={"mask": mask, "cond": cond})


def with_precision(loss_fn: Callable, device: torch.device, precision: str) -> Callable:
    """``loss_fn`` with its forward passes autocast to bf16 (losses returned in fp32)."""
    if precision == "fp32":
        return loss_fn

    def autocast_loss(student, batch, gen):
        with torch.autocast(device.type, dtype=torch.bfloat16):
            particle, jet = loss_fn(student, batch, gen)
        return particle.float(), jet.float()

    return autocast_loss


def critic_state(prefix: str, opt_prefix: str, module: torch.nn.Module,
                 opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """A network trained beside the student (discriminator, fake score) and its optimiser
    moments, as flat tensors ``prefix.NAME`` and ``opt_prefix.I.KEY`` for safetensors."""
    tensors = {f"{prefix}.{k}": v.detach().cpu().contiguous()
               for k, v in module.state_dict().items()}
    for i, p in enumerate(module.parameters()):
        for key, value in opt.state.get(p, {}).items():
            tensors[f"{opt_prefix}.{i}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
    return tensors


def load_critic_state(prefix: str, opt_prefix: str, tensors: dict[str, torch.Tensor],
                      module: torch.nn.Module, opt: torch.optim.Optimizer, device) -> None:
    """Inverse of :func:`critic_state`."""
    module.load_state_dict({k[len(prefix) + 1:]: v for k, v in tensors.items()
                            if k.startswith(prefix + ".")})
    params = list(module.parameters())
    for key, value in tensors.items():
        if key.startswith(opt_prefix + "."):
            _, i, name = key.split(".", 2)
            opt.state[params[int(i)]][name] = value.to(device)
