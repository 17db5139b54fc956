"""Sharded production: the i-th of N disjoint, reproducible pieces of one sampling run.

Jet j of a run always gets the key jet_seeds(seed, j) (seeds.py) and always shares its
network call with the same
``COMPUTE_BLOCK``-aligned neighbours (see plan.py), so cutting the run on block
boundaries makes every shard a slice of the one-run output: shard files concatenated in
shard order (``jetgen merge``) are bit-identical to ``jetgen sample`` without ``--shard``.
Shards are numbered from 0, as in ``sbatch --array=0-{N-1}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"3/8"`` → Shard(3, 8); shards count from 0, so ``i`` runs over 0 … N-1."""
    match = _SPEC.match(text)
    if not match:
        raise UsageError(f"--shard {text!r}: expected i/N, e.g. --shard 0/8 (i counts from 0)")
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise UsageError(f"--shard {text}: N must be at least 1")
    if index >= count:
        raise UsageError(f"--shard {text}: i must be in 0 … {count - 1} (shards count from 0)")
    return Shard(index, count)


def shard_range(total: int, shard: Shard | None, block: int) -> tuple[int, int]:
    """[start, stop) jet indices of ``shard``: whole blocks, spread as evenly as possible.

    With more shards than blocks some shards are empty (they still write a valid file).
    """
    if shard is None:
        return 0, total
    blocks = -(-total // block)
    lo = shard.index * blocks // shard.count * block
    hi = (shard.index + 1) * blocks // shard.count * block
    return min(lo, total), min(hi, total)


def shard_record(shard: Shard, total: int, start: int, stop: int) -> dict:
    """What a shard file records so that ``jetgen merge`` can check the set."""
    return {"index": shard.index, "count": shard.count, "total_jets": total,
            "start": start, "stop": stop,
            "first_jet": start if stop > start else None,
            "last_jet": stop - 1 if stop > start else None}
