"""A real HTTP server on 127.0.0.1 whose misbehaviour each download test chooses."""

from __future__ import annotations

import http.server
import socket
import threading
import time

PAYLOAD = bytes(range(256)) * 400  # 100 kB


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients hang up on purpose here (timeouts); tests check what they saw


class Server:
    """Threaded server of ``files`` (path → bytes) in one of these modes:

    good; corrupt (first byte changed); drop (a request without Range gets half the body,
    then the connection is cut); slow (1 s before the headers); flaky (the first
    ``failures`` requests answer 503); norange (Range headers are ignored: always 200);
    trickle (the body in 10 pieces, ``trickle`` seconds apart, so downloads overlap).
    ``requests`` records every request (path and Range header).
    """

    def __init__(self) -> None:
        self.mode = "good"
        self.failures = 1
        self.trickle = 0.02
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
                if server.mode == "flaky" and len(server.requests) <= server.failures:
                    self.send_error(503)
                    return
                if server.mode == "slow":
                    time.sleep(1.0)
                start = 0
                rng = self.headers.get("Range")
                if rng and server.mode != "norange":
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
                if server.mode == "trickle":
                    step = -(-len(chunk) // 10)
                    for lo in range(0, len(chunk), step):
                        self.wfile.write(chunk[lo:lo + step])
                        self.wfile.flush()
                        time.sleep(server.trickle)
                    return
                self.wfile.write(chunk)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
