"""``jetgen sample``: jets from a trained model, streamed to ROOT or HDF5."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import UsageError
from .options import threads_option

if TYPE_CHECKING:  # the plan's module loads torch; --help must not
    from ..sampling.plan import SamplePlan


def sample(
    output: Path = typer.Option(..., "--output", "-o", help="Output .root or .h5 file."),
    jet: list[str] | None = typer.Option(None, "--jet", "-j", help="g q t w z, names, or all."),
    n: int | None = typer.Option(None, "--n", "-n", help="Jets per class."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name or .safetensors "
                                     "file (default: the shipped default model)."),
    conditions: Path | None = typer.Option(None, "--conditions", help="Take class and jet "
                                           "kinematics from this ROOT/HDF5 file (only its "
                                           "jet_type, pT, eta, mass, n columns are read; n "
                                           "outside 1…the model's particles is clamped, "
                                           "with a warning)."),
    conditions_tree: str | None = typer.Option(None, "--conditions-tree", help="TTree of a "
                                               "ROOT --conditions file (default: its only "
                                               "TTree)."),
    sampler: str | None = typer.Option(None, "--sampler", help="euler, heun, dpmpp_2m, ddim, "
                                       "euler_maruyama, rk4, lms (default: the model's)."),
    steps: int | None = typer.Option(None, "--steps", help="Sampler steps (default: model's)."),
    batch_size: int = typer.Option(1000, "--batch-size", help="Jets per batch (memory bound)."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same jets, whatever --batch-size or "
                      "--shard; jet i uses a hash of (seed, i), so different seeds give "
                      "independent jets (any 64-bit integer; --seed $TASK_ID on a farm)."),
    shard: str | None = typer.Option(None, "--shard", help="i/N: write only the i-th (from 0) "
                                     "of N pieces of the run; `jetgen merge` joins them."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    precision: str = typer.Option("auto", "--precision", help="fp32; bf16 (the particle "
                                  "network's matrix products in bfloat16, fast on CPUs with "
                                  "AMX/AVX512-BF16 and on GPUs); auto: the model's own "
                                  "(bf16 for students distilled in bf16) where the hardware "
                                  "runs bf16 natively, else fp32."),
    backend: str = typer.Option("torch", "--backend", help="torch, or onnxruntime: the "
                                "model's `jetgen export` graph in ONNX Runtime (one-step "
                                "models, CPU, fp32; faster than torch fp32 on CPUs, see "
                                "benchmarks/onnx_vs_torch.py; needs jetgen[export])."),
    tree: str = typer.Option("tree", "--tree-name", help="TTree name for ROOT output."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    threads: int | None = threads_option(),
) -> None:
    """Generate jets. ROOT outputs past ~1.8 GB continue in OUT_1.root, OUT_2.root …
    (read the set through OUT.root).

    Example: jetgen sample --jet top --n 10000 --seed 1 -o top10k.root
    (ONNX Runtime: jetgen sample --jet top --n 10000 --backend onnxruntime -o top_onnx.root)
    """
    from ..sampling.plan import plan_sample
    from ..sampling.run import run_to_file
    from ..threads import using_threads
    from .progress import jet_progress
    from .signals import terminate_as_interrupt

    # One plan: every argument checked (all problems in one line), --conditions read once.
    plan = plan_sample(
        output=output, overwrite=overwrite, model=model, classes=jet or None, n=n,
        conditions=conditions, conditions_tree=conditions_tree, shard=shard, seed=seed,
        sampler=sampler, steps=steps, schedule=None, batch_size=batch_size, device=device,
        precision=precision, backend=backend)
    if plan.shard is not None and plan.jets == 0:
        raise UsageError(_too_few_for_shards(plan))
    with terminate_as_interrupt(), using_threads(threads), \
            jet_progress("sampling", plan.jets) as advance:
        summary = run_to_file(plan, tree=tree, on_progress=advance)
    where = (f" (shard {plan.shard}: jets {plan.start}–{plan.stop - 1} of "
             f"{summary['total_jets']})") if plan.shard else ""
    typer.echo(f"wrote {summary['jets']} jets to {output}{where} ({summary['sampler']}, "
               f"{summary['steps']} steps, {summary['precision']}"
               f"{', onnxruntime' if summary['backend'] == 'onnxruntime' else ''})")


def _too_few_for_shards(plan: SamplePlan) -> str:
    """Shards are whole blocks of jets (the jets must not depend on the sharding), so N
    shards need more than N - 1 blocks."""
    piece, block, classes, n = plan.shard, plan.block, plan.classes, plan.jobs.n
    assert piece is not None
    need = (piece.count - 1) * block + 1
    per_class = f" (--n {-(-need // len(classes))} or more for {len(classes)} class(es))" if (
        classes and n is not None) else ""
    return (f"--shard {piece}: would hold no jets: shards are whole blocks of {block} jets "
            f"and the run has {plan.total}; {piece.count} shards need at least {need} "
            f"jets{per_class}, or use fewer shards")
