"""EDM preconditioning and the masked training loss."""

import math

import pytest
import torch
from torch import nn

from jetgen.diffusion.denoiser import EDMDenoiser
from jetgen.diffusion.losses import edm_loss, sample_training_sigmas


class TinyNet(nn.Module):
    """Per-particle MLP on (features, c_noise): enough to learn a simple denoiser."""

    def __init__(self, features: int = 3, hidden: int = 32):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(features + 1, hidden), nn.SiLU(),
                                 nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, features))

    def forward(self, x, c_noise, mask, cond):
        level = c_noise[:, None, None].expand(*x.shape[:2], 1)
        return self.mlp(torch.cat([x, level], -1))


def _mask(counts, n_particles):
    return torch.arange(n_particles)[None, :] < torch.as_tensor(counts)[:, None]


def test_scalings_identities():
    denoiser = EDMDenoiser(TinyNet(), sigma_data=0.5)
    sigma = torch.logspace(-3, 2, 11, dtype=torch.float64)
    c_skip, c_out, c_in, c_noise = denoiser.scalings(sigma)
    sd = 0.5
    one = torch.ones_like(sigma)
    assert torch.allclose(c_in**2 * (sigma**2 + sd**2), one)  # unit-variance net input
    assert torch.allclose(c_skip + c_out**2 / sd**2, one)
    assert torch.allclose(denoiser.loss_weight(sigma) * c_out**2, one)  # unit-weight target
    assert torch.allclose(c_noise, sigma.log() / 4)
    assert math.isclose(denoiser.scalings(torch.tensor(0.5))[0].item(), 0.5)


def test_net_sees_only_scaled_inputs():
    seen = {}

    def net(x_in, c_noise, mask, cond):
        seen.update(x_in=x_in, c_noise=c_noise, mask=mask, cond=cond)
        return torch.zeros_like(x_in)

    denoiser = EDMDenoiser(net, sigma_data=0.5)
    x, sigma = torch.randn(4, 6, 3), torch.tensor([0.01, 0.5, 2.0, 80.0])
    mask, cond = torch.ones(4, 6, dtype=torch.bool), torch.randn(4, 2)
    out = denoiser(x, sigma, mask, cond)
    c_in = 1 / (sigma**2 + 0.25).sqrt()
    assert torch.allclose(seen["x_in"], x * c_in[:, None, None])
    assert torch.allclose(seen["c_noise"], sigma.log() / 4)
    assert seen["mask"] is mask and seen["cond"] is cond
    # With F = 0 the denoiser is E[x0 | x] for x0 ~ N(0, σ_d²): the optimum for such data.
    assert torch.allclose(out, 0.25 / (sigma**2 + 0.25)[:, None, None] * x)


def test_identity_at_small_sigma_and_net_output_at_large():
    net = lambda x, c_noise, mask, cond: torch.ones_like(x)  # noqa: E731
    denoiser = EDMDenoiser(net, sigma_data=0.5)
    x = torch.randn(3, 4, 3)
    mask = torch.ones(3, 4, dtype=torch.bool)
    assert torch.allclose(denoiser(x, torch.full((3,), 1e-6), mask), x, atol=1e-5)
    # A scalar σ is broadcast; at large σ the skip vanishes and D → σ_d F.
    assert torch.allclose(denoiser(x, torch.tensor(1e6), mask), torch.full_like(x, 0.5),
                          atol=1e-5)


def test_padded_output_is_exactly_zero_whatever_the_net_returns():
    net = lambda x, c_noise, mask, cond: torch.where(  # noqa: E731
        mask[..., None], x, torch.tensor(float("nan")))
    denoiser = EDMDenoiser(net)
    mask = _mask([0, 2, 5], 5)
    x = torch.randn(3, 5, 3) + 10  # garbage at padded slots too
    out = denoiser(x, torch.ones(3), mask)
    assert (out[~mask] == 0).all() and not out[~mask].signbit().any()
    assert torch.isfinite(out[mask]).all()


