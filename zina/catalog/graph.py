"""The dependency graph: services → resources → resources.

Walks go level by level with one query per level, so they stay cheap on deep graphs and never
loop on bad data. Cycles among resources are refused when an edge is added or imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable

from zina.core.permissions import RestrictedQuerySet

from .models import Resource, ResourceDependency, Service


def _closure(resource_ids: Iterable[int], follow: str, collect: str) -> set[int]:
    seen = set(resource_ids)
    frontier = set(seen)
    while frontier:
        step = set(
            ResourceDependency.objects.filter(**{f"{follow}__in": frontier}).values_list(
                collect, flat=True
            )
        )
        frontier = step - seen
        seen |= frontier
    return seen


def dependents_closure(resource_ids: Iterable[int]) -> set[int]:
    """The given resources and every resource that depends on them, directly or not."""
    return _closure(resource_ids, follow="depends_on_id", collect="resource_id")


def dependencies_closure(resource_ids: Iterable[int]) -> set[int]:
    """The given resources and everything they depend on, directly or not."""
    return _closure(resource_ids, follow="resource_id", collect="depends_on_id")


def affected_services(resource: Resource | int) -> RestrictedQuerySet:
    """Services affected when ``resource`` is interrupted: those that depend on it or on any
    resource that (transitively) depends on it. Filter the result with ``visible_to``."""
    rid = resource if isinstance(resource, int) else resource.pk
    ids = dependents_closure([rid])
    return Service.objects.filter(dependencies__resource_id__in=ids).distinct()


def path_between(start: int, goal: int) -> list[int] | None:
    """A shortest depends-on path from ``start`` to ``goal`` (resource ids), or None."""
    parents: dict[int, int | None] = {start: None}
    frontier = [start]
    while frontier and goal not in parents:
        edges = ResourceDependency.objects.filter(resource_id__in=frontier).values_list(
            "resource_id", "depends_on_id"
        )
        frontier = []
        for src, dst in edges:
            if dst not in parents:
                parents[dst] = src
                frontier.append(dst)
    if goal not in parents:
        return None
    path = [goal]
    while (parent := parents[path[-1]]) is not None:
        path.append(parent)
    return list(reversed(path))


def find_cycle(edges: Iterable[tuple[Hashable, Hashable]]) -> list[Hashable] | None:
    """One cycle in a directed graph given as (from, to) pairs, as [a, b, …, a]; else None.

    Iterative depth-first search: safe for graphs with hundreds of thousands of edges.
    """
    graph: dict[Hashable, list[Hashable]] = defaultdict(list)
    for src, dst in edges:
        graph[src].append(dst)
    white, grey, black = 0, 1, 2
    colour: dict[Hashable, int] = defaultdict(int)
    for root in list(graph):
        if colour[root] != white:
            continue
        stack: list[tuple[Hashable, int]] = [(root, 0)]
        path: list[Hashable] = [root]
        colour[root] = grey
        while stack:
            node, index = stack[-1]
            children = graph.get(node, [])
            if index < len(children):
                stack[-1] = (node, index + 1)
                child = children[index]
                if colour[child] == grey:
                    return [*path[path.index(child) :], child]
                if colour[child] == white:
                    colour[child] = grey
                    stack.append((child, 0))
                    path.append(child)
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return None
