"""Wall time of jetgen's heavy commands at 1 and 2 threads, with and without a competitor.

    python benchmarks/threads.py --data data/campaign/val/t30.h5
    python benchmarks/threads.py --data data/t30.h5 --commands sample eval --repeat 2

Each cell is a fresh ``jetgen`` process (start-up, model load and file writing included:
what a batch job pays) run with ``--threads N``, which sets torch's intra-op threads and
its inter-op pool to N together (jetgen.threads.using_threads). jetgen's work is one op
after another (no ``torch.jit.fork``), so the inter-op pool has nothing to run side by
side and is not varied separately. "+1 busy loop" runs a Python ``while True`` process
beside the command at the same niceness: the shared batch node, where another job takes
a core the process can still see. The load average before each cell is printed, so that a
machine that was not idle shows it.

Commands (small sizes, real work):
  sample   jetgen sample --jet top --n SAMPLE_N (the default one-step model)
  eval     jetgen eval of that file, --jets 2000 against the shipped reference, no cache
  train    jetgen train --steps TRAIN_STEPS on --data (default config, batch 256)
  distill  jetgen distill --factor 2 --teacher pythia30-teacher --train-steps DISTILL_STEPS
Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

COMMANDS = ("sample", "eval", "train", "distill")


def command_line(name: str, work: Path, data: Path, args: argparse.Namespace,
                 threads: int) -> tuple[list[str], str]:
    """(argv, what one run does) of one cell."""
    jetgen = [sys.executable, "-m", "jetgen"]
    sampled = work / "sampled.h5"
    if name == "sample":
        return ([*jetgen, "sample", "--jet", "top", "--n", str(args.sample_n), "-o",
                 str(sampled), "--overwrite", "--threads", str(threads)],
                f"{args.sample_n:,} jets")
    if name == "eval":
        return ([*jetgen, "eval", str(sampled), "--jets", "2000", "--no-cache",
                 "--no-build-reference", "--threads", str(threads)], "2,000 vs 2,000 jets")
    if name == "train":
        out = work / f"train{threads}"
        shutil.rmtree(out, ignore_errors=True)
        return ([*jetgen, "train", "--data", str(data), "-o", str(out), "--steps",
                 str(args.train_steps), "--threads", str(threads)],
                f"{args.train_steps} steps")
    out = work / f"distill{threads}"
    shutil.rmtree(out, ignore_errors=True)
    return ([*jetgen, "distill", "--factor", "2", "--teacher", "pythia30-teacher",
             "--data", str(data), "--train-steps", str(args.distill_steps),
             "--val-every", str(args.distill_steps), "-o", str(out),
             "--threads", str(threads)], f"{args.distill_steps} steps")


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return wall


def busy_loop() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="a jetgen training file (train and distill read it)")
    parser.add_argument("--commands", nargs="+", default=list(COMMANDS), choices=COMMANDS)
    parser.add_argument("--sample-n", type=int, default=20_000)
    parser.add_argument("--train-steps", type=int, default=40)
    parser.add_argument("--distill-steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell (best is kept)")
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"--data: no file {args.data}")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["JETGEN_PROGRESS_EVERY"] = "100000"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "eval" in args.commands and "sample" not in args.commands:
            timed(command_line("sample", work, args.data, args, 1)[0], env)
        for name in args.commands:
            # One untimed run first: the page cache, .pyc files and the model cache are
            # then warm for every timed cell alike.
            timed(command_line(name, work, args.data, args, 1)[0], env)
            for competitor in ("none", "+1 busy loop"):
                walls, load = {}, os.getloadavg()[0]
                for threads in (1, 2):
                    other = busy_loop() if competitor != "none" else None
                    try:
                        argv, what = command_line(name, work, args.data, args, threads)
                        walls[threads] = min(timed(argv, env) for _ in range(args.repeat))
                    finally:
                        if other is not None:
                            other.kill()
                            other.wait()
                rows.append((name, what, competitor, load, walls[1], walls[2]))
                print(f"{name} {competitor}: {walls[1]:.1f} s / {walls[2]:.1f} s",
                      file=sys.stderr)
    cpus = len(os.sched_getaffinity(0))
    table = Table(title=f"wall seconds of one jetgen process by --threads; {cpus} CPUs "
                        f"allowed, {os.cpu_count()} visible")
    for column in ("command", "work", "competitor", "load avg before", "1 thread",
                   "2 threads", "1 / 2"):
        table.add_column(column, justify="right")
    for name, what, competitor, load, one, two in rows:
        table.add_row(name, what, competitor, f"{load:.2f}", f"{one:.1f}", f"{two:.1f}",
                      f"{one / two:.2f}×")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
