"""Compression into a cheaper network and progressive rounds on the jet-level model."""

import pytest
import torch

from jetgen.config import NetConfig, TrainConfig
from jetgen.data.splits import load_splits
from jetgen.diffusion.samplers import get_sampler
from jetgen.diffusion.schedules import get_sigmas
from jetgen.distill.common import make_student
from jetgen.distill.methods import distill
from jetgen.errors import UsageError
from jetgen.models.checkpoint import read_model

SMALL = NetConfig(kind="epic", dim=32, depth=2, global_dim=16)


def _quick(steps=60):
    return TrainConfig(lr=2e-3, batch_size=32, total_steps=steps, warmup_steps=5,
                       checkpoint_every=steps, val_every=steps, val_jets=24)


def _inputs(model, pythia_file, n=64):
    jets = load_splits([pythia_file], 30, model.config.classes)[0][:n]
    mask, jet = torch.from_numpy(jets.mask), torch.from_numpy(jets.jet)
    jet_type = torch.from_numpy(jets.jet_type).long()
    return jets, mask, jet, jet_type


def test_compressed_student_keeps_the_steps_and_learns_the_teacher_step(
        distill_teacher, pythia_file, tmp_path):
    path = distill(tmp_path / "c", method="compress", teacher=str(distill_teacher),
                   train=_quick(), student_net=SMALL, precision="bf16")
    student, meta = read_model(path)
    teacher, _ = read_model(distill_teacher)
    assert student.config.net == SMALL and student.config.sampler == "euler"
    assert student.config.steps == teacher.config.steps
    assert meta["distillation"] == {"method": "compress", "stage": 1, "steps": 4,
                                    "precision": "bf16"}
    torch.manual_seed(0)
    untrained = make_student(teacher, SMALL)
    _, mask, jet, jet_type = _inputs(teacher, pythia_file)
    extra = {"mask": mask, "cond": teacher.particle_cond(jet_type, jet)}
    c = teacher.config
    grid = get_sigmas("karras_student", 4, c.sigma_min, c.sigma_max, rho=c.rho)
    start = torch.randn(64, 30, 3, generator=torch.Generator().manual_seed(1)) * grid[0]
    start = start * mask[..., None]
    with torch.no_grad():
        target = get_sampler("heun")(teacher.particle, start, grid[:2], extra_args=extra)
        errors = [(get_sampler("euler")(m.particle, start, grid[:2], extra_args=extra)
                   - target).pow(2).mean() for m in (student, untrained)]
    assert errors[0] < 0.5 * errors[1]


def test_compress_needs_a_different_student_network(distill_teacher, tmp_path):
    with pytest.raises(UsageError, match="--student-config"):
        distill(tmp_path / "c", method="compress", teacher=str(distill_teacher),
                train=_quick(2))


def test_jet_level_round_halves_its_steps_and_keeps_the_particle_model(
        distill_teacher, pythia_file, tmp_path):
    path = distill(tmp_path / "j", part="jet", factor=2, teacher=str(distill_teacher),
                   train=_quick(), teacher_steps=4)
    student, meta = read_model(path)
    teacher, _ = read_model(distill_teacher)
    assert path.parent.name == "jet-round1-2steps"
    c = student.config
    assert (c.jet_sampler, c.jet_steps, c.jet_schedule) == ("euler", 2, "karras_student")
    assert (c.sampler, c.steps, c.schedule) == (teacher.config.sampler, teacher.config.steps,
                                                teacher.config.schedule)
    assert meta["distillation"]["part"] == "jet"
    for (name, s), (_, t) in zip(student.particle.state_dict().items(),
                                 teacher.particle.state_dict().items(), strict=True):
        assert torch.equal(s, t), name
    _, _, _, jet_type = _inputs(teacher, pythia_file)
    extra = {"mask": torch.ones(64, 1, dtype=torch.bool),
             "cond": teacher.class_onehot(jet_type)}
    grid = get_sigmas("karras_student", 4, c.sigma_min, c.sigma_max, rho=c.rho)
    start = torch.randn(64, 1, 4, generator=torch.Generator().manual_seed(2)) * grid[0]
    with torch.no_grad():
        target = get_sampler("heun")(teacher.jet, start, grid[:3], extra_args=extra)
        student_one = get_sampler("euler")(student.jet, start, grid[[0, 2]], extra_args=extra)
        teacher_one = get_sampler("euler")(teacher.jet, start, grid[[0, 2]], extra_args=extra)
    assert (student_one - target).pow(2).mean() < (teacher_one - target).pow(2).mean()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"part": "jets"}, r"unknown part 'jets'.*jet"),
    ({"part": "jet", "method": "consistency"}, "progressively"),
    ({"method": "consistency", "steps": 0}, "--steps must be at least 1"),
    ({"part": "jet", "factor": 64}, "divisible"),  # the teacher's jet level takes 32 steps
])
def test_bad_arguments_are_refused_before_any_data_is_read(distill_teacher, tmp_path, kwargs,
                                                           message):
    with pytest.raises(UsageError, match=message):
        distill(tmp_path / "x", teacher=str(distill_teacher), train=_quick(2),
                data=[tmp_path / "never-read.h5"], **kwargs)
