"""io.digest (the one file checksum) and io.cache (the one per-user cache dir)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from jetgen.io.cache import cache_dir, cache_root
from jetgen.io.digest import file_digest, sha256_file, sha256_file_memo


def test_digests_match_hashlib(tmp_path):
    path = tmp_path / "w.bin"
    data = os.urandom(5 << 20)  # more than one read block
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert sha256_file_memo(path) == hashlib.sha256(data).hexdigest()
    assert file_digest(path, "md5") == hashlib.md5(data).hexdigest()


def test_the_memo_sees_a_rewritten_file(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"one")
    first = sha256_file_memo(path)
    path.write_bytes(b"two!")  # another size: another key even on a coarse-mtime disk
    assert sha256_file_memo(path) != first == hashlib.sha256(b"one").hexdigest()


def test_one_cache_root_for_every_kind_of_content(tmp_path, monkeypatch):
    monkeypatch.setenv("JETGEN_CACHE_DIR", str(tmp_path))
    assert cache_root() == tmp_path
    assert cache_dir("models") == tmp_path / "models"
    assert cache_dir("eval", tmp_path / "mine") == tmp_path / "mine" / "eval"
    from jetgen.download import default_cache_dir
    from jetgen.evaluation.cache import cache_dir as eval_cache_dir
    from jetgen.registry import models_cache_dir

    assert default_cache_dir() == tmp_path
    assert eval_cache_dir() == tmp_path / "eval"
    assert models_cache_dir() == tmp_path / "models"
    monkeypatch.setenv("JETGEN_CACHE_DIR", "")  # empty: as if unset
    assert cache_root() != Path("") and cache_root().name == "jetgen"
