"""Jets/s of every sampler at 1, 10, 50, 100 steps, peak memory of large runs, and jets/s at
1 and 2 threads with and without a competing CPU-bound process.

    python benchmarks/sample_speed.py --model weights/pythia30-teacher.safetensors
    python benchmarks/sample_speed.py --model runs/teacher30 --jets 2000 --memory-n 100000
    python benchmarks/sample_speed.py --threads-only            # the thread table alone
    python benchmarks/sample_speed.py --model runs/t150/ema.safetensors --particles 150 \
        --reference data/t150.h5                      # 150 constituents: sample and eval RSS

Threads: each cell is a fresh process (the OpenMP wait policy is read once, when torch
loads) timing `sample_jets` (the default model, top jets) after a warm-up, for the policy
jetgen sets (PASSIVE) and torch's own default (spin, then sleep); "+1 busy loop" runs a
Python `while True` process beside it at the same niceness. The machine's load average
before each cell is printed: on a shared node "no competitor" is not "idle".

Speeds: one warm-up batch per (sampler, steps), then the timed batches, in this process.
Memory: each n is a separate `jetgen sample` process (1 step, Euler, one class, ROOT
output), and its own peak resident set is read from outside: `/usr/bin/time -v` where it
exists, else the child's /proc/PID/status VmHWM polled by this process. (Not the child's
``ru_maxrss``: Linux carries that over from the parent across exec, so every row would
read this process's peak.) A streaming writer keeps the peak flat in n.
Prints tables; nothing here is asserted (speed is judged by reading the table).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from jetgen.device import resolve_device
from jetgen.diffusion.samplers import SAMPLERS, nfe
from jetgen.models.checkpoint import read_model
from jetgen.registry import resolve_model
from jetgen.sampling.batch import generate_batch
from jetgen.sampling.precision import SAMPLE_PRECISIONS, resolve_precision


def time_sampler(model, name: str, steps: int, n_jets: int, batch: int, device,
                 precision: str = "fp32") -> float:
    jet_type = np.arange(n_jets) % len(model.config.classes)

    def run(lo: int, hi: int) -> None:
        generate_batch(model, jet_type[lo:hi], np.arange(lo, hi, dtype=np.uint64), sampler=name,
                       steps=steps, device=device, precision=precision)

    run(0, min(n_jets, batch))  # warm-up: first-call allocations, kernel selection
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for lo in range(0, n_jets, batch):
        run(lo, min(n_jets, lo + batch))
    if device.type == "cuda":
        torch.cuda.synchronize()
    return n_jets / (time.perf_counter() - start)


def jetgen_command() -> list[str]:
    """`jetgen` of this interpreter's environment (else `python -m jetgen`)."""
    script = Path(sys.executable).parent / "jetgen"
    return [str(script)] if script.exists() else [sys.executable, "-m", "jetgen"]


GNU_TIME = Path("/usr/bin/time")


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else None


def peak_memory(model: str, n: int, device: str, batch: int,
                out: Path | None = None) -> tuple[float, float, str]:
    """(peak RSS in MB, wall seconds, how measured) of one `jetgen sample` process
    writing n jets (1 step, Euler, one class) to ``out`` (default: a file deleted after)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [*jetgen_command(), "sample", "--model", model, "--jet", "t", "--n", str(n),
               "--steps", "1", "--sampler", "euler", "--device", device, "--batch-size",
               str(batch), "-o", str(out or Path(tmp) / "m.root")]
        env = {**os.environ, "TERM": "dumb"}
        start = time.perf_counter()
        if GNU_TIME.exists():
            report = Path(tmp) / "time.txt"
            subprocess.run([str(GNU_TIME), "-v", "-o", str(report), *cmd], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            wall = time.perf_counter() - start
            found = re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                              report.read_text())
            return int(found.group(1)) / 1024, wall, "/usr/bin/time -v"
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=env)
        peak = 0
        while child.poll() is None:
            peak = max(peak, _vm_hwm_kb(child.pid) or 0)
            time.sleep(0.02)
        wall = time.perf_counter() - start
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, cmd)
        return peak / 1024, wall, "VmHWM of /proc/PID/status, polled"


def eval_peak_memory(generated: Path, reference: str) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one `jetgen eval` of ``generated``: 1,000 jets per
    class are compared (the cost of the metrics is not what is measured), but the whole file
    is read, in blocks (evaluation/inputs.py), so the peak must not grow with its size."""
    cmd = [*jetgen_command(), "eval", str(generated), "-r", reference, "-n", "1000",
           "--bootstrap", "2", "--no-cache", "--reference-split", "all"]
    report = generated.with_suffix(".time.txt")
    start = time.perf_counter()
    subprocess.run([str(GNU_TIME), "-v", "-o", str(report), *cmd], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "TERM": "dumb"})
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read_text())
    return int(found.group(1)) / 1024, time.perf_counter() - start


THREAD_CHILD = """
import sys, time
if sys.argv[2] == "torch-default":
    import torch  # loaded before jetgen: OpenMP keeps its own wait policy
from jetgen.sampling.run import sample_jets
from jetgen.threads import using_threads
model = None if sys.argv[3] == "-" else sys.argv[3]
with using_threads(int(sys.argv[1])):
    sample_jets(model=model, classes=[2], n=256)
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        sample_jets(model=model, classes=[2], n=int(sys.argv[4]))
        rates.append(int(sys.argv[4]) / (time.perf_counter() - start))
print(sorted(rates)[1])
"""


