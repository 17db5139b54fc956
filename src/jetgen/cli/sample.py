"""``jetgen sample``: jets from a trained model, streamed to ROOT or HDF5."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import JetgenError, UsageError
from .options import threads_option


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
    from ..sampling import compute_block, resolve_device, sample_to_file
    from ..shards import shard_range
    from ..threads import using_threads
    from .progress import jet_progress
    from .signals import terminate_as_interrupt

    classes, piece, plan = _check_arguments(
        output=output, jet=jet, n=n, conditions=conditions, conditions_tree=conditions_tree,
        shard=shard, seed=seed, batch_size=batch_size, precision=precision,
        backend=backend, overwrite=overwrite)
    block = compute_block(resolve_device(device), backend)
    start, stop = shard_range(plan.total, piece, block)
    if piece is not None and stop == start:
        raise UsageError(_too_few_for_shards(plan.total, piece, block, classes, n))
    with terminate_as_interrupt(), using_threads(threads), \
            jet_progress("sampling", stop - start) as advance:
        summary = sample_to_file(
            output, model=model, classes=classes, n=n, conditions=conditions, seed=seed,
            sampler=sampler, steps=steps, batch_size=batch_size, device=device,
            overwrite=overwrite, tree=tree, shard=piece, precision=precision,
            conditions_tree=conditions_tree, backend=backend,
            on_progress=advance,
        )
    where = f" (shard {piece}: jets {start}–{stop - 1} of {summary['total_jets']})" if (
        piece and stop > start) else ""
    typer.echo(f"wrote {summary['jets']} jets to {output}{where} ({summary['sampler']}, "
               f"{summary['steps']} steps, {summary['precision']}"
               f"{', onnxruntime' if summary['backend'] == 'onnxruntime' else ''})")


def _check_arguments(*, output, jet, n, conditions, conditions_tree, shard, seed, batch_size,
                     precision, backend, overwrite):
    """Every argument checked before any work, and every problem reported (in one line),
    not only the first. Returns (classes, shard, plan)."""
    from ..export.runtime import check_backend
    from ..io import file_format
    from ..io.atomic import check_output
    from ..jets import parse_classes
    from ..precision import SAMPLE_PRECISIONS, check_precision
    from ..sampling import plan_jobs
    from ..seeds import check_seed
    from ..shards import parse_shard

    problems: list[JetgenError] = []
    found: dict = {"classes": None, "piece": None, "plan": None}

    def check(key, fn, *args):
        try:
            value = fn(*args)
        except JetgenError as err:
            problems.append(err)
        else:
            if key:
                found[key] = value

    if jet:
        check("classes", parse_classes, jet)
    if not problems:  # a plan for unknown classes would repeat the class error
        check("plan", plan_jobs, found["classes"], n, conditions, conditions_tree)
    check(None, check_output, output, overwrite)
    check(None, file_format, output)
    if shard is not None:
        check("piece", parse_shard, shard)
    check(None, check_seed, seed)
    if batch_size <= 0:
        problems.append(UsageError(f"--batch-size must be positive, got {batch_size}"))
    check(None, check_precision, precision, SAMPLE_PRECISIONS)
    check(None, check_backend, backend)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        error = UsageError("; ".join(str(p) for p in problems))
        error.exit_code = max(p.exit_code for p in problems)
        raise error
    return found["classes"], found["piece"], found["plan"]


def _too_few_for_shards(total: int, piece, block: int, classes, n) -> str:
    """Shards are whole blocks of jets (the jets must not depend on the sharding), so N
    shards need more than N - 1 blocks."""
    need = (piece.count - 1) * block + 1
    per_class = f" (--n {-(-need // len(classes))} or more for {len(classes)} class(es))" if (
        classes and n is not None) else ""
    return (f"--shard {piece}: would hold no jets: shards are whole blocks of {block} jets "
            f"and the run has {total}; {piece.count} shards need at least {need} "
            f"jets{per_class}, or use fewer shards")
