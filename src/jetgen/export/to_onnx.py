"""`jetgen export`: a one-step model as one ONNX graph with its metadata, written atomically."""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path

from ..errors import JetgenError, UsageError

#: torch's exporter writes Split with num_outputs, an opset-18 form (LayerNormalization,
#: in every jetgen network, needs 17), so 18 is the oldest opset the graph can have.
OPSET_MIN = 18
DEFAULT_OPSET = 18  # onnxruntime ≥ 1.14 runs it; raise --opset for newer runtimes only


def _need_onnx():
    try:
        import onnx
        import onnxscript  # noqa: F401  (torch's ONNX exporter needs it)
    except ImportError:
        raise JetgenError("jetgen export needs onnx and onnxscript: pip install "
                          "'jetgen[export]'") from None
    return onnx


def check_opset(opset: int, onnx) -> int:
    top = onnx.defs.onnx_opset_version()
    if not OPSET_MIN <= opset <= top:
        raise UsageError(f"--opset must be in {OPSET_MIN}..{top} (torch's exporter needs "
                         f"{OPSET_MIN}; {top} is the newest this onnx knows), got {opset}")
    return opset


@contextlib.contextmanager
def _quiet():
    """torch's exporter logs and warns about its own internals (torchvision ops, pytree
    deprecations); none of it concerns the user's model, and tests turn warnings into
    errors."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def trace(graph, opset: int, batch: int = 2):
    """The ModelProto of ``graph`` (an OneStepGraph) with a dynamic batch axis."""
    import torch

    from .metadata import INPUTS, OUTPUTS

    p = graph.n_particles
    example = (torch.zeros(batch, dtype=torch.long), torch.zeros(batch, 4),
               torch.zeros(batch, p, 3), torch.ones(batch, 4),
               torch.zeros(batch, dtype=torch.bool))
    dim = torch.export.Dim("batch")
    with _quiet(), torch.inference_mode(False), torch.no_grad():
        program = torch.onnx.export(
            graph, example, None, input_names=list(INPUTS), output_names=list(OUTPUTS),
            opset_version=opset, dynamo=True, external_data=False, verbose=False,
            dynamic_shapes={name: {0: dim} for name in INPUTS})
    proto = program.model_proto
    got = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    if got != opset:
        raise JetgenError(f"torch's exporter produced opset {got}, not the requested {opset}; "
                          f"try --opset {DEFAULT_OPSET}")
    return proto


def export_onnx(model: str | None, output: str | Path, *, overwrite: bool = False,
                opset: int = DEFAULT_OPSET) -> tuple[Path, dict[str, str]]:
    """Write ``model`` (registry name, file, or the default) as ONNX; returns (path, metadata)."""
    from .._version import __version__
    from ..io.atomic import check_output, commit, discard, temporary_sibling, write_failed
    from ..models.checkpoint import read_model
    from ..registry import resolve_model, sha256_file
    from .graph import OneStepGraph, check_exportable
    from .metadata import build_metadata

    onnx = _need_onnx()
    check_opset(opset, onnx)
    final = check_output(output, overwrite)
    path, entry = resolve_model(model)
    net, _ = read_model(path)
    check_exportable(net.config)
    proto = trace(OneStepGraph(net), opset)
    meta = build_metadata(net.config, model=entry.get("name", str(path)),
                          sha256=sha256_file(path), opset=opset, version=__version__)
    onnx.helper.set_model_props(proto, meta)
    proto.producer_name, proto.producer_version = "jetgen", __version__
    onnx.checker.check_model(proto)
    tmp = temporary_sibling(final)
    try:
        tmp.write_bytes(proto.SerializeToString())
        commit(tmp, final)
    except OSError as err:
        raise write_failed(final, err) from None
    finally:
        discard(tmp)
    return final, meta
