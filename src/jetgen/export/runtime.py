"""`jetgen sample --backend onnxruntime`: the exported one-step graph as a sampling backend.

The graph is exported once per (model file, jetgen version, opset) into the user cache
and run by ONNX Runtime on the CPU in fp32. It takes the same per-jet noise as the torch
path (jetgen's splitmix normals, drawn here in torch), so jet j agrees with
``--backend torch --precision fp32`` within the export's tolerance (export/metadata.py),
not bit for bit: the two are different kernels. Bits are fixed for a fixed compute block,
which is why a file records its backend and block and merge refuses to mix them.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import JetgenError, UsageError
from ..jets import Jets

BACKENDS = ("torch", "onnxruntime")


def check_backend(backend: str) -> str:
    from ..errors import nearest

    if backend not in BACKENDS:
        raise UsageError(f"--backend must be one of {', '.join(BACKENDS)}, got "
                         f"{backend!r}{nearest(backend, BACKENDS)}")
    return backend


def check_onnx_run(config, *, sampler: str, steps: int, precision: str,
                   device: torch.device) -> None:
    """One line for what the ONNX backend cannot do (it runs the model's own one step)."""
    from .graph import check_exportable

    check_exportable(config)
    if sampler != config.sampler or steps != config.steps:
        raise UsageError(f"--backend onnxruntime runs the model's own {config.sampler} "
                         f"step; drop --sampler/--steps (got {sampler}, {steps} steps)")
    if precision != "fp32":
        raise UsageError("--backend onnxruntime runs in fp32; pass --precision fp32 or auto")
    if device.type != "cpu":
        raise UsageError("--backend onnxruntime runs on the CPU here; use --device cpu "
                         "(or --backend torch on a GPU)")


def graph_feed(jet_type: np.ndarray, seeds: np.ndarray, n_particles: int,
               kinematics: np.ndarray | None = None, use: np.ndarray | None = None
               ) -> dict[str, np.ndarray]:
    """The exported graph's inputs for jets keyed by ``seeds``: jetgen's own per-jet noise
    (as generate_batch draws it), ``kinematics`` where ``use`` is true (default: every jet
    when kinematics are given, none otherwise)."""
    from ..diffusion.noise import jet_noise
    from ..sampling.batch import JET_LEVEL_DRAW_OFFSET

    b = len(seeds)
    s = torch.as_tensor(seeds.astype(np.int64))
    if use is None:
        use = np.full(b, kinematics is not None)
    return {"jet_type": np.asarray(jet_type, np.int64),
            "jet_noise": jet_noise(s, (1, 4), JET_LEVEL_DRAW_OFFSET).reshape(b, 4).numpy(),
            "particle_noise": jet_noise(s, (n_particles, 3), 0).numpy(),
            "jet_kinematics": (np.zeros((b, 4), np.float32) if kinematics is None
                               else np.asarray(kinematics, np.float32)),
            "use_kinematics": np.asarray(use, bool)}


class OnnxSampler:
    """generate_batch's counterpart on an ONNX Runtime session."""

    def __init__(self, model_path, sha256: str, n_particles: int, threads: int):
        try:
            import onnxruntime as ort
        except ImportError:
            raise JetgenError("--backend onnxruntime needs onnxruntime: pip install "
                              "'jetgen[export]'") from None
        graph = cached_export(model_path, sha256)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(str(graph), options,
                                            providers=["CPUExecutionProvider"])
        self.n_particles = n_particles

    def __call__(self, jet_type: np.ndarray, seeds: np.ndarray,
                 conditions: np.ndarray | None) -> Jets:
        feed = graph_feed(jet_type, seeds, self.n_particles, conditions)
        particles, mask, jet = self.session.run(None, feed)
        extra: dict[str, np.ndarray] = {"jet_seed": seeds.astype(np.uint64)}
        if conditions is not None:
            extra.update(cond_pt=conditions[:, 0].astype(np.float32),
                         cond_mass=conditions[:, 2].astype(np.float32))
        return Jets(particles, mask, jet, np.asarray(jet_type, np.int32), extra)


def cached_export(model_path, sha256: str):
    """The model's ONNX graph in the user cache, exported on first use (atomically)."""
    from .._version import __version__
    from ..download import default_cache_dir
    from .to_onnx import DEFAULT_OPSET, export_onnx

    name = f"{sha256[:16]}-jetgen{__version__}-op{DEFAULT_OPSET}.onnx"
    path = default_cache_dir() / "onnx" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Atomic: two processes exporting at once both leave a whole file.
        export_onnx(str(model_path), path, overwrite=True)
    return path
