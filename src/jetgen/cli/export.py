"""``jetgen export``: a one-step model as an ONNX graph for runtimes without torch."""

from __future__ import annotations

from pathlib import Path

import typer

from ..export.to_onnx import DEFAULT_OPSET


def export(
    model: str | None = typer.Argument(None, help="Registry name or .safetensors file "
                                       "(default: the shipped default model)."),
    output: Path = typer.Option(..., "-o", "--output", help="The .onnx file to write."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file."),
    opset: int = typer.Option(DEFAULT_OPSET, "--opset", help="ONNX opset (18 or newer)."),
) -> None:
    """Export a one-step model (jet-level and particle model, pre- and post-processing) as
    one ONNX graph with a dynamic batch axis; prints the graph's metadata (inputs, outputs,
    shapes, units, noise convention).

    Example: jetgen export pythia30-adv1 -o jets.onnx
    """
    from ..export.to_onnx import export_onnx

    path, meta = export_onnx(model, output, overwrite=overwrite, opset=opset)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    for key, value in meta.items():
        typer.echo(f"{key}: {value}")
