"""Signs of life in a batch log: with stderr a pipe, long commands print a plain progress
line every $JETGEN_PROGRESS_EVERY seconds, and a stopped distill says where its checkpoint
is and how to continue."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ANSI = re.compile(r"\x1b\[")


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "JETGEN_PROGRESS_EVERY": "0.3", "OMP_NUM_THREADS": "1",
           "TERM": "xterm-256color"}  # a terminal type, but the pipe decides
    return subprocess.Popen([sys.executable, "-m", "jetgen", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Lines:
    """stderr read line by line as the process writes it."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc) -> None:
        for line in proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, proc: subprocess.Popen, timeout: float = 240) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = re.search(pattern, line)
                if found:
                    return found
            if proc.poll() is not None and not self.thread.is_alive():
                break
            time.sleep(0.05)
        proc.kill()
        pytest.fail(f"no line matching {pattern!r} in {self.lines}")


def test_sample_prints_plain_progress_lines_into_a_pipe(tmp_path):
    proc = start("sample", "--jet", "t", "--n", "3000", "--batch-size", "256",
                 "-o", str(tmp_path / "t.h5"))
    with proc:
        lines = Lines(proc)
        out = proc.stdout.read()
        proc.wait(timeout=300)
        lines.thread.join()
    assert proc.returncode == 0, lines.lines
    progress = [ln for ln in lines.lines if ln.startswith("jetgen: sampling: ")]
    assert progress, lines.lines
    line = re.compile(r"jetgen: sampling: [\d,]+/3,000 jets \(\d+%\)(, [\d,]+ jets/s)?, "
                      r"[\dhmins ]+ elapsed(, ETA [\dhmins ]+)?$")  # 5 s, 1 min 05 s, 1 h 02 min
    assert all(line.match(ln) for ln in progress), progress
    assert any("ETA" in ln for ln in progress), progress
    assert not any(ANSI.search(ln) for ln in lines.lines)
    assert out.startswith("wrote 3000 jets")


@pytest.fixture(scope="module")
def teacher(smallest_teacher) -> tuple[Path, Path]:
    """(weights, training data) of the shared smallest teacher (tests/conftest.py)."""
    return smallest_teacher.model, smallest_teacher.data


def distill_until_stopped(teacher: Path, data: Path, out: Path, after: str) -> tuple[str, list]:
    proc = start("distill", "--teacher", str(teacher), "--data", str(data), "--factor", "2",
                 "--train-steps", "100000", "--batch-size", "16", "-o", str(out))
    with proc:
        lines = Lines(proc)
        lines.wait_for(after, proc)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        lines.thread.join()
    assert proc.returncode == 128 + signal.SIGINT, lines.lines
    return lines.lines[-1], lines.lines


def test_a_stopped_distill_says_where_its_checkpoint_is(teacher, tmp_path):
    model, data = teacher
    out = tmp_path / "pd"
    # stop once a progress line shows a step past the first checkpoint (every 200 steps)
    last, lines = distill_until_stopped(
        model, data, out, r"jetgen: distilling \(progressive\): ([2-9]\d\d|\d{4,})/100,000")
    progress = [ln for ln in lines if ln.startswith("jetgen: distilling")]
    assert all(re.match(r"jetgen: distilling \(progressive\): [\d,]+/100,000 steps \(\d+%\), "
                        r"(loss [\d.]+, [\d,]+ jets/s, )?[\dhmins ]+ elapsed", ln)
               for ln in progress), progress
    assert any("loss" in ln and "ETA" in ln for ln in progress), progress
    found = re.fullmatch(r"jetgen: error: stopped by SIGINT at step (\d+) of 100000; last "
                         r"checkpoint (\S+) \(step (\d+); one every 200 steps\); run the same "
                         r"command again to continue from it", last)
    assert found, last
    step, checkpoint, saved = int(found[1]), Path(found[2]), int(found[3])
    assert checkpoint.is_file() and checkpoint.is_relative_to(out)
    assert saved % 200 == 0 and 200 <= saved <= step
    # The same command continues from that checkpoint, not from step 0.
    _, again = distill_until_stopped(model, data, out, r"jetgen: distilling.*loss")
    first = next(ln for ln in again if ln.startswith("jetgen: distilling") and "loss" in ln)
    assert int(re.search(r": ([\d,]+)/", first)[1].replace(",", "")) > saved