def test_loss_ignores_padded_particles():
    denoiser = EDMDenoiser(TinyNet(), 1.0)
    mask = _mask([5, 3, 1, 4], 5)
    gen = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(4, 5, 3, generator=gen), torch.randn(4, 5, 3, generator=gen)
    sigma = torch.tensor([0.1, 1.0, 3.0, 10.0])
    base = edm_loss(denoiser, x0 * mask[..., None], mask, None, sigma, noise)
    x0[~mask], noise[~mask] = float("nan"), float("inf")
    again = edm_loss(denoiser, x0, mask, None, sigma, noise)
    assert torch.equal(again, base) and again.shape == (4,)


def test_loss_is_the_weighted_masked_mean():
    net = nn.Linear(3, 3)
    denoiser = EDMDenoiser(lambda x, c, m, cond: net(x), sigma_data=0.7)
    mask = _mask([4, 0, 2], 4)
    x0, noise = torch.randn(3, 4, 3), torch.randn(3, 4, 3)
    sigma = torch.tensor([0.3, 1.0, 2.0])
    loss = edm_loss(denoiser, x0, mask, None, sigma, noise)
    assert loss[1] == 0  # no particles: 0, not 0/0
    for b in (0, 2):
        real = mask[b]
        noisy = (x0[b] + sigma[b] * noise[b])[real][None]
        d = denoiser(noisy, sigma[b:b + 1], torch.ones(1, int(real.sum()), dtype=torch.bool))
        want = denoiser.loss_weight(sigma[b]) * ((d[0] - x0[b][real]) ** 2).mean()
        assert torch.allclose(loss[b], want, rtol=1e-5)
    # A pure function: the same inputs give the same loss, and inputs are not modified.
    x0_copy = x0.clone()
    assert torch.equal(edm_loss(denoiser, x0, mask, None, sigma, noise), loss)
    assert torch.equal(x0, x0_copy)


def test_training_sigmas_are_log_normal_and_reproducible():
    sigma = sample_training_sigmas(200_000, p_mean=-1.2, p_std=1.2,
                                   generator=torch.Generator().manual_seed(1))
    assert sigma.shape == (200_000,) and (sigma > 0).all()
    assert abs(sigma.log().mean().item() + 1.2) < 0.01
    assert abs(sigma.log().std().item() - 1.2) < 0.01
    a = sample_training_sigmas(5, generator=torch.Generator().manual_seed(3), device="cpu")
    b = sample_training_sigmas(5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_tiny_mlp_loss_decreases():
    torch.manual_seed(0)
    denoiser = EDMDenoiser(TinyNet(), sigma_data=0.5)
    gen = torch.Generator().manual_seed(0)
    mask = _mask(torch.randint(1, 9, (32,), generator=gen), 8)
    centre = torch.tensor([0.5, -0.3, 0.8])
    x0 = (centre + 0.1 * torch.randn(32, 8, 3, generator=gen)) * mask[..., None]

    def draw(g):
        return (sample_training_sigmas(32, generator=g),
                torch.randn(32, 8, 3, generator=g))

    eval_sigma, eval_noise = draw(torch.Generator().manual_seed(99))

    def evaluate() -> float:
        with torch.no_grad():
            return edm_loss(denoiser, x0, mask, None, eval_sigma, eval_noise).mean().item()

    before = evaluate()
    opt = torch.optim.Adam(denoiser.parameters(), lr=1e-2)
    for _ in range(60):
        sigma, noise = draw(gen)
        loss = edm_loss(denoiser, x0, mask, None, sigma, noise).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = evaluate()
    assert after < 0.6 * before, (before, after)


@pytest.mark.parametrize("sigma_data", [0.5, 1.0])
def test_gradients_do_not_reach_padded_inputs(sigma_data):
    denoiser = EDMDenoiser(TinyNet(), sigma_data)
    mask = _mask([3, 1], 4)
    x0 = torch.randn(2, 4, 3, requires_grad=True)
    edm_loss(denoiser, x0, mask, None, torch.ones(2), torch.randn(2, 4, 3)).sum().backward()
    assert (x0.grad[~mask] == 0).all() and (x0.grad[mask] != 0).any()
