"""The plain-torch ParticleNet/FPND against independent references."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from jetgen.evaluation.fpnd import activations, fpnd_jetnet_stored, frechet_distance
from jetgen.evaluation.particlenet import load_state, prepare_inputs
from jetgen.evaluation.threads import single_threaded
from jetgen.jets import Jets

JETNET_WEIGHTS = "fpnd_resources/jetnet/30_particles/pnet_state_dict.pt"


def truncated(jets: Jets, counts) -> Jets:
    """Copy of ``jets`` keeping only the leading ``counts[i]`` particles of jet i."""
    keep = np.arange(jets.n_particles)[None, :] < np.asarray(counts)[:, None]
    mask = jets.mask & keep
    return Jets(np.where(mask[..., None], jets.particles, 0.0), mask, jets.jet, jets.jet_type)


def _mlp(h, sd, prefix):
    for lin, bn in ((0, 1), (3, 4), (6, 7)):
        h = h @ sd[f"{prefix}.{lin}.weight"].T + sd[f"{prefix}.{lin}.bias"]
        h = (h - sd[f"{prefix}.{bn}.running_mean"]) / np.sqrt(
            sd[f"{prefix}.{bn}.running_var"] + 1e-5)
        h = np.maximum(h * sd[f"{prefix}.{bn}.weight"] + sd[f"{prefix}.{bn}.bias"], 0.0)
    return h


def reference_activations(jets: np.ndarray, state: dict, k: int = 16) -> np.ndarray:
    """Independent ParticleNet forward: one jet at a time, float64, unfused BatchNorm, the
    full first layer on cat[x_i, x_j - x_i], scipy kNN with torch_cluster's self-loop
    rule (k + 1 nearest, self removed if among them)."""
    sd = {key: v.double().numpy() for key, v in state.items()}
    out = []
    for x in np.asarray(jets, np.float64):
        for i in range(3):
            coords = x[:, :2] if i == 0 else x
            _, nbrs = cKDTree(coords).query(coords, k=k + 1)
            new = []
            for node, cand in enumerate(nbrs):
                cand = [c for c in cand if c != node][: k + 1]
                msg = np.stack([np.concatenate([x[node], x[c] - x[node]]) for c in cand])
                new.append(_mlp(msg, sd, f"edge_nets.{i}.model").mean(0))
            x = np.concatenate([np.stack(new), x], axis=1)
        out.append(x.mean(0) @ sd["fc1.0.weight"].T + sd["fc1.0.bias"])
    return np.stack(out)


def test_shipped_weights_are_jetnets():
    """The safetensors copy holds exactly jetnet's tensors (edge_convs.* are aliases)."""
    from importlib import resources

    pytest.importorskip("jetnet", exc_type=ImportError)

    path = resources.files("jetnet.evaluation").joinpath(JETNET_WEIGHTS)
    original = torch.load(str(path), map_location="cpu", weights_only=True)
    shipped = load_state()
    for key, value in original.items():
        if key.endswith("num_batches_tracked"):
            continue
        if key.startswith("edge_convs."):
            i, rest = key.split(".")[1], key.split(".", 3)[3]
            key = f"edge_nets.{i}.{rest}"
        assert torch.equal(shipped[key], value), key


def test_forward_matches_independent_loop(samples):
    """Batched kNN + EdgeConv == the per-jet reference to 1e-5, including jets with many
    padded particles (18+ identical padded nodes: kNN ties at distance 0)."""
    jets = samples.gen_g[:12]
    jets = truncated(jets, [30, 29, 25, 20, 17, 12, 8, 5, 3, 2, 1, 30])
    ours = activations(jets.particles, jets.mask, workers=1)
    with single_threaded():  # tiny BLAS calls: threads only add barrier waits
        ref = reference_activations(prepare_inputs(jets.particles, jets.mask), load_state())
    scale = np.abs(ref).max()
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-5 * scale)


def test_threads_and_chunks_do_not_change_activations(samples):
    jets = samples.gen_t[:150]
    one = activations(jets.particles, jets.mask, workers=1)
    two = activations(jets.particles, jets.mask, workers=2)
    np.testing.assert_array_equal(one, two)
    assert one.dtype == two.dtype == np.float32  # FPND caches hold 256 of them per jet
    first = activations(jets.particles[:7], jets.mask[:7], workers=1)
    np.testing.assert_allclose(first, one[:7], rtol=0, atol=1e-5)


def test_leading_30_of_longer_jets(samples):
    """150-slot jets (shuffled, zero-padded) give the activations of their leading 30."""
    jets = samples.gen_g[:20]
    rng = np.random.default_rng(0)
    parts = np.zeros((20, 150, 3), np.float32)
    mask = np.zeros((20, 150), bool)
    for i in range(20):
        slots = rng.choice(150, 30, replace=False)
        parts[i, slots], mask[i, slots] = jets.particles[i], jets.mask[i]
    np.testing.assert_allclose(activations(parts, mask, workers=1),
                               activations(jets.particles, jets.mask, workers=1),
                               rtol=0, atol=1e-5)


def test_frechet_distance_matches_jetnet():
    pytest.importorskip("jetnet", exc_type=ImportError)
    from jetnet.evaluation.gen_metrics import _calculate_frechet_distance

    rng = np.random.default_rng(1)
    a = rng.normal(size=(2000, 64)) @ rng.normal(size=(64, 64))
    b = 1.1 * a[:1000] + 0.05
    args = (a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    with warnings.catch_warnings():
        # jetnet passes scipy's deprecated sqrtm(disp=False)
        warnings.filterwarnings("ignore", message="The `disp` argument",
                                category=DeprecationWarning)
        theirs = _calculate_frechet_distance(*args)
    assert frechet_distance(*args) == pytest.approx(theirs, rel=1e-7)


def test_fpnd_matches_jetnet_torch_cluster(samples):
    """jetnet's own FPND (torch_geometric + torch_cluster ParticleNet, stored JetNet
    statistics) equals ours to 1e-4 relative. Runs only where torch_cluster is installed
    (it has no wheel on PyPI); the loop test above covers the forward pass everywhere."""
    pytest.importorskip("torch_cluster")
    pytest.importorskip("torch_geometric")
    from jetnet.evaluation import fpnd

    jets = samples.ref_g
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended number of jets",
                                category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="The `disp` argument",
                                category=DeprecationWarning)
        theirs = fpnd(jets.particles, "g", device="cpu", batch_size=64, use_tqdm=False)
    ours = fpnd_jetnet_stored(activations(jets.particles, jets.mask), "g")
    assert ours == pytest.approx(theirs, rel=1e-4)


def test_jetnet_fpnd_for_a_class_jetnet_has_no_statistics_names_the_ones_it_has():
    with pytest.raises(ValueError, match=r"only for \('g', 'q', 't'\)"):
        fpnd_jetnet_stored(np.zeros((10, 8), np.float32), "w")
