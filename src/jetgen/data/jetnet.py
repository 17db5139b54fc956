"""The real JetNet files from Zenodo (records 6975118 for 30 and 6975117 for 150
particles), checked against the MD5 that Zenodo publishes, cached per user.

Beside each cached file, ``NAME.checksum`` records the checksum it was verified against;
a later fetch re-checks the file against it and returns it without any network call.

JetNet files hold ``particle_features`` and ``jet_features`` only: jetgen's HDF5 reader
takes the class from the file name (``t.hdf5`` → top) when ``jet_type`` is absent.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..download import download
from ..errors import JetgenError, UsageError
from ..io.atomic import atomic_write
from ..io.cache import cache_dir as _cache_dir
from ..io.digest import file_digest

ZENODO = "https://zenodo.org"
RECORDS = {30: 6975118, 150: 6975117}


def file_name(jet_class: str, particles: int) -> str:
    return f"{jet_class}{'150' if particles == 150 else ''}.hdf5"


def _record_files(base_url: str, record: int, timeout: float) -> list[dict]:
    url = f"{base_url}/api/records/{record}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)["files"]
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise JetgenError(
            f"cannot reach {url} ({reason}); on a machine with internet download "
            f"{ZENODO}/records/{record} by hand and read the files with `jetgen info`, or "
            "make JetNet-like jets here with `jetgen data generate`"
        ) from None
    except (KeyError, json.JSONDecodeError):
        raise JetgenError(f"{url}: unexpected answer from Zenodo (no file list)") from None


def fetch(jet_class: str, particles: int = 30, cache_dir: Path | None = None,
          base_url: str | None = None, timeout: float = 10.0) -> Path:
    """Path of the cached JetNet file for one class, downloading it if needed."""
    if particles not in RECORDS:
        raise UsageError(f"--particles must be 30 or 150 (JetNet), got {particles}")
    base_url = (base_url or os.environ.get("JETGEN_JETNET_URL") or ZENODO).rstrip("/")
    name = file_name(jet_class, particles)
    dest = _cache_dir("jetnet", cache_dir) / str(particles) / name
    if _cached(dest):
        return dest  # verified against the checksum recorded at download: no network
    files = _record_files(base_url, RECORDS[particles], timeout)
    entry = next((f for f in files if f.get("key", f.get("filename")) == name), None)
    if entry is None:
        raise JetgenError(f"Zenodo record {RECORDS[particles]} has no file {name!r}")
    algorithm, _, digest = entry["checksum"].rpartition(":")
    links = entry.get("links", {})
    url = links.get("self") or links.get("download")
    if base_url != ZENODO and url and url.startswith(ZENODO):
        url = base_url + url[len(ZENODO):]
    checksum = (algorithm or "md5", digest)
    download(url, dest, checksum, timeout=timeout)
    _record_checksum(dest, checksum)
    return dest


def _sidecar(dest: Path) -> Path:
    return dest.with_name(dest.name + ".checksum")


def _cached(dest: Path) -> bool:
    """Whether ``dest`` is there and matches the checksum recorded when it was fetched."""
    try:
        record = json.loads(_sidecar(dest).read_text())
        if dest.stat().st_size != record["size"]:
            return False
        return file_digest(dest, record["algorithm"]) == record["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no record (or no file): ask Zenodo


def _record_checksum(dest: Path, checksum: tuple[str, str]) -> None:
    record = {"algorithm": checksum[0], "digest": checksum[1], "size": dest.stat().st_size}
    atomic_write(_sidecar(dest), json.dumps(record))
