"""Every command's --help ends in an example that parses, and shell completion works."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from jetgen.cli.main import app, main

ROOT = typer.main.get_command(app)


def is_group(cmd) -> bool:
    # Typer ships its own copy of click: recognise groups by what they hold, not by class.
    return isinstance(getattr(cmd, "commands", None), dict)


def walk(cmd, path: tuple[str, ...] = ()):
    """(path, command) for the root, every group and every command, found at run time so
    commands added later are covered without touching this test."""
    yield path, cmd
    if is_group(cmd):
        for name, sub in sorted(cmd.commands.items()):
            if not sub.hidden:
                yield from walk(sub, (*path, name))


COMMANDS = list(walk(ROOT))


def test_the_walk_finds_groups_and_leaves():
    paths = {" ".join(p) for p, _ in COMMANDS}
    assert {"", "data", "data fetch", "sample", "models", "download"} <= paths


def example_of(cmd) -> str:
    text = "\n".join(t for t in (cmd.help, cmd.epilog) if t)
    found = re.search(r"Example:\s*(jetgen\s[^\n]+)", text)
    assert found, f"no 'Example: jetgen …' line in {cmd.name}'s help/epilog"
    return found.group(1).strip()


def parse_example(line: str):
    """Follow the example's words down the command tree, then let click parse the rest
    exactly as it would on the command line (without running the command)."""
    words = shlex.split(line)
    assert words[0] == "jetgen"
    cmd, path, rest = ROOT, (), words[1:]
    while is_group(cmd):
        assert rest and rest[0] in cmd.commands, f"{line!r}: no command {rest[:1]}"
        cmd, path, rest = cmd.commands[rest[0]], (*path, rest[0]), rest[1:]
    return path, cmd.make_context(" ".join(("jetgen", *path)), rest)


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) or "jetgen" for p, _ in
                                                     COMMANDS])
def test_help_shows_an_example_that_parses(path, cmd, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one example per line in the rendered help
    assert main([*path, "--help"]) == 0
    shown = capsys.readouterr().out
    line = example_of(cmd)
    assert f"Example: {line}" in " ".join(shown.split())
    target, ctx = parse_example(line)
    assert target[: len(path)] == path, f"{line!r} does not run `jetgen {' '.join(path)}`"
    assert ctx.params


def test_every_command_line_in_the_readme_parses():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()
             if line.startswith("jetgen ")]
    assert len(lines) >= 8
    for line in lines:
        parse_example(line)


def test_bash_completion_installs_and_completes(tmp_path):
    exe = shutil.which("jetgen", path=str(Path(sys.executable).parent)) or shutil.which(
        "jetgen")
    if exe is None:
        pytest.skip("the jetgen console script is not installed")
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    # Without a shell among its ancestors (a CI runner, nohup) typer's shell detection
    # finds none; its test switch makes --install-completion take the shell as a value.
    env = {**os.environ, "HOME": str(tmp_path), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
           "PATH": f"{Path(exe).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([exe, "--install-completion", "bash"], env=env, capture_output=True,
                          text=True, timeout=120)
    script = tmp_path / ".bash_completions" / "jetgen.sh"
    assert done.returncode == 0 and script.exists(), done.stdout + done.stderr
    assert str(script) in (tmp_path / ".bashrc").read_text()
    probe = (f"source {shlex.quote(str(script))}; "
             "for words in 'jetgen dow' 'jetgen data f' 'jetgen download --ov'; do "
             "read -ra COMP_WORDS <<< \"$words\"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
             "_jetgen_completion jetgen; echo \"${COMPREPLY[*]}\"; done")
    done = subprocess.run(["bash", "-c", probe], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["download", "fetch", "--overwrite"]
