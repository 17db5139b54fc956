"""The downloader and `jetgen data fetch` against real HTTP servers on 127.0.0.1."""

import hashlib
import json
import socket
import threading
import time

import h5py
import numpy as np
import pytest
from localserver import PAYLOAD, Server

from jetgen.cli.main import main
from jetgen.data.jetnet import fetch
from jetgen.download import download
from jetgen.errors import JetgenError


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


SHA = ("sha256", hashlib.sha256(PAYLOAD).hexdigest())


def test_good_file_is_verified_and_kept(server, tmp_path):
    path = download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    assert path.read_bytes() == PAYLOAD
    download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    assert len(server.requests) == 1  # already there: not fetched again


def test_corrupted_file_is_refused_and_removed(server, tmp_path):
    server.mode = "corrupt"
    with pytest.raises(JetgenError, match="corrupted"):
        download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    assert list(tmp_path.iterdir()) == []


def test_404_fails_at_once(server, tmp_path):
    with pytest.raises(JetgenError, match="HTTP 404"):
        download(f"{server.url}/missing.bin", tmp_path / "m.bin", SHA, backoff=0)
    assert len(server.requests) == 1


def test_dropped_connection_resumes_with_a_range_request(server, tmp_path):
    server.mode = "drop"
    path = download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert server.requests[0]["range"] is None
    assert server.requests[1]["range"] == f"bytes={len(PAYLOAD) // 2}-"


def test_slow_server_times_out_after_retries(server, tmp_path):
    server.mode = "slow"
    with pytest.raises(JetgenError, match="timed out"):
        download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, timeout=0.2, retries=1,
                 backoff=0)
    assert len(server.requests) == 2
    assert not (tmp_path / "f.bin").exists()


def test_server_errors_are_retried_with_back_off(server, tmp_path):
    server.mode, server.failures = "flaky", 2
    start = time.perf_counter()
    path = download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, retries=3, backoff=0.1)
    assert path.read_bytes() == PAYLOAD and len(server.requests) == 3
    assert time.perf_counter() - start >= 0.1 + 0.2  # waited 0.1 s, then 0.2 s


def test_part_file_of_an_interrupted_run_is_resumed(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:30_000])
    path = download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    assert path.read_bytes() == PAYLOAD
    assert [r["range"] for r in server.requests] == ["bytes=30000-"]
    assert not (tmp_path / "f.bin.part").exists()


def test_server_that_ignores_range_is_read_from_the_start(server, tmp_path):
    server.mode = "norange"
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:30_000])
    path = download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    assert path.read_bytes() == PAYLOAD


def test_force_fetches_again_and_a_bad_copy_never_replaces_a_good_one(server, tmp_path):
    dest = download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    server.mode = "corrupt"
    with pytest.raises(JetgenError, match="corrupted"):
        download(f"{server.url}/f.bin", dest, SHA, backoff=0, force=True)
    assert len(server.requests) == 2
    assert dest.read_bytes() == PAYLOAD and sorted(tmp_path.iterdir()) == [dest]


def test_two_concurrent_downloads_of_the_same_file_both_end_whole(server, tmp_path):
    server.mode = "trickle"
    dest = tmp_path / "f.bin"
    start = threading.Barrier(2)
    results: list = []

    def one():
        start.wait()
        try:
            results.append(download(f"{server.url}/f.bin", dest, SHA, retries=0, backoff=0))
        except Exception as err:  # reported by the assertion below
            results.append(err)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [dest, dest]
    assert len(server.requests) == 2  # both really downloaded, at the same time
    assert dest.read_bytes() == PAYLOAD
    assert sorted(tmp_path.iterdir()) == [dest]  # no temporary file left behind


def test_a_download_that_gives_up_leaves_a_part_file_the_next_one_resumes(server, tmp_path):
    server.mode = "drop"
    with pytest.raises(JetgenError, match="failed after 1 attempts"):
        download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, retries=0, backoff=0)
    part = tmp_path / "f.bin.part"
    assert sorted(tmp_path.iterdir()) == [part] and part.stat().st_size == len(PAYLOAD) // 2
    path = download(f"{server.url}/f.bin", tmp_path / "f.bin", SHA, backoff=0)
    assert path.read_bytes() == PAYLOAD and sorted(tmp_path.iterdir()) == [path]
    assert server.requests[-1]["range"] == f"bytes={len(PAYLOAD) // 2}-"


def _jetnet_file(path):
    with h5py.File(path, "w") as f:
        f["particle_features"] = np.zeros((3, 30, 4), np.float32)
        f["jet_features"] = np.ones((3, 4), np.float32)


def test_fetch_reads_the_zenodo_record_and_checks_md5(server, tmp_path):
    _jetnet_file(tmp_path / "t.hdf5")
    body = (tmp_path / "t.hdf5").read_bytes()
    server.files["/files/t.hdf5"] = body
    record = {"files": [{"key": "t.hdf5", "checksum": "md5:" + hashlib.md5(body).hexdigest(),
                         "links": {"self": f"{server.url}/files/t.hdf5"}}]}
    server.files["/api/records/6975118"] = json.dumps(record).encode()
    path = fetch("t", 30, cache_dir=tmp_path / "cache", base_url=server.url)
    assert path.read_bytes() == body
    from jetgen.io import read_jets

    assert (read_jets(path).jet_type == 2).all()  # class from the JetNet file name


def test_cached_fetch_makes_no_request(server, tmp_path, monkeypatch, capsys):
    _jetnet_file(tmp_path / "t.hdf5")
    body = (tmp_path / "t.hdf5").read_bytes()
    server.files["/files/t.hdf5"] = body
    record = {"files": [{"key": "t.hdf5", "checksum": "md5:" + hashlib.md5(body).hexdigest(),
                         "links": {"self": f"{server.url}/files/t.hdf5"}}]}
    server.files["/api/records/6975118"] = json.dumps(record).encode()
    monkeypatch.setenv("JETGEN_JETNET_URL", server.url)
    cache = tmp_path / "cache"
    assert main(["data", "fetch", "--jet", "t", "--cache-dir", str(cache)]) == 0
    path = cache / "jetnet" / "30" / "t.hdf5"
    assert capsys.readouterr().out.strip() == str(path)
    assert len(server.requests) == 2  # the Zenodo record, then the file
    assert main(["data", "fetch", "--jet", "t", "--cache-dir", str(cache)]) == 0
    assert capsys.readouterr().out.strip() == str(path)
    assert len(server.requests) == 2  # from the cache: not even the record was asked for
    path.write_bytes(body[:-1] + b"x")  # a damaged cached copy is fetched again
    assert main(["data", "fetch", "--jet", "t", "--cache-dir", str(cache)]) == 0
    assert len(server.requests) == 4 and path.read_bytes() == body


def test_fetch_offline_is_one_line_and_fast(tmp_path, monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("JETGEN_JETNET_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("JETGEN_CACHE_DIR", str(tmp_path))
    start = time.perf_counter()
    assert main(["data", "fetch", "--jet", "t"]) == 1
    assert time.perf_counter() - start < 10
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach" in err[0] and "jetgen data generate" in err[0]
