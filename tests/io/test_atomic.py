"""io.atomic: the one write-then-rename (a temporary sibling, renamed only when complete,
removed on any error)."""

from __future__ import annotations

import errno

import pytest

from jetgen.errors import JetgenError, JetgenFileError
from jetgen.io.atomic import atomic_open, atomic_path, atomic_write, check_output, write_failed


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    assert atomic_write(target, "new ✓") == target
    assert target.read_text(encoding="utf-8") == "new ✓"
    atomic_write(target, b"\x00\x01", fsync=True)
    assert target.read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path) == []


def test_an_error_inside_the_block_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write(b"half")
        raise RuntimeError("crash")
    assert target.read_bytes() == b"old"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_atomic_path_writes_beside_the_target(tmp_path):
    with atomic_path(tmp_path / "out.h5") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.h5.")
        assert tmp.name.endswith(".part")
        tmp.write_bytes(b"x")
    assert (tmp_path / "out.h5").read_bytes() == b"x"


def test_atomic_open_refuses_modes_that_do_not_write_a_new_file(tmp_path):
    with pytest.raises(ValueError, match="not a write mode"), atomic_open(tmp_path / "a", "ab"):
        pass


def test_output_checks_are_file_errors_with_the_cli_messages(tmp_path):
    existing = tmp_path / "a.h5"
    existing.write_bytes(b"x")
    with pytest.raises(JetgenFileError, match="output exists; pass --overwrite") as err:
        check_output(existing, overwrite=False)
    assert isinstance(err.value, OSError) and isinstance(err.value, JetgenError)
    assert err.value.errno == errno.EEXIST and err.value.path == existing
    assert str(err.value) == f"{existing}: output exists; pass --overwrite to replace it"
    assert check_output(existing, overwrite=True) == existing
    with pytest.raises(OSError, match="does not exist"):
        check_output(tmp_path / "no" / "a.h5", overwrite=False)
    with pytest.raises(OSError, match="is a directory"):
        check_output(tmp_path, overwrite=False)


def test_write_failed_keeps_the_reason_and_the_errno(tmp_path):
    err = write_failed(tmp_path / "a.root", OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(err, OSError) and err.errno == errno.ENOSPC
    assert str(err) == (f"{tmp_path / 'a.root'}: write failed (disk full or file size limit "
                        "reached: No space left on device); no partial output was kept")
