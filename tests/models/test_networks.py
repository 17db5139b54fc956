"""Both particle networks: permutation equivariance, and padding that changes nothing."""

import pytest
import torch

from jetgen.models.epic import EPiCNet
from jetgen.models.transformer import ParticleTransformer

NETWORKS = {
    "epic": lambda: EPiCNet(3, 9, dim=32, global_dim=16, depth=3, n_max=30),
    "transformer": lambda: ParticleTransformer(3, 9, dim=32, depth=2, heads=2),
}


def _inputs(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(6, 30, 3, generator=gen)
    n = torch.tensor([30, 1, 7, 12, 29, 18])
    mask = torch.arange(30)[None, :] < n[:, None]
    return x * mask[..., None], torch.randn(6, generator=gen), mask, torch.randn(6, 9,
                                                                              generator=gen)


def _net(kind: str):
    torch.manual_seed(1)
    net = NETWORKS[kind]().eval()
    # Non-zero final/modulation layers, so the test sees the whole network, not an identity.
    with torch.no_grad():
        for p in net.parameters():
            if not p.abs().sum():
                p.normal_(0, 0.1)
    return net


@pytest.mark.parametrize("kind", NETWORKS)
def test_padded_particles_change_nothing_and_come_out_zero(kind):
    net = _net(kind)
    x, c_noise, mask, cond = _inputs()
    garbage = x + 50 * (~mask)[..., None] * torch.randn_like(x)
    with torch.no_grad():
        clean, dirty = net(x, c_noise, mask, cond), net(garbage, c_noise, mask, cond)
    torch.testing.assert_close(dirty[mask], clean[mask], rtol=1e-5, atol=1e-5)
    assert clean[~mask].abs().max() == 0 and dirty[~mask].abs().max() == 0


@pytest.mark.parametrize("kind", NETWORKS)
def test_permuting_real_particles_permutes_the_output(kind):
    net = _net(kind)
    x, c_noise, mask, cond = _inputs(2)
    full = mask.all(1)
    order = torch.randperm(30, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = net(x, c_noise, mask, cond)
        permuted = net(x[:, order], c_noise, mask[:, order], cond)
    torch.testing.assert_close(permuted[full], out[full][:, order], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(out[full], out[full][:, order])
