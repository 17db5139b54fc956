"""The downloader and `jetgen data fetch` against real HTTP servers on 127.0.0.1."""

import hashlib
import http.server
import json
import socket
import threading
import time

import h5py
import numpy as np
import pytest

from jetgen.cli.main import main
from jetgen.data.jetnet import fetch
from jetgen.download import download
from jetgen.errors import JetgenError

PAYLOAD = bytes(range(256)) * 400  # 100 kB


class Server:
    """A threaded local server whose behaviour each test sets."""

    def __init__(self):
        self.mode = "good"
        self.requests: list[dict] = []
        self.files: dict[str, bytes] = {"/f.bin": PAYLOAD}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append({"path": self.path, "range": self.headers.get("Range")})
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                if server.mode == "slow":
                    time.sleep(1.0)
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                else:
                    self.send_response(200)
                chunk = body[start:]
                if server.mode == "corrupt":
                    chunk = b"x" + chunk[1:]
                self.send_header("Content-Length", str(len(chunk)))
                self.end_headers()
                if server.mode == "drop" and not rng:
                    self.wfile.write(chunk[: len(chunk) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(chunk)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


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
