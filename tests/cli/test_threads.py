"""Thread counts: decided from what the process may use, and never changing the jets."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from jetgen.cli.main import main
from jetgen.io import read_jets, read_provenance
from jetgen.threads import cgroup_cpus, resolve_threads


def test_one_and_two_threads_give_identical_jets():
    """The default model (one step) and the teacher (several Heun steps), across two
    compute blocks, so a thread-dependent reduction anywhere would show."""
    import jetgen

    for model, steps in ((None, None), ("pythia30-teacher", 3)):
        one = jetgen.sample(jet=["g", "t"], n=300, model=model, steps=steps, threads=1)
        two = jetgen.sample(jet=["g", "t"], n=300, model=model, steps=steps, threads=2)
        assert one.particles.tobytes() == two.particles.tobytes()
        assert one.jet.tobytes() == two.jet.tobytes()
        assert np.array_equal(one.mask, two.mask)


def test_cli_threads_do_not_reach_the_file(tmp_path):
    """--threads 1 and 2 write the same jets and the same provenance (apart from the
    command line and the time), so threads need not be recorded."""
    paths = [tmp_path / f"t{k}.h5" for k in (1, 2)]
    for k, path in zip((1, 2), paths, strict=True):
        assert main(["sample", "--jet", "w", "--n", "260", "--threads", str(k),
                     "-o", str(path)]) == 0
    a, b = (read_jets(p) for p in paths)
    assert a.particles.tobytes() == b.particles.tobytes()
    pa, pb = (read_provenance(p) for p in paths)
    for record in (pa, pb):
        for key in ("created_utc", "command"):
            record.pop(key, None)
    assert pa == pb
    assert "threads" not in pa


@pytest.mark.parametrize("bad", ["0", "-2", "two"])
def test_bad_threads_is_one_line(bad, tmp_path, capsys):
    code = main(["sample", "--jet", "t", "--n", "10", "--threads", bad,
                 "-o", str(tmp_path / "x.h5")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--threads" in err[0], err
    assert not (tmp_path / "x.h5").exists()


def test_api_threads_speak_python():
    with pytest.raises(Exception, match="threads must be a positive integer"):
        resolve_threads(0)


def default_in_child(env_extra: dict, preexec=None, first: str = "") -> int:
    """default_threads() of a fresh interpreter (the environment and affinity matter)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK", "OMP_WAIT_POLICY")}
    code = f"{first}from jetgen.threads import default_threads; print(default_threads()[0])"
    out = subprocess.run([sys.executable, "-c", code], env={**env, **env_extra},
                         preexec_fn=preexec, capture_output=True, text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two allowed CPUs")
def test_default_follows_affinity_slurm_and_omp():
    allowed = len(os.sched_getaffinity(0))
    assert default_in_child({}) == min(allowed, cgroup_cpus() or allowed)
    one_cpu = sorted(os.sched_getaffinity(0))[:1]
    assert default_in_child({}, preexec=lambda: os.sched_setaffinity(0, one_cpu)) == 1
    assert default_in_child({"SLURM_CPUS_PER_TASK": "1"}) == 1
    assert default_in_child({"OMP_NUM_THREADS": "3"}) == 3
    # torch loaded first keeps OpenMP's spinning wait: one thread then.
    assert default_in_child({}, first="import torch; ") == 1


def test_cgroup_quotas_are_read(tmp_path):
    """cgroup v2 cpu.max and v1 cfs quota files as the kernel writes them, found through
    a /proc/self/cgroup listing that puts the job in a nested group."""
    listing = tmp_path / "cgroup"
    listing.write_text("0::/slurm/job_7\n")
    job = tmp_path / "slurm" / "job_7"
    job.mkdir(parents=True)
    (job / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpus(tmp_path, listing) == 2
    (job / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpus(tmp_path, listing) is None
    listing.write_text("4:cpu,cpuacct:/condor/slot1\n0::/\n")
    slot = tmp_path / "cpu" / "condor" / "slot1"
    slot.mkdir(parents=True)
    (slot / "cpu.cfs_quota_us").write_text("100000\n")
    (slot / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpus(tmp_path, listing) == 1
    (slot / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpus(tmp_path, listing) is None
