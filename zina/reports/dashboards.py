"""The dashboards, one per role, each a list of sections of registered metrics.

A metric key names a function registered with ``@metric`` in ``zina/reports/metrics/``; the
same metric serves every dashboard it appears on, narrowed by that dashboard's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import scope as scopes
from .metrics import availability, knowledge, queues, service_levels, volumes  # noqa: F401
from .scope import Scope


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: Promise
    description: Promise
    scope: Callable[[Any], Scope]
    sections: tuple[Section, ...]


VOLUMES = Section(
    "volumes",
    _("Volumes"),
    (
        "volumes.over_time",
        "volumes.by_kind",
        "volumes.by_channel",
        "volumes.by_service",
        "volumes.by_level",
    ),
)
SERVICE_LEVELS = Section(
    "service_levels",
    _("Service levels"),
    (
        "sla.compliance_by_service",
        "sla.compliance_by_priority",
        "sla.mean_times",
        "sla.resolution_rates",
        "sla.breaches",
    ),
)
AVAILABILITY = Section(
    "availability",
    _("Availability"),
    ("availability.by_service", "availability.interruptions"),
)
KNOWLEDGE = Section(
    "knowledge",
    _("Knowledge"),
    (
        "knowledge.link_rate",
        "knowledge.reuse",
        "knowledge.from_tickets",
        "knowledge.time_to_publish",
        "knowledge.self_service",
        "knowledge.review_overdue",
        "knowledge.feedback",
        "knowledge.most_viewed",
        "knowledge.never_viewed",
        "knowledge.no_result_searches",
        "knowledge.gaps",
    ),
)
QUEUES = Section(
    "queues",
    _("Queues"),
    ("queues.backlog", "queues.by_team", "volumes.by_channel", "volumes.by_level"),
)
KNOWLEDGE_USE = Section(
    "knowledge",
    _("Knowledge"),
    ("knowledge.link_rate", "knowledge.self_service", "knowledge.gaps"),
)

DASHBOARDS: dict[str, Dashboard] = {
    d.key: d
    for d in (
        Dashboard(
            "portfolio",
            _("Service portfolio"),
            _("The whole institution: every service, every channel, every support level."),
            scopes.portfolio_scope,
            (VOLUMES, SERVICE_LEVELS, AVAILABILITY, KNOWLEDGE_USE),
        ),
        Dashboard(
            "service",
            _("My services"),
            _("The services you own: their requests, service levels and availability."),
            scopes.service_scope,
            (VOLUMES, SERVICE_LEVELS, AVAILABILITY, KNOWLEDGE_USE),
        ),
        Dashboard(
            "resource",
            _("My resources"),
            _("The resources you own: their incidents, interruptions and the services hit."),
            scopes.resource_scope,
            (VOLUMES, AVAILABILITY),
        ),
        Dashboard(
            "support",
            _("Support queues"),
            _("Queues, backlog and resolution at support levels 1 and 2."),
            scopes.support_scope,
            (QUEUES, SERVICE_LEVELS),
        ),
        Dashboard(
            "knowledge",
            _("Knowledge"),
            _("Whether knowledge is captured, reused, kept current and found."),
            scopes.knowledge_scope,
            (KNOWLEDGE,),
        ),
    )
}


def scopes_for(user: Any) -> dict[str, Scope]:
    """Each dashboard the user has a non-empty scope on, by key, with that scope."""
    if not getattr(user, "is_authenticated", False):
        return {}
    scopes = {key: d.scope(user) for key, d in DASHBOARDS.items()}
    return {key: scope for key, scope in scopes.items() if not scope.empty}


def dashboards_for(user: Any) -> list[Dashboard]:
    """The dashboards the user has a non-empty scope on."""
    return [DASHBOARDS[key] for key in scopes_for(user)]
