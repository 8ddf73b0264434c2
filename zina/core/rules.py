"""Visibility rules written once, compiled twice.

A view rule built from these pieces yields both a database filter (``Q``) for
``visible_to`` and a filter over the search index's access tokens, so the index cannot
drift from the database: there is one rule, not two. A leaf pairs a ``Q`` with the tokens a
document carries when the ``Q`` holds for it ("any of these tokens").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q

from .permissions import NOTHING


class Rule:
    """A boolean rule over rows; ``q()`` for the database, ``tokens`` form for the index."""

    def q(self) -> Q:
        raise NotImplementedError

    def matches(self, tokens: set[str] | frozenset[str]) -> bool:
        """Does a row carrying these access tokens pass? (The index's reading of the rule,
        evaluated on tokens freshly computed from the database.)"""
        raise NotImplementedError

    def __and__(self, other: Rule) -> Rule:
        return All((self, other))

    def __or__(self, other: Rule) -> Rule:
        return AnyOf((self, other))

    def __invert__(self) -> Rule:
        return Not(self)


# A leaf's database filter, or a function that builds it: searches read only the tokens, so
# filters with subqueries are built only when a database query needs them.
Where = Q | Callable[[], Q]


@dataclass(frozen=True)
class Leaf(Rule):
    """Rows matching ``where`` — in the index, documents carrying any of ``tokens``."""

    where: Where
    tokens: frozenset[str]

    def q(self) -> Q:
        if not self.tokens:
            return NOTHING
        return self.where() if callable(self.where) else self.where

    def matches(self, tokens: set[str] | frozenset[str]) -> bool:
        return not self.tokens.isdisjoint(tokens)


@dataclass(frozen=True)
class All(Rule):
    parts: tuple[Rule, ...]

    def q(self) -> Q:
        result = Q()
        for part in self.parts:
            result &= part.q()
        return result

    def matches(self, tokens: set[str] | frozenset[str]) -> bool:
        return all(part.matches(tokens) for part in self.parts)


@dataclass(frozen=True)
class AnyOf(Rule):
    parts: tuple[Rule, ...]

    def q(self) -> Q:
        result = NOTHING
        for part in self.parts:
            result |= part.q()
        return result

    def matches(self, tokens: set[str] | frozenset[str]) -> bool:
        return any(part.matches(tokens) for part in self.parts)


@dataclass(frozen=True)
class Not(Rule):
    part: Rule

    def q(self) -> Q:
        return ~self.part.q()

    def matches(self, tokens: set[str] | frozenset[str]) -> bool:
        return not self.part.matches(tokens)


class Everything(Rule):
    def q(self) -> Q:
        return Q()

    def matches(self, tokens: set[str] | frozenset[str]) -> bool:
        return True


def leaf(where: Where, tokens: Iterable[str]) -> Leaf:
    return Leaf(where, frozenset(tokens))


def ids_leaf(where: Where, prefix: str, ids: Iterable[int]) -> Leaf:
    """Rows related to any of ``ids``: tokens ``prefix:id``. An empty set matches nothing."""
    ids = set(ids)
    return Leaf(where if ids else NOTHING, frozenset(f"{prefix}:{i}" for i in ids))
