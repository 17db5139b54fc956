"""The bad-input table: each way of handing jetgen something wrong is one row.

Every row runs the real CLI (``jetgen.cli.main.main``) and asserts one line on stderr, no
traceback, a non-zero exit, and that nothing was lost: no new file (under the output name or
a temporary one), none removed, and every file that was there before byte-for-byte the
same. Where a row writes, an older file already sits under the output name (with
--overwrite), so the row also proves that a failed run leaves it alone. Signals and a full
disk need a process of their own and follow the table.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from jetgen.cli.main import main
from jetgen.config import dumps_toml, to_dict
from jetgen.io import open_writer, read_jets
from jetgen.jets import Jets
from jetgen.sampling.run import sample_to_file
from jetgen.sampling.shards import Shard
from jetgen.train import STATE_FILE

IS_ROOT = os.geteuid() == 0
PRECIOUS = b"an older file the user wants to keep"


@pytest.fixture(scope="module")
def shared(smallest_teacher, smallest_run, tmp_path_factory) -> dict[str, Path]:
    """Real inputs the rows start from: Pythia jets, a trained tiny model (the shared
    smallest teacher of tests/conftest.py), two shards."""
    root = tmp_path_factory.mktemp("bad_input")
    model = smallest_teacher.model
    config = root / "tiny.toml"
    config.write_text(dumps_toml(to_dict(smallest_run(100_000))))
    files = {"data": smallest_teacher.data, "model": model, "config": config,
             "run": smallest_teacher.run_dir}
    for name, seed, index in (("s0", 1, 0), ("s1", 1, 1), ("other_s1", 5, 1)):
        files[name] = root / f"{name}.h5"
        sample_to_file(files[name], model=str(model), classes=[2], n=300, seed=seed, steps=1,
                       shard=Shard(index, 2))
    files["root"] = root / "jets.root"
    sample_to_file(files["root"], model=str(model), classes=[2], n=2000, steps=1)
    return files


def output(work: Path, name: str = "out.h5") -> list[str]:
    """``-o`` onto an older file (with --overwrite): a failed run must leave it alone."""
    (work / name).write_bytes(PRECIOUS)
    return ["-o", str(work / name), "--overwrite"]


def sample(s: dict, *args: str) -> list[str]:
    return ["sample", "--model", str(s["model"]), "--steps", "1", *args]


def train(s: dict, data: Path, out: Path) -> list[str]:
    return ["train", "--data", str(data), "-o", str(out), "--config", str(s["config"]),
            "--device", "cpu"]


def copy_with(path: Path, to: Path, change: Callable[[Jets], None]) -> Path:
    jets = read_jets(path)
    change(jets)
    with open_writer(to, jets.n_particles, {}) as writer:
        writer.write(jets)
    return to


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def read_only_dir(path: Path) -> Path:
    path.mkdir(mode=0o555)
    return path


def cut(path: Path, to: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    to.write_bytes(data[: int(len(data) * keep)])
    return to


def no_access(path: Path) -> Path:
    path.chmod(0)
    return path


def nan_weights(model: Path, to: Path) -> Path:
    data = bytearray(model.read_bytes())
    data[-200:-100] = b"\xff" * 100  # tensor bytes (the header comes first): NaN floats
    to.write_bytes(bytes(data))
    return to


class Unpickled:
    """Pickled weights that write a file if anything ever unpickles them."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def pickled(work: Path, zip_format: bool) -> Path:
    path = work / "weights.safetensors"
    torch.save({"net": Unpickled(work / "marker")}, path,
               _use_new_zipfile_serialization=zip_format)
    return path


def registry_with_wrong_hash(work: Path, s: dict, monkeypatch) -> str:
    """A group registry ($JETGEN_REGISTRY) whose weights beside it have another sha256."""
    weights = work / "weights"
    weights.mkdir()
    shutil.copyfile(s["model"], weights / "tiny.safetensors")
    (weights / "models.json").write_text(
        '{"models": [{"name": "tiny", "file": "tiny.safetensors", '
        f'"sha256": "{"0" * 64}"}}]}}')
    monkeypatch.setenv("JETGEN_REGISTRY", str(weights / "models.json"))
    return "tiny"