def thread_rate(threads: int, policy: str, model: str | None, n_jets: int,
                busy: bool) -> float:
    """Median jets/s of three runs in a fresh process (see the module docstring)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",
                                                            "OMP_WAIT_POLICY")}
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        out = subprocess.run([sys.executable, "-c", THREAD_CHILD, str(threads), policy,
                              model or "-", str(n_jets)], env=env, check=True,
                             capture_output=True, text=True).stdout
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    return float(out.split()[-1])


def thread_table(model: str | None, n_jets: int) -> Table:
    from jetgen.threads import allowed_cpus

    cpus, why = allowed_cpus()
    table = Table(title=f"jets/s of sample_jets (top, {n_jets} jets, default model unless "
                  f"--model) by torch threads; {cpus} CPUs allowed ({why}), "
                  f"{os.cpu_count()} visible; nice {os.nice(0)}")
    for col in ("competitor", "OpenMP wait", "load avg before", "1 thread", "2 threads",
                "2 / 1"):
        table.add_column(col, justify="right")
    for busy in (False, True):
        for policy in ("PASSIVE", "torch-default"):
            load = os.getloadavg()[0]
            one = thread_rate(1, policy, model, n_jets, busy)
            two = thread_rate(2, policy, model, n_jets, busy)
            table.add_row("+1 busy loop" if busy else "none", policy.lower(), f"{load:.2f}",
                          f"{one:,.0f}", f"{two:,.0f}", f"{two / one:.2f}×")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--jets", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS))
    parser.add_argument("--precision", default="fp32", choices=SAMPLE_PRECISIONS)
    parser.add_argument("--memory-n", type=lambda v: int(float(v)), nargs="*",
                        default=[10_000, 100_000, 1_000_000],
                        help="jets of each `jetgen sample` process whose peak memory is "
                        "measured (default: 10k 100k 1M; the 1M run takes minutes)")
    parser.add_argument("--particles", type=int, default=None,
                        help="constituents per jet the model must have (e.g. 150); the "
                        "memory table then also gives the peak RSS of `jetgen eval` of each "
                        "sampled file against --reference")
    parser.add_argument("--reference", default=None,
                        help="reference file of the same particle count for --particles")
    parser.add_argument("--threads-only", action="store_true",
                        help="only the 1-vs-2-thread table")
    parser.add_argument("--thread-jets", type=int, default=2048,
                        help="jets per timed run in the thread table")
    args = parser.parse_args()
    if args.threads_only:
        Console().print(thread_table(args.model, args.thread_jets))
        return
    device = resolve_device(args.device)
    path, _ = resolve_model(args.model)
    model, _ = read_model(path, device)
    if args.particles and model.config.n_particles != args.particles:
        parser.error(f"{path} is a {model.config.n_particles}-particle model, not "
                     f"--particles {args.particles}")
    if args.particles and not (args.reference and GNU_TIME.exists()):
        parser.error("--particles measures eval too: pass --reference REF.h5 (needs "
                     "/usr/bin/time)")
    args.precision = resolve_precision(args.precision, model.config.precision, device)
    table = Table(title=f"jets/s on {device} ({torch.get_num_threads()} threads), {path.name}, "
                  f"{args.precision}")
    table.add_column("sampler")
    for steps in args.steps:
        table.add_column(f"{steps} steps")
    for name in args.samplers:
        row = [name]
        for steps in args.steps:
            rate = time_sampler(model, name, steps, args.jets, args.batch, device,
                                args.precision)
            row.append(f"{rate:,.0f} ({nfe(name, steps)} NFE)")
        table.add_row(*row)
    console = Console()
    console.print(table)
    if not args.memory_n:
        return
    mem = Table(title="peak RSS of one `jetgen sample` process per n (1 step, Euler, "
                f"batch {args.batch}, ROOT file): must not grow with n")
    for col in ("n jets", "peak RSS (MB)", "wall (s)", "jets/s (whole process)"):
        mem.add_column(col, justify="right")
    if args.particles:
        for col in ("eval peak RSS (MB)", "eval wall (s)"):
            mem.add_column(col, justify="right")
    how = ""
    with tempfile.TemporaryDirectory() as keep:
        for n in args.memory_n:
            out = Path(keep) / f"m{n}.root" if args.particles else None
            peak, wall, how = peak_memory(str(path), n, str(device), args.batch, out)
            row = [f"{n:,}", f"{peak:,.0f}", f"{wall:,.1f}", f"{n / wall:,.0f}"]
            if out is not None:
                e_peak, e_wall = eval_peak_memory(out, args.reference)
                row += [f"{e_peak:,.0f}", f"{e_wall:,.1f}"]
                for part in Path(keep).glob("m*.root"):  # 1M jets at 150: ~2 GB each
                    part.unlink()
            mem.add_row(*row)
    console.print(mem)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"measured with {how}; this benchmark process itself: {rss:.0f} MB")
    if args.particles:  # the thread table is about the shipped default model
        return
    console.print(thread_table(args.model, args.thread_jets))

if __name__ == "__main__":
    main()
