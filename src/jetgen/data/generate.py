"""Parallel generation of JetNet-recipe jets into a JetNet-layout HDF5 file."""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from collections.abc import Callable

from ..errors import UsageError
from ..io import open_writer
from ..io.provenance import base_provenance
from ..jets import CLASSES, Jets
from .pythia import generate_block, pythia_seed, recipe_description

#: Jets per Pythia seed. Fixed (not derived from the worker count) so that the output
#: depends on the seed alone, and the first k jets of a run do not depend on --n.
BLOCK_JETS = 1000


def plan_blocks(classes: list[int], n_per_class: int, seed: int,
                block_jets: int = BLOCK_JETS) -> list[tuple[int, int, int]]:
    """[(class_index, n_jets, pythia_seed)] in file order."""
    blocks = []
    for c in classes:
        for b, start in enumerate(range(0, n_per_class, block_jets)):
            blocks.append((c, min(block_jets, n_per_class - start), pythia_seed(seed, c, b)))
    return blocks


def _worker(tasks, results, progress, n_particles: int) -> None:
    while True:
        try:
            item = tasks.get_nowait()
        except queue.Empty:
            return
        index, (c, n, seed) = item
        done = [0]

        def tick(k: int, done=done) -> None:
            done[0] += k
            if done[0] % 25 == 0:
                progress.put(25)

        jets, stats = generate_block(CLASSES[c], n, n_particles, seed, progress=tick)
        progress.put(done[0] % 25)
        results.put((index, jets, stats))


def generate(
    output,
    classes: list[int],
    n_per_class: int,
    n_particles: int = 30,
    seed: int = 1,
    workers: int = 1,
    overwrite: bool = False,
    on_progress: Callable[[int], None] | None = None,
    block_jets: int = BLOCK_JETS,
) -> dict:
    """Generate ``n_per_class`` jets of each class and write them to ``output`` (HDF5).

    Returns a summary with event counters and the wall time.
    """
    if n_per_class <= 0:
        raise UsageError(f"--n must be positive, got {n_per_class}")
    if n_particles not in (30, 150):
        raise UsageError(f"--particles must be 30 or 150 (JetNet), got {n_particles}")
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    blocks = plan_blocks(classes, n_per_class, seed, block_jets)
    provenance = base_provenance(
        kind="training data",
        recipe=recipe_description(),
        jet_types=[CLASSES[c] for c in classes],
        n_per_class=n_per_class,
        n_particles=n_particles,
        seed=seed,
        seed_rule="block b of class c uses Pythia seed SeedSequence([seed, c, b]) % 9e8 + 1",
        block_jets=block_jets,
    )
    totals = {"events": 0, "failed": 0, "rejected": 0}
    start = time.perf_counter()
    with open_writer(output, n_particles, provenance, overwrite=overwrite) as writer:
        for jets, stats in _run_blocks(blocks, n_particles, workers, on_progress):
            writer.write(jets)
            for k in totals:
                totals[k] += stats[k]
    wall = time.perf_counter() - start
    n_total = n_per_class * len(classes)
    return {**totals, "jets": n_total, "seconds": wall, "jets_per_second": n_total / wall}


def _run_blocks(blocks, n_particles, workers, on_progress):
    """Yield (jets, stats) in block order, whichever worker finished first."""
    if workers == 1:
        for c, n, seed in blocks:
            jets, stats = generate_block(CLASSES[c], n, n_particles, seed, progress=on_progress)
            yield jets, stats
        return
    ctx = mp.get_context("spawn")
    tasks, results, progress = ctx.Queue(), ctx.Queue(), ctx.Queue()
    for item in enumerate(blocks):
        tasks.put(item)
    procs = [
        ctx.Process(target=_worker, args=(tasks, results, progress, n_particles), daemon=True)
        for _ in range(min(workers, len(blocks)))
    ]
    for p in procs:
        p.start()
    pending: dict[int, tuple[Jets, dict]] = {}
    next_index = 0
    try:
        while next_index < len(blocks):
            try:
                index, jets, stats = results.get(timeout=0.5)
                pending[index] = (jets, stats)
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and results.empty():
                    raise RuntimeError("a generation worker died") from None
            while True:
                try:
                    n = progress.get_nowait()
                except queue.Empty:
                    break
                if on_progress is not None:
                    on_progress(n)
            while next_index in pending:
                yield pending.pop(next_index)
                next_index += 1
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join()
