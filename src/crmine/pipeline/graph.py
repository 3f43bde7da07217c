"""The order of ``crmine run``'s steps, derived from what each declares.

Edges: the creator of a table runs before every step that extends it; every step that
writes or extends a table runs before every other step that reads it; ``after`` adds the
edges declarations cannot express (two extenders of the same columns). Among steps free to
run, the order is by name, so the order never depends on which module was imported first.
A declaration that cannot be satisfied (a table nobody creates, two creators, a cycle) is a
programming error and fails loudly before anything runs.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from crmine.pipeline.step import Step


class StepGraphError(ValueError):
    """The steps' declarations contradict each other."""


def order_steps(steps: list[Step]) -> list[Step]:
    """``steps`` in an order that honours every declaration."""
    by_name = {s.name: s for s in steps}
    if len(by_name) != len(steps):
        raise StepGraphError("two steps share a name")
    creators: dict[str, str] = {}
    for s in steps:
        for table in s.writes:
            if table in creators:
                raise StepGraphError(
                    f"{table} is created by both {creators[table]!r} and {s.name!r}"
                )
            creators[table] = s.name
    extenders: dict[str, list[str]] = defaultdict(list)
    for s in steps:
        for table in s.extends:
            if table not in creators:
                raise StepGraphError(f"step {s.name!r} extends {table}, which no step creates")
            extenders[table].append(s.name)
    edges: dict[str, set[str]] = {s.name: set() for s in steps}  # before -> afters

    def edge(before: str, after: str) -> None:
        if before != after:
            edges[before].add(after)

    for s in steps:
        for table in s.extends:
            edge(creators[table], s.name)
        for table in s.reads:
            if table not in creators:
                raise StepGraphError(f"step {s.name!r} reads {table}, which no step creates")
            if table in s.extends:
                continue  # an extender reading its own table: ordered as an extender
            edge(creators[table], s.name)
            for other in extenders.get(table, ()):
                edge(other, s.name)
        for name in s.after:
            if name not in by_name:
                raise StepGraphError(f"step {s.name!r} runs after {name!r}, which is no step")
            edge(name, s.name)
    return [by_name[n] for n in _topological(edges)]


def _topological(edges: dict[str, set[str]]) -> list[str]:
    indegree = dict.fromkeys(edges, 0)
    for afters in edges.values():
        for a in afters:
            indegree[a] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        n = heapq.heappop(ready)
        out.append(n)
        for a in edges[n]:
            indegree[a] -= 1
            if indegree[a] == 0:
                heapq.heappush(ready, a)
    if len(out) != len(edges):
        stuck = sorted(n for n, d in indegree.items() if d > 0)
        raise StepGraphError(f"the steps' declarations form a cycle among: {', '.join(stuck)}")
    return out
