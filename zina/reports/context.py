"""One dashboard request: who looks, at which part, over which period, with which filters.

Metric functions take a :class:`ReportContext` and return a :class:`~zina.reports.tables.
Table`; they read only through the context's querysets, which already carry the viewer's
permissions, the dashboard's scope and the filters (service, type, channel, level).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from django.db.models import Q, QuerySet

from zina.catalog.models import Resource, Service
from zina.knowledge.models import Article
from zina.tickets.models import Ticket

from .period import Period
from .scope import Scope, scoped_articles, scoped_services, scoped_tickets
from .tables import Table


@dataclass(frozen=True)
class Filters:
    """The filter bar: each empty tuple means "all"."""

    services: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    levels: tuple[int, ...] = ()

    def ticket_q(self) -> Q:
        q = Q()
        if self.services:
            q &= Q(service_id__in=self.services)
        if self.kinds:
            q &= Q(kind__in=self.kinds)
        if self.channels:
            q &= Q(channel__in=self.channels)
        if self.levels:
            q &= Q(level__in=self.levels)
        return q


@dataclass
class ReportContext:
    user: Any
    dashboard: str
    scope: Scope
    period: Period
    filters: Filters = field(default_factory=Filters)
    # Results shared by the metrics of one request (one grouped query feeds several tables).
    shared: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo[T](self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per request under ``key``."""
        if key not in self.shared:
            self.shared[key] = compute()
        return cast("T", self.shared[key])

    @cached_property
    def tickets(self) -> QuerySet[Ticket]:
        """Tickets in scope and filters, of any time (narrow with :meth:`created_in` etc.)."""
        return scoped_tickets(self.user, self.scope).filter(self.filters.ticket_q())

    def created_in(
        self, qs: QuerySet[Any] | None = None, field: str = "created_at"
    ) -> QuerySet[Any]:
        """Rows of ``qs`` (default: the tickets) whose ``field`` falls in the period."""
        qs = self.tickets if qs is None else qs
        return qs.filter(**{f"{field}__gte": self.period.start, f"{field}__lt": self.period.end})

    @cached_property
    def services(self) -> QuerySet[Service]:
        qs = scoped_services(self.user, self.scope)
        if self.filters.services:
            qs = qs.filter(pk__in=self.filters.services)
        return qs

    @cached_property
    def resources(self) -> QuerySet[Resource]:
        qs = Resource.objects.visible_to(self.user)
        if self.scope.institutions is not None:
            qs = qs.filter(institution_id__in=self.scope.institutions)
        if self.scope.resources is not None:
            qs = qs.filter(pk__in=self.scope.resources)
        return qs

    @cached_property
    def articles(self) -> QuerySet[Article]:
        qs = scoped_articles(self.user, self.scope)
        if self.filters.services:
            qs = qs.filter(services__in=self.filters.services).distinct()
        return qs


Metric = Callable[[ReportContext], Table]
_metrics: dict[str, Metric] = {}


def metric(key: str) -> Callable[[Metric], Metric]:
    """Register a metric function under ``key`` (e.g. ``"volumes.by_kind"``)."""

    def register(fn: Metric) -> Metric:
        _metrics[key] = fn
        return fn

    return register


def get_metric(key: str) -> Metric:
    return _metrics[key]


def metric_keys() -> set[str]:
    return set(_metrics)
