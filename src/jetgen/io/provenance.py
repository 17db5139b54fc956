"""What every output file records about how it was made."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
from importlib import metadata

_LIBRARIES = ("torch", "numpy", "uproot", "awkward", "h5py", "jetnet", "pythia8mc", "fastjet")


def library_versions() -> dict[str, str]:
    out = {}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def base_provenance(**fields) -> dict:
    """Common fields (version, time, command line, libraries) plus the caller's own."""
    from .._version import __version__

    record = {
        "jetgen_version": __version__,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "python": platform.python_version(),
        "host": platform.platform(),
        "libraries": library_versions(),
    }
    record.update(fields)
    return record


def dumps(record: dict) -> str:
    return json.dumps(record, sort_keys=True, default=str)
