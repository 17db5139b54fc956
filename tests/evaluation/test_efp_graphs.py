"""The EFP graph list is exactly jetnet's d ≤ 4 set: every multigraph, each once."""

from __future__ import annotations

import itertools
from collections import Counter

from jetgen.evaluation.efp_graphs import CONNECTED, DISCONNECTED, GRAPHS, N_EFPS


def canonical(edges: tuple[tuple[int, int], ...], n: int) -> tuple:
    """The lexicographically least relabelling: equal for isomorphic multigraphs."""
    best = None
    for perm in itertools.permutations(range(n)):
        relabelled = tuple(sorted(tuple(sorted((perm[a], perm[b]))) for a, b in edges))
        best = relabelled if best is None or relabelled < best else best
    return (n, best)


def connected(edges, n: int) -> bool:
    seen, todo = {0}, [0]
    while todo:
        v = todo.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == v and y not in seen:
                    seen.add(y)
                    todo.append(y)
    return len(seen) == n


def all_connected_multigraphs(max_edges: int) -> set:
    found = {(1, ())}  # the single vertex: Σ z
    for d in range(1, max_edges + 1):
        for n in range(2, d + 2):
            pairs = list(itertools.combinations(range(n), 2))
            for edges in itertools.combinations_with_replacement(pairs, d):
                if {v for e in edges for v in e} == set(range(n)) and connected(edges, n):
                    found.add(canonical(edges, n))
    return found


def test_connected_graphs_are_every_multigraph_once():
    ours = [canonical(g.edges, g.n) for g in GRAPHS]
    assert len(set(ours)) == len(ours) == 21
    assert set(ours) == all_connected_multigraphs(4)


def test_disconnected_are_every_product_once():
    degrees = [g.d for g in GRAPHS]
    products = {tuple(sorted(c)) for k in (2, 3, 4)
                for c in itertools.combinations_with_replacement(range(1, len(GRAPHS)), k)
                if sum(degrees[i] for i in c) <= 4}
    assert Counter(tuple(sorted(p)) for p in DISCONNECTED) == Counter(products)
    assert N_EFPS == len(CONNECTED) + len(DISCONNECTED) == 36


def test_weights_and_einsum_follow_the_edges():
    for g in GRAPHS:
        assert sum(g.weights) == g.d
        assert g.einstr.count(",") + 1 == len(g.simple_edges) + g.n
