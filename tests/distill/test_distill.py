"""Progressive and consistency distillation on a tiny teacher trained on Pythia jets."""

import pytest
import torch

from jetgen.cli.main import main
from jetgen.config import NetConfig, TrainConfig
from jetgen.data.splits import load_splits
from jetgen.diffusion.consistency import ConsistencyDenoiser
from jetgen.diffusion.samplers import get_sampler
from jetgen.diffusion.schedules import get_sigmas
from jetgen.distill.methods import distill
from jetgen.distill.progressive import check_factor
from jetgen.errors import JetgenError, UsageError
from jetgen.models.checkpoint import read_model
from jetgen.train import EMA_FILE


@pytest.fixture
def teacher(distill_teacher):
    return distill_teacher


def _quick(steps=60):
    return TrainConfig(lr=2e-3, batch_size=32, total_steps=steps, warmup_steps=5,
                       checkpoint_every=steps, val_every=steps, val_jets=24)


def _endpoints(model, sampler, steps, x, mask, cond):
    c = model.config
    sigmas = get_sigmas("karras", steps, c.sigma_min, c.sigma_max, rho=c.rho)
    return get_sampler(sampler)(model.particle, x * sigmas[0], sigmas,
                                extra_args={"mask": mask, "cond": cond})


def test_progressive_round_halves_steps_and_matches_two_teacher_steps(teacher, pythia_file,
                                                                      tmp_path):
    path = distill(tmp_path / "pd", factor=2, teacher=str(teacher), train=_quick())
    student, meta = read_model(path)
    t_model, _ = read_model(teacher)
    assert student.config.steps == 2 and student.config.sampler == "euler"
    assert meta["distillation"]["method"] == "progressive"
    assert meta["teacher"] == str(teacher)
    train, _ = load_splits([pythia_file], 30, t_model.config.classes)
    jets = train[:64]
    mask = torch.from_numpy(jets.mask)
    jet = torch.from_numpy(jets.jet)
    jt = torch.from_numpy(jets.jet_type).long()
    cond = t_model.particle_cond(jt, jet)
    x = torch.randn(64, 30, 3, generator=torch.Generator().manual_seed(0)) * mask[..., None]
    # With 2 student steps, compare the student's first step (σ_max → σ_1) with the two
    # teacher steps it was trained to replace.
    c = t_model.config
    grid = get_sigmas("karras", 4, c.sigma_min, c.sigma_max, rho=c.rho)
    start = x * grid[0]
    extra = {"mask": mask, "cond": cond}
    target = get_sampler("heun")(t_model.particle, start, grid[:3], extra_args=extra)
    student_one = get_sampler("euler")(student.particle, start, grid[[0, 2]], extra_args=extra)
    teacher_one = get_sampler("euler")(t_model.particle, start, grid[[0, 2]], extra_args=extra)
    assert (student_one - target).pow(2).mean() < (teacher_one - target).pow(2).mean()


def test_chained_factors_give_the_expected_step_counts(teacher, tmp_path):
    path = distill(tmp_path / "pd4", factor=4, teacher=str(teacher), train=_quick(3))
    student, meta = read_model(path)
    assert student.config.steps == 1 and meta["distillation"]["stage"] == 2
    assert (tmp_path / "pd4" / "round1-2steps" / EMA_FILE).exists()


def test_consistency_boundary_condition_makes_the_loss_zero():
    net = torch.nn.Linear(3, 3)
    model = ConsistencyDenoiser(lambda x, c, m, cond: net(x), sigma_data=0.5, sigma_min=0.002)
    x = torch.randn(4, 5, 3)
    mask = torch.ones(4, 5, dtype=torch.bool)
    out = model(x, torch.full((4,), 0.002), mask)
    assert torch.equal(out, x)  # f(x, σ_min) = x exactly, whatever the network


def test_consistency_student_samples_in_one_step(teacher, tmp_path):
    path = distill(tmp_path / "cd", method="consistency", steps=1, teacher=str(teacher),
                   train=_quick(4))
    student, meta = read_model(path)
    assert student.config.sampler == "consistency" and student.config.steps == 1
    assert isinstance(student.particle, ConsistencyDenoiser)
    assert meta["distillation"]["method"] == "consistency"
    assert (tmp_path / "cd" / "target.safetensors").exists()


