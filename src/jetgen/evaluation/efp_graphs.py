"""The multigraphs behind the 36 energy flow polynomials with d ≤ 4, without energyflow.

An EFP is a multigraph: each vertex is a particle energy ``z``, each edge an angle ``θ``
(a k-fold edge is ``θ^k``), summed over all particle assignments. jetnet's FPD/KPD feature
set, ``EFPSet(("d<=", 4))``, is every multigraph with at most 4 edges and no isolated
vertex: 21 connected ones and 15 products of those. They are listed here, in energyflow's
column order (the order jetnet's arrays have, so cached features and recorded values keep
their meaning). The list is a mathematical fact (tests check that it is complete and
duplicate-free); the einsum programs are derived from it with numpy's own greedy path,
which is the contraction order energyflow uses for these graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

Edge = tuple[int, int]

#: Connected EFPs as edge lists (a repeated edge is a higher power of θ), energyflow order.
CONNECTED: tuple[tuple[Edge, ...], ...] = (
    (),  # d = 0: Σ z_a (one vertex)
    ((0, 1),),
    ((0, 1),) * 2,
    ((0, 1),) * 3,
    ((0, 1),) * 4,
    ((0, 1), (0, 2)),
    ((0, 1), (0, 2), (0, 2)),
    ((0, 1), (0, 2), (0, 2), (0, 2)),
    ((0, 1), (0, 1), (0, 2), (0, 2)),
    ((0, 1), (0, 2), (1, 2)),
    ((0, 1), (0, 2), (0, 2), (1, 2)),
    ((0, 1), (0, 2), (0, 3)),
    ((0, 1), (0, 2), (0, 2), (0, 3)),
    ((0, 1), (0, 2), (1, 3)),
    ((0, 1), (0, 2), (0, 2), (1, 3)),
    ((0, 1), (0, 1), (0, 2), (1, 3)),
    ((0, 1), (0, 2), (1, 2), (0, 3)),
    ((0, 1), (0, 2), (1, 3), (2, 3)),
    ((0, 1), (0, 2), (0, 3), (0, 4)),
    ((0, 1), (0, 2), (0, 3), (1, 4)),
    ((0, 1), (0, 2), (1, 3), (2, 4)),
)

#: Disconnected EFPs (columns 21…35) as the connected columns they multiply.
DISCONNECTED: tuple[tuple[int, ...], ...] = (
    (1, 1), (1, 2), (1, 3), (2, 2), (1, 5), (2, 5), (1, 6), (1, 9), (1, 1, 1), (1, 11),
    (1, 13), (5, 5), (1, 1, 2), (1, 1, 5), (1, 1, 1, 1),
)

_LETTERS = "abcdefghijklmnopqrstuvwxy"


@dataclass(frozen=True)
class Graph:
    """One connected EFP: its edges and the einsum that evaluates it."""

    edges: tuple[Edge, ...]

    @property
    def n(self) -> int:
        """Vertices (particle sums); the empty graph is the single vertex Σ z."""
        return 1 + max((max(e) for e in self.edges), default=0)

    @property
    def d(self) -> int:
        return len(self.edges)

    @cached_property
    def simple_edges(self) -> tuple[Edge, ...]:
        """Distinct edges in first-appearance order (the einsum's θ operands)."""
        return tuple(dict.fromkeys(self.edges))

    @cached_property
    def weights(self) -> tuple[int, ...]:
        """Power of θ on each simple edge (its multiplicity)."""
        return tuple(self.edges.count(e) for e in self.simple_edges)

    @cached_property
    def einstr(self) -> str:
        """θ operands first, then one ``z`` per vertex; an empty graph sums ``z`` alone."""
        thetas = [_LETTERS[i] + _LETTERS[j] for i, j in self.simple_edges]
        zs = [_LETTERS[v] for v in range(self.n)]
        return ",".join(thetas + zs) + ("" if thetas else "->")

    @cached_property
    def path(self) -> list[tuple[int, ...]]:
        """Pairwise contraction order (``numpy.einsum_path`` greedy, sizes irrelevant)."""
        operands = [np.empty((2, 2))] * len(self.simple_edges) + [np.empty(2)] * self.n
        return [tuple(p) for p in np.einsum_path(self.einstr, *operands,
                                                 optimize="greedy")[0][1:]]


GRAPHS: tuple[Graph, ...] = tuple(Graph(e) for e in CONNECTED)
N_EFPS = len(CONNECTED) + len(DISCONNECTED)


def w1efp_columns() -> np.ndarray:
    """jetnet's W1EFP set ``("n==", 4), ("d==", 4), ("p==", 1)``: connected, 4 vertices,
    4 edges (products of graphs are never prime)."""
    return np.array([i for i, g in enumerate(GRAPHS) if g.n == 4 and g.d == 4])