def wrong_schema(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        f["particles"] = np.zeros((4, 30, 4), np.float32)
    return path


@dataclass
class Case:
    id: str
    argv: Callable  # (work dir, shared files, monkeypatch) -> argv
    message: str
    code: int = 1
    needs_non_root: bool = False  # root reads and writes whatever the permissions say


CASES = [
    Case("missing input", lambda w, s, m: ["info", str(w / "missing.root")], "no such file"),
    Case("missing conditions", lambda w, s, m: sample(
        s, "--conditions", str(w / "missing.h5"), *output(w)), "no such file"),
    Case("unreadable input", lambda w, s, m: [
        "info", str(no_access(shutil.copy(s["data"], w / "x.h5")))], "permission denied",
        needs_non_root=True),
    # What root meets instead of a permission error (CI runs as root): the same open()
    # failing with another OSError, the input being a directory.
    Case("input is a directory", lambda w, s, m: [
        "info", str(mkdir(w / "dir.h5"))], "is a directory, expected an HDF5 file"),
    Case("truncated ROOT", lambda w, s, m: ["info", str(cut(s["root"], w / "cut.root"))],
         "truncated or corrupted"),
    Case("truncated HDF5 conditions", lambda w, s, m: sample(
        s, "--conditions", str(cut(s["data"], w / "cut.h5")), *output(w)), "truncated"),
    Case("not ROOT", lambda w, s, m: train(s, put(w / "fake.root", b"not ROOT"), w / "run"),
         "not a readable ROOT file"),
    Case("HDF5 without the JetNet datasets", lambda w, s, m: train(
        s, wrong_schema(w / "other.h5"), w / "run"), "missing dataset 'particle_features'"),
    Case("NaN in training data", lambda w, s, m: train(s, copy_with(
        s["data"], w / "nan.h5", lambda j: j.particles.__setitem__((3, 0, 0), np.nan)),
        w / "run"), "NaN or inf"),
    Case("inf in --conditions", lambda w, s, m: sample(s, "--conditions", str(copy_with(
        s["data"], w / "inf.h5", lambda j: j.jet.__setitem__((5, 0), np.inf))), *output(w)),
        "NaN/inf kinematics"),
    Case("unknown jet class", lambda w, s, m: sample(
        s, "--jet", "tpo", "--n", "5", *output(w)), "did you mean 'top'", code=2),
    Case("class not in --conditions", lambda w, s, m: sample(
        s, "--conditions", str(s["data"]), "--jet", "w", *output(w)), "no jets of class(es) w"),
    Case("--n 0", lambda w, s, m: sample(s, "--jet", "t", "--n", "0", *output(w)),
         "--n must be a positive", code=2),
    Case("--n < 0 with --conditions", lambda w, s, m: sample(
        s, "--conditions", str(s["data"]), "--n", "-3", *output(w)), "--n must be a positive",
        code=2),
    Case("--n too large for the disk", lambda w, s, m: sample(
        s, "--jet", "t", "--n", str(10**15), *output(w)), "GB free"),
    Case("existing output without --overwrite", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", *output(w)[:2]), "pass --overwrite"),
    Case("output directory missing", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", "-o", str(w / "nope" / "x.h5")), "does not exist"),
    Case("output under a file", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", "-o", str(put(w / "f", b"") / "x.h5"), "--overwrite"),
        "is a file, not a directory"),
    Case("unknown output type", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", *output(w, "out.txt")), "unknown file type"),
    Case("unwritable directory", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", "-o", str(read_only_dir(w / "ro") / "x.h5")),
        "not writable", needs_non_root=True),
    Case("output is a directory", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", "-o", str(mkdir(w / "out.h5")), "--overwrite"),
        "is a directory, expected a file name"),
    Case("truncated weights", lambda w, s, m: sample(s, "--model", str(cut(
        s["model"], w / "cut.safetensors", 0.9)), "--jet", "t", "--n", "5", *output(w)),
        "not a valid safetensors file"),
    Case("corrupted weights", lambda w, s, m: sample(s, "--model", str(nan_weights(
        s["model"], w / "nan.safetensors")), "--jet", "t", "--n", "5", *output(w)),
        "corrupted weights"),
    Case("pickled weights", lambda w, s, m: sample(s, "--model", str(pickled(
        w, zip_format=True)), "--jet", "t", "--n", "5", *output(w)), "never unpickles"),
    Case("pickled weights (legacy format)", lambda w, s, m: sample(s, "--model", str(pickled(
        w, zip_format=False)), "--jet", "t", "--n", "5", *output(w)), "never unpickles"),
    Case("registry hash mismatch", lambda w, s, m: sample(s, "--model", registry_with_wrong_hash(
        w, s, m), "--jet", "t", "--n", "5", *output(w)), "does not match the registry"),
    Case("run exists without --resume", lambda w, s, m: train(
        s, s["data"], Path(shutil.copytree(s["run"], w / "run"))), "pass --resume"),
    Case("--shard out of range", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", "--shard", "3/3", *output(w)), "0 … 2", code=2),
    Case("--shard malformed", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "5", "--shard", "1of3", *output(w)), "expected i/N", code=2),
    Case("merge with a shard missing", lambda w, s, m: [
        "merge", str(s["s0"]), *output(w)], "missing shard(s) 1/2"),
    Case("merge of two runs", lambda w, s, m: [
        "merge", str(s["s0"]), str(s["other_s1"]), *output(w)], "differ in seed"),
    Case("merge with a shard twice", lambda w, s, m: [
        "merge", str(s["s0"]), str(shutil.copy(s["s0"], w / "again.h5")), str(s["s1"]),
        *output(w)], "given twice"),
    Case("merge of a non-shard", lambda w, s, m: [
        "merge", str(s["data"]), *output(w)], "not a shard"),
    Case("unknown option", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "4", "--bogus", *output(w)), "No such option: --bogus", 2),
    Case("space-separated classes", lambda w, s, m: sample(
        s, "--jet", "t", "g", "--n", "4", *output(w)), "unexpected extra argument", 2),
    Case("unknown --precision", lambda w, s, m: sample(
        s, "--jet", "t", "--n", "4", "--precision", "fp8", *output(w)), "--precision must be", 2),
    Case("distill compress without a student network", lambda w, s, m: [
        "distill", "--method", "compress", "--teacher", str(s["model"]), "--data",
        str(s["data"]), "-o", str(w / "student"), "--device", "cpu"], "--student-config", 2),
    Case("train --part jet without --init-from", lambda w, s, m: [
        *train(s, s["data"], w / "run"), "--part", "jet"], "pass --init-from MODEL", 2),
    Case("train unknown --part", lambda w, s, m: [
        *train(s, s["data"], w / "run"), "--part", "jets"], "did you mean 'jet'", 2),
    Case("distill unknown --part", lambda w, s, m: [
        "distill", "--part", "jets", "--teacher", str(s["model"]), "--data", str(s["data"]),
        "-o", str(w / "student"), "--device", "cpu"], "did you mean 'jet'", 2),
]


def snapshot(directory: Path) -> dict[str, bytes | int]:
    out: dict[str, bytes | int] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            try:
                out[str(path.relative_to(directory))] = path.read_bytes()
            except PermissionError:
                out[str(path.relative_to(directory))] = path.stat().st_mtime_ns
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, shared, tmp_path, capsys, monkeypatch):
    if case.needs_non_root and IS_ROOT:
        pytest.skip("running as root: permissions do not stop root")
    argv = case.argv(tmp_path, shared, monkeypatch)
    before = snapshot(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == case.code, err
    assert len(lines) == 1 and lines[0].startswith("jetgen: error: "), err
    assert case.message in lines[0]
    assert "Traceback" not in err
    assert snapshot(tmp_path) == before  # nothing new, nothing gone, nothing changed


def test_conditions_outside_the_training_range_warn_how_far(shared, tmp_path, capsys):
    def push(jets: Jets) -> None:
        jets.jet[:4, 0] = 5000.0  # far above any JetNet pT
        jets.jet[7, 1] = -4.0

    far = copy_with(shared["data"], tmp_path / "far.h5", push)
    out = tmp_path / "out.h5"
    assert main(sample(shared, "--conditions", str(far), "--n", "20", "-o", str(out))) == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jetgen: warning: 5 of 20 conditioning")
    assert "pt above" in lines[0] and "eta below" in lines[0] and "by up to" in lines[0]
    assert len(read_jets(out)) == 20


def jetgen(*args: str, **kwargs) -> subprocess.Popen:
    # No batch-log progress lines: these rows count stderr lines, and a loaded machine
    # can take longer than the 30 s between them.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "JETGEN_PROGRESS_EVERY": "86400"}
    return subprocess.Popen([sys.executable, "-m", "jetgen", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_full_disk_is_one_line_and_keeps_the_old_output(shared, tmp_path, suffix):
    """A real write failure: the file-size limit (RLIMIT_FSIZE) makes write() fail with
    EFBIG, the same path a full disk (ENOSPC) takes."""
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    argv = sample(shared, "--jet", "t", "--n", "3000", *output(tmp_path, f"out{suffix}"))
    before = snapshot(tmp_path)
    proc = jetgen(*argv, preexec_fn=small_files)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert err.count("\n") == 1 and "disk full or file size limit reached" in err
    assert snapshot(tmp_path) == before


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 240
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"never saw {what}: {proc.communicate()[1]}")
        time.sleep(0.05)


def test_sigterm_mid_sample_leaves_nothing(shared, tmp_path):
    argv = sample(shared, "--jet", "t", "--n", "200000", *output(tmp_path))
    before = snapshot(tmp_path)
    proc = jetgen(*argv)
    wait_for(lambda: any(tmp_path.glob(".out.h5.*.part")), proc, "the temporary file")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip() == "jetgen: error: interrupted by SIGTERM; no partial output was kept"
    assert snapshot(tmp_path) == before  # the old output is intact, no temporary file


def test_sigterm_mid_train_checkpoints_and_resumes(shared, tmp_path):
    run = tmp_path / "run"
    proc = jetgen(*train(shared, shared["data"], run))
    wait_for(lambda: (run / STATE_FILE).exists(), proc, "a checkpoint")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.count("\n") == 1 and "stopped by SIGTERM at step" in err and "--resume" in err
    stopped = len((run / "metrics.jsonl").read_text().splitlines())
    assert main([*train(shared, shared["data"], run), "--resume", "--steps",
                 str(stopped + 2)]) == 0
    steps = [int(line.split('"step": ')[1].split(",")[0])
             for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, stopped + 3))  # picked up where it stopped, no repeats