def test_multistep_consistency_is_withdrawn_with_one_line(teacher, tmp_path, capsys):
    with pytest.raises(UsageError, match="withdrawn"):
        distill(tmp_path / "cd2", method="consistency", steps=2, teacher=str(teacher),
                train=_quick(2))
    path = distill(tmp_path / "cd1", method="consistency", steps=1, teacher=str(teacher),
                   train=_quick(2))
    capsys.readouterr()
    assert main(["sample", "--model", str(path), "--jet", "t", "--n", "4", "--steps", "2",
                 "-o", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "withdrawn" in err


def test_consistency_resume_keeps_its_target_network(teacher, tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "cdr"
    distill(out, method="consistency", steps=1, teacher=str(teacher), train=_quick(2))
    target = load_file(str(out / "target.safetensors"))
    online = load_file(str(out / "state.safetensors"))
    # After two steps the target (EMA of decay 0.95) is not the online network.
    assert any(not torch.equal(v, online[f"model.{k}"]) for k, v in target.items())
    distill(out, method="consistency", steps=1, teacher=str(teacher), train=_quick(4))
    again = load_file(str(out / "target.safetensors"))
    assert any(not torch.equal(v, target[k]) for k, v in again.items())


def test_teacher_steps_override_sets_the_starting_point(teacher, tmp_path):
    path = distill(tmp_path / "pd-from2", factor=2, teacher=str(teacher), train=_quick(2),
                   teacher_steps=2)
    assert read_model(path)[0].config.steps == 1
    with pytest.raises(UsageError, match="divisible"):
        distill(tmp_path / "pd-bad", factor=4, teacher=str(teacher), train=_quick(2),
                teacher_steps=2)


def test_smaller_student_network_keeps_the_teachers_jet_model(teacher, tmp_path):
    small = NetConfig(kind="epic", dim=16, depth=2, global_dim=8)
    path = distill(tmp_path / "cd-small", method="consistency", steps=1, teacher=str(teacher),
                   train=_quick(4), student_net=small)
    student, _ = read_model(path)
    t_model, _ = read_model(teacher)
    assert student.config.net == small
    n_student = sum(p.numel() for p in student.particle.parameters())
    assert n_student < sum(p.numel() for p in t_model.particle.parameters())
    for (name, s), (_, t) in zip(student.jet.state_dict().items(),
                                 t_model.jet.state_dict().items(), strict=True):
        assert torch.equal(s, t), name


@pytest.mark.parametrize(("factor", "message"), [(3, "power of 2"), (8, "divisible")])
def test_bad_factor_is_refused(factor, message):
    with pytest.raises(UsageError, match=message):
        check_factor(factor, 4)


def test_missing_teacher_is_one_clear_error(tmp_path):
    with pytest.raises(JetgenError, match="no such model file"):
        distill(tmp_path / "x", teacher=str(tmp_path / "none.safetensors"))


def test_progressive_grids_nest():
    from jetgen.diffusion.schedules import get_sigmas

    for n in (1, 2, 4, 8):
        coarse = get_sigmas("karras_student", n, 0.002, 80.0, rho=7.0)
        fine = get_sigmas("karras_student", 2 * n, 0.002, 80.0, rho=7.0)
        torch.testing.assert_close(fine[::2], coarse)


@pytest.mark.parametrize(("own", "override", "expected"), [
    ("dpmpp_2m", None, "heun"),  # a multistep solver taken one step at a time is Euler
    ("lms", None, "heun"),
    ("heun", None, "heun"),
    ("euler", None, "euler"),  # later rounds: the previous student's own Euler steps
    ("dpmpp_2m", "rk4", "rk4"),
])
def test_progressive_teacher_steps_use_a_one_step_solver(teacher, own, override, expected):
    from jetgen.distill.progressive import teacher_step_sampler

    model, _ = read_model(teacher)
    model.config.sampler = own
    assert teacher_step_sampler(model, override) == expected


def test_unknown_teacher_sampler_is_refused_before_training(teacher, tmp_path):
    with pytest.raises(UsageError, match=r"unknown sampler 'hune'.*heun"):
        distill(tmp_path / "pd", factor=2, teacher=str(teacher), teacher_sampler="hune",
                train=_quick())
    assert not (tmp_path / "pd").exists()
