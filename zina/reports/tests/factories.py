"""Helpers and fixtures shared by the reports tests (import the fixtures you use by name).

Tickets are opened through :mod:`zina.tickets.operations` and then moved into the past with
``QuerySet.update`` (:func:`stamp`): the reports read timestamps, and the operations write
"now". ``report`` builds the :class:`ReportContext` a dashboard would for a viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
)
from zina.reports.context import Filters, ReportContext, get_metric
from zina.reports.dashboards import DASHBOARDS
from zina.reports.period import Period, PeriodKind
from zina.reports.tables import Table
from zina.tickets import operations as ops
from zina.tickets.models import Team, Ticket

RIGA = ZoneInfo("Europe/Riga")


def riga(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> datetime:
    """A wall-clock time in Riga (aware; ``fold=1`` picks the second of a repeated hour)."""
    return datetime(year, month, day, hour, minute, tzinfo=RIGA, fold=fold)


def period(kind: PeriodKind, on: date, last: date | None = None) -> Period:
    if kind == "custom":
        assert last is not None
        return Period("custom", on, last)
    return Period.of(kind, on)


def report(
    user: Any,
    dashboard: str,
    when: Period,
    filters: Filters | None = None,
) -> ReportContext:
    """The context the ``dashboard`` page builds for ``user`` over ``when``."""
    return ReportContext(
        user=user,
        dashboard=dashboard,
        scope=DASHBOARDS[dashboard].scope(user),
        period=when,
        filters=filters or Filters(),
    )


def run(key: str, ctx: ReportContext) -> Table:
    table = get_metric(key)(ctx)
    assert table.key == key
    return table


def column(table: Table, key: str) -> dict[str, Any]:
    """{first cell of each row (its label): the row's value in ``key``}."""
    return {str(row[0]): value for row, value in zip(table.rows, table.values(key), strict=True)}


def stamp(ticket: Ticket, **fields: Any) -> Ticket:
    """Set fields straight in the database (timestamps in the past) and re-read the ticket."""
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    return Ticket.objects.get(pk=ticket.pk)


def make_service(
    institution: Institution, identifier: str, name: str, target: str | None = "99.500"
) -> Service:
    service = Service.objects.create(institution=institution, identifier=identifier, name=name)
    if target is not None:
        ServiceLevel.objects.create(service=service, availability_target=target)
    return service


def make_resource(institution: Institution, identifier: str, criticality: str = "high") -> Resource:
    return Resource.objects.create(
        institution=institution,
        identifier=identifier,
        name=f"Resurss {identifier}",
        type="server",
        criticality=criticality,
    )


def grant(superuser: User, user: User, role: str, scope: Service | Resource) -> User:
    """Give ``user`` ``role`` on one service or resource only; returns a fresh user."""
    account_ops.assign_role(
        actor=superuser,
        user=user,
        institution=scope.institution,
        role=role,
        responsibility="A",
        scope=scope,
    )
    return User.objects.get(pk=user.pk)


@dataclass
class World:
    """Two institutions. VRA: services A (on database DB, critical) and B (on application
    APP, which runs on DB), service C (no dependencies); teams L1 and L2. SPA: service S."""

    vra: Institution
    spa: Institution
    staff: User  # VRA incident manager: works and reads every VRA ticket
    owner: User  # VRA service-portfolio owner: the portfolio dashboard of VRA
    spa_staff: User
    a: Service
    b: Service
    c: Service
    s: Service
    db: Resource
    app: Resource
    l1: Team
    l2: Team

    def open(
        self,
        kind: str = "incident",
        *,
        created: datetime | None = None,
        actor: User | None = None,
        institution: Institution | None = None,
        team: Team | None = None,
        **data: Any,
    ) -> Ticket:
        """Open a ticket through the operation (staff-recorded), created at ``created``."""
        where = institution or self.vra
        actor = actor or (self.spa_staff if where == self.spa else self.staff)
        data.setdefault("subject", f"Pieteikums {kind}")
        if kind == "change":
            data.setdefault("change_type", "normal")
        ticket = ops.open_ticket(
            actor=actor,
            institution=where,
            kind=kind,
            data=ops.TicketData(**data),
            reporter=ops.Reporter(name="Pilsonis", email="pilsonis@example.lv"),
            team=team,
        )
        if created is not None:
            ticket = stamp(ticket, created_at=created, sla_start=created)
        return ticket


@pytest.fixture
def world(make_institution: Callable[..., Institution], make_user: Callable[..., User]) -> World:
    with translation.override("en"):
        vra = make_institution("vra", "Valsts reģistru aģentūra")
        spa = make_institution("spa", "Sociālo pabalstu aģentūra")
        a = make_service(vra, "S-A", "A pakalpojums", "99.500")
        b = make_service(vra, "S-B", "B pakalpojums", "99.000")
        c = make_service(vra, "S-C", "C pakalpojums", None)
        s = make_service(spa, "S-S", "S pakalpojums")
        db = make_resource(vra, "DB-1", "critical")
        app = make_resource(vra, "APP-1", "medium")
        ServiceDependency.objects.create(service=a, resource=db)
        ServiceDependency.objects.create(service=b, resource=app)
        ResourceDependency.objects.create(resource=app, depends_on=db)
        staff = make_user("inga", vra, Role.INCIDENT_MANAGER, email="inga@vra.example.lv")
        owner = make_user("ilze", vra, Role.SERVICE_PORTFOLIO_OWNER, email="ilze@vra.example.lv")
        spa_staff = make_user("pauls", spa, Role.INCIDENT_MANAGER, email="pauls@spa.example.lv")
        l1 = Team.objects.create(institution=vra, name="Pirmā līnija", level=1)
        l2 = Team.objects.create(institution=vra, name="Eksperti", level=2)
    return World(vra, spa, staff, owner, spa_staff, a, b, c, s, db, app, l1, l2)


@pytest.fixture
def english() -> Any:
    with translation.override("en"):
        yield
