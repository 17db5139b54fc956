"""A careful HTTP downloader (standard library only): checksum before use, retries with
back-off, resumable partial files, and never a half file under the final name.

Each download writes its own uniquely named temporary file next to ``dest`` and renames
it into place atomically (``os.replace``), so two downloads of the same file at once (two
threads, two processes, two `jetgen download` runs) each end with a whole, checked file.
A download that gives up leaves its bytes as ``dest.part``; the next one claims that
file (an atomic rename, so only one can) and resumes it with a Range request.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .errors import JetgenError
from .io.atomic import commit, discard
from .io.cache import cache_root as default_cache_dir
from .io.digest import file_digest

__all__ = ["default_cache_dir", "download", "file_digest"]

CHUNK = 1 << 16


class _Permanent(Exception):
    """A failure that retrying cannot fix (404, 403, bad checksum)."""


def _fetch_once(url: str, part: Path, timeout: float,
                progress: Callable[[int, int | None], None] | None) -> None:
    done = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "jetgen"})
    if done:
        request.add_header("Range", f"bytes={done}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416:  # the part file is already complete
            return
        err.close()
        if 400 <= err.code < 500:
            raise _Permanent(f"HTTP {err.code} {err.reason}") from None
        raise
    with response:
        if done and response.status != 206:
            done = 0  # server ignored the range: start over
        length = response.headers.get("Content-Length")
        total = done + int(length) if length is not None else None
        with open(part, "ab" if done else "wb") as out:
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
        if total is not None and done < total:
            raise ConnectionError(f"connection dropped after {done} of {total} bytes")


def download(url: str, dest: Path, checksum: tuple[str, str] | None = None, *,
             timeout: float = 30.0, retries: int = 4, backoff: float = 1.0,
             progress: Callable[[int, int | None], None] | None = None,
             force: bool = False) -> Path:
    """Fetch ``url`` to ``dest``; ``checksum`` is ``(algorithm, hexdigest)``, e.g.
    ``("sha256", "…")`` or ``("md5", "…")``, verified before the file gets its name.

    A ``dest`` that exists and matches is kept unless ``force``; one that does not match
    is replaced only once the new download has passed the check.
    """
    dest = Path(dest)
    if not force and dest.exists() and (checksum is None
                                        or file_digest(dest, checksum[0]) == checksum[1]):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _claim_part(dest)
    finished = False
    try:
        _fetch(url, part, timeout, retries, backoff, progress)
        if checksum is not None:
            actual = file_digest(part, checksum[0])
            if actual != checksum[1]:
                discard(part)
                raise JetgenError(f"download of {url} is corrupted: {checksum[0]} {actual} != "
                                  f"expected {checksum[1]}; the partial file was removed, "
                                  "try again")
        commit(part, dest)
        finished = True
    finally:
        if not finished:
            _release_part(part, dest)
    return dest


def _claim_part(dest: Path) -> Path:
    """A new file of this download's own next to ``dest``, holding the bytes of an earlier,
    interrupted download (``dest.part``) if there is one that nobody else has claimed."""
    while True:
        own = dest.with_name(f".{dest.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
        try:
            os.close(os.open(own, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    with contextlib.suppress(FileNotFoundError):  # atomic: one claimant wins
        os.replace(dest.with_name(dest.name + ".part"), own)
    return own


def _release_part(own: Path, dest: Path) -> None:
    """Leave what a failed download got as ``dest.part`` for the next one to resume."""
    with contextlib.suppress(FileNotFoundError):
        if own.stat().st_size:
            os.replace(own, dest.with_name(dest.name + ".part"))
        else:
            discard(own)


def _fetch(url: str, part: Path, timeout: float, retries: int, backoff: float,
           progress: Callable[[int, int | None], None] | None) -> None:
    last_error = "unknown error"
    for attempt in range(retries + 1):
        try:
            _fetch_once(url, part, timeout, progress)
            return
        except _Permanent as err:
            raise JetgenError(f"download of {url} failed: {err}; check the URL or fetch the "
                              "file by hand") from None
        except TimeoutError as err:
            last_error = f"timed out after {timeout:g} s ({err})"
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, socket.gaierror):  # no DNS: no network, retrying is futile
                raise JetgenError(f"cannot reach {url} (no network: {reason.strerror}); "
                                  "download it on a machine with internet") from None
            last_error = f"{reason}"
        except (ConnectionError, OSError, http.client.HTTPException) as err:
            # HTTPException: a cut chunked body (IncompleteRead) or a garbled status line.
            last_error = f"{err.__class__.__name__}: {err}"
        if attempt < retries:
            time.sleep(backoff * 2**attempt)
    raise JetgenError(f"download of {url} failed after {retries + 1} attempts: "
                      f"{last_error}; check your network, or download it by hand")
