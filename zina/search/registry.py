"""What each app puts in the search index.

An app's ``search.py`` registers a :class:`DocType`: how to build index documents from its
rows (text by weight class, the access tokens its visibility rule reads, facet values), the
visibility :class:`~zina.core.rules.Rule` for a user (the same rule its ``visible_to`` uses),
and which objects' changes touch which documents. Hits are shown from documents built afresh
from the database and checked with the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.urls import reverse

from zina.core.rules import Rule

# Weight classes of text, highest first: title; symptoms, keywords and summaries; body.
# (StackFAQ: title 2.0 with a dismax tie-breaker of 1.0 beat 3.0 with 0.2 by nDCG@10 +0.02.)
WEIGHTS = {"title": 2.0, "summary": 1.6, "body": 1.0}


@dataclass
class IndexDoc:
    """One document in the index: a row (``kind:pk``) in one language."""

    kind: str
    pk: int
    language: str
    title: str
    summary: str = ""
    body: str = ""
    acl: set[str] = field(default_factory=set)
    type: str = ""
    state: str = ""
    audience: str = ""
    institution: int = 0
    services: Sequence[int] = ()
    date: datetime | None = None
    # For showing a hit (not indexed): where it opens, and a few labelled facts.
    url: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.pk}"

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}:{self.language}"


@dataclass(frozen=True)
class DocType:
    kind: str
    label: Any
    model: type[models.Model]
    # Index documents for these primary keys (rows gone or not indexable yield nothing).
    build: Callable[[Sequence[int]], Iterable[IndexDoc]]
    # The visibility rule for a user (superusers and inactive users are handled by search).
    rule: Callable[[Any], Rule]
    # Objects whose audited changes touch documents of this kind: model → obj → pks.
    sources: dict[type[models.Model], Callable[[Any], Iterable[int]]] = field(default_factory=dict)
    # Labels for values of the ``type`` / ``state`` / ``audience`` facets.
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)

    def all_pks(self) -> models.QuerySet[Any]:
        return self.model._default_manager.order_by("pk").values_list("pk", flat=True)


_doc_types: dict[str, DocType] = {}


def register(doc_type: DocType) -> None:
    _doc_types[doc_type.kind] = doc_type


def doc_types() -> dict[str, DocType]:
    return dict(_doc_types)


def get(kind: str) -> DocType:
    return _doc_types[kind]


def refs_touched_by(obj: models.Model) -> set[str]:
    """Document refs (``kind:pk``) that a change of ``obj`` may alter."""
    refs: set[str] = set()
    concrete = type(obj)._meta.concrete_model or type(obj)
    for doc_type in _doc_types.values():
        if concrete is doc_type.model:
            refs.add(f"{doc_type.kind}:{obj.pk}")
        source = doc_type.sources.get(concrete)
        if source is not None:
            refs.update(f"{doc_type.kind}:{pk}" for pk in source(obj) if pk)
    return refs


_URL_SENTINEL = 987_654_321_987  # stands for the primary key in one reversed URL


def url_maker(name: str) -> Callable[[int], str]:
    """``pk → url`` of the named view from one ``reverse`` (searches hydrate every hit
    through a document builder: a ``reverse`` per hit cost more than the rest of it)."""
    template = reverse(name, args=[_URL_SENTINEL])
    return lambda pk: template.replace(str(_URL_SENTINEL), str(pk))
