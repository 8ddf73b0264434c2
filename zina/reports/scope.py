"""Whose figures a dashboard adds up: the permission rule of the reports app.

Every dashboard starts from what its viewer may see as staff (``tickets.permissions.
staff_rule``, ``Article.objects.visible_to``) and narrows it to the viewer's part: the
portfolio owner's institutions, the service owner's services, the resource owner's
resources, the support lead's queues, the knowledge manager's institutions. Nothing here
widens what the viewer sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from zina.accounts.choices import Role
from zina.accounts.roles import (
    MANAGE_KNOWLEDGE,
    MANAGE_TICKETS,
    grants_of,
    institutions_with,
    scoped_ids,
    staff_institutions,
)
from zina.catalog.models import Resource, Service
from zina.core.permissions import is_superuser
from zina.knowledge.models import Article
from zina.tickets.models import Ticket
from zina.tickets.permissions import reader_institutions, staff_rule


def _roles_institution_wide(user: Any, roles: set[str]) -> set[int]:
    return {
        g.institution_id for g in grants_of(user) if g.scope_type_id is None and g.role in roles
    } & staff_institutions(user)


@dataclass(frozen=True)
class Scope:
    """The part of the installation a dashboard covers for one viewer.

    ``None`` means "no limit on this axis" (only for superusers, or for an axis the
    dashboard does not narrow); an empty set means "nothing".
    """

    institutions: frozenset[int] | None
    services: frozenset[int] | None = None
    resources: frozenset[int] | None = None

    @property
    def empty(self) -> bool:
        return any(
            s is not None and not s for s in (self.institutions, self.services, self.resources)
        )

    def ticket_q(self) -> Q:
        q = Q()
        if self.institutions is not None:
            q &= Q(institution_id__in=self.institutions) | Q(received_by_id__in=self.institutions)
        if self.services is not None:
            q &= Q(service_id__in=self.services)
        if self.resources is not None:
            q &= Q(resource_id__in=self.resources)
        return q


def portfolio_scope(user: Any) -> Scope:
    if is_superuser(user):
        return Scope(None)
    return Scope(
        frozenset(_roles_institution_wide(user, {Role.SERVICE_PORTFOLIO_OWNER, Role.AUDITOR}))
    )


def service_scope(user: Any) -> Scope:
    if is_superuser(user):
        return Scope(None)
    wide = _roles_institution_wide(user, {Role.SERVICE_OWNER})
    own = set(scoped_ids(user, Service, {Role.SERVICE_OWNER}))
    own |= set(Service.objects.filter(institution_id__in=wide).values_list("pk", flat=True))
    institutions = set(Service.objects.filter(pk__in=own).values_list("institution_id", flat=True))
    return Scope(frozenset(institutions), services=frozenset(own))


def resource_scope(user: Any) -> Scope:
    if is_superuser(user):
        return Scope(None)
    wide = _roles_institution_wide(user, {Role.RESOURCE_OWNER, Role.RESOURCE_PORTFOLIO_OWNER})
    own = set(scoped_ids(user, Resource, {Role.RESOURCE_OWNER}))
    own |= set(Resource.objects.filter(institution_id__in=wide).values_list("pk", flat=True))
    institutions = set(Resource.objects.filter(pk__in=own).values_list("institution_id", flat=True))
    return Scope(frozenset(institutions), resources=frozenset(own))


def support_scope(user: Any) -> Scope:
    if is_superuser(user):
        return Scope(None)
    return Scope(frozenset(institutions_with(user, MANAGE_TICKETS) & staff_institutions(user)))


def knowledge_scope(user: Any) -> Scope:
    if is_superuser(user):
        return Scope(None)
    return Scope(frozenset(institutions_with(user, MANAGE_KNOWLEDGE) & staff_institutions(user)))


def scoped_tickets(user: Any, scope: Scope) -> QuerySet[Ticket]:
    """The tickets a dashboard adds up: the viewer's staff view, narrowed to the scope.

    A scope within the institutions whose tickets the viewer reads already implies the staff
    rule (its tickets belong to, or were received by, those institutions), so the rule is
    not repeated: the database then plans one range per institution instead of an OR of
    both (measured by bench/reports.py)."""
    qs = Ticket.objects.all()
    within = scope.institutions is not None and scope.institutions <= reader_institutions(user)
    if not is_superuser(user) and not within:
        qs = qs.filter(staff_rule(user).q())
    return qs.filter(scope.ticket_q())


def scoped_services(user: Any, scope: Scope) -> QuerySet[Service]:
    qs = Service.objects.visible_to(user)
    if scope.institutions is not None:
        qs = qs.filter(institution_id__in=scope.institutions)
    if scope.services is not None:
        qs = qs.filter(pk__in=scope.services)
    if scope.resources is not None:
        qs = qs.filter(dependencies__resource_id__in=scope.resources).distinct()
    return qs


def scoped_articles(user: Any, scope: Scope) -> QuerySet[Article]:
    """Articles the viewer sees, owned by the scope's institutions (and about its services)."""
    qs = Article.objects.visible_to(user)
    if scope.institutions is not None:
        qs = qs.filter(institution_id__in=scope.institutions)
    if scope.services is not None:
        qs = qs.filter(services__in=scope.services).distinct()
    if scope.resources is not None:
        qs = qs.filter(resources__in=scope.resources).distinct()
    return qs
