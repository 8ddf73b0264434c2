"""Whose figures a dashboard adds up, proved with real tickets: a service owner's exclude
other services and other institutions, a resource owner's likewise, a portfolio owner sees
only their institution, a user without a role gets no dashboard, a superuser sees all."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from zina.accounts.choices import Role
from zina.accounts.models import User
from zina.reports.context import ReportContext
from zina.reports.dashboards import dashboards_for
from zina.tickets.models import SlaEvent

from .factories import World, english, grant, period, report, riga, run, stamp, world

__all__ = ["english", "world"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MARCH = period("month", date(2026, 3, 1))


@pytest.fixture
def tickets(world: World) -> None:
    """VRA: 3 on A (one also on the database), 2 on B, 1 without a service, 1 on the database
    only, 1 on the application only; SPA: 4 on S. Each has a response and a breach in March."""
    w = world
    when = riga(2026, 3, 10, 12)
    made = [
        *(w.open(service=w.a, created=when) for _i in range(2)),
        w.open(service=w.a, resource=w.db, created=when),
        *(w.open("request", service=w.b, created=when) for _i in range(2)),
        w.open(created=when),
        w.open(resource=w.db, created=when),
        w.open(resource=w.app, created=when),
        *(w.open(service=w.s, institution=w.spa, created=when) for _i in range(4)),
    ]
    for ticket in made:
        stamp(ticket, responded_at=riga(2026, 3, 10, 13), response_due=riga(2026, 3, 10, 14))
        breach = SlaEvent.objects.create(
            ticket=ticket, metric="resolution", event=SlaEvent.BREACH, due_at=when
        )
        SlaEvent.objects.filter(pk=breach.pk).update(at=riga(2026, 3, 11))


def created(ctx: ReportContext) -> int:
    return sum(run("volumes.by_kind", ctx).values("created"))


def everything(ctx: ReportContext) -> dict[str, Any]:
    """The figures of several metrics for one viewer, to compare whole."""
    return {
        "created": created(ctx),
        "over_time": sum(run("volumes.over_time", ctx).values("total")),
        "services": [r[0] for r in run("volumes.by_service", ctx).rows if r[1]],
        "responses": run("sla.compliance_by_priority", ctx).rows[-1][1]
        if run("sla.compliance_by_priority", ctx).rows
        else 0,
        "breaches": len(run("sla.breaches", ctx).rows),
        "open": sum(run("queues.backlog", ctx).values("total")),
        "availability": [r[0] for r in run("availability.by_service", ctx).rows],
    }


def test_service_owner_of_one_service(
    world: World, tickets: None, superuser: User, make_user: Any
) -> None:
    w = world
    owner = grant(superuser, make_user("saimnieks", w.vra), Role.SERVICE_OWNER, w.a)
    assert [d.key for d in dashboards_for(owner)] == ["service"]
    assert everything(report(owner, "service", MARCH)) == {
        "created": 3,
        "over_time": 3,
        "services": ["A pakalpojums"],
        "responses": 3,
        "breaches": 3,
        "open": 3,
        "availability": ["A pakalpojums"],
    }


def test_institution_wide_service_owner(world: World, tickets: None, make_user: Any) -> None:
    w = world
    owner = make_user("visi-pakalpojumi", w.vra, Role.SERVICE_OWNER)
    figures = everything(report(owner, "service", MARCH))
    # Every VRA service, but not the tickets without one nor SPA's.
    assert figures == {
        "created": 5,
        "over_time": 5,
        "services": ["A pakalpojums", "B pakalpojums"],
        "responses": 5,
        "breaches": 5,
        "open": 5,
        "availability": ["A pakalpojums", "B pakalpojums", "C pakalpojums"],
    }


def test_resource_owner(world: World, tickets: None, superuser: User, make_user: Any) -> None:
    w = world
    owner = grant(superuser, make_user("resursu-saimnieks", w.vra), Role.RESOURCE_OWNER, w.db)
    assert [d.key for d in dashboards_for(owner)] == ["resource"]
    ctx = report(owner, "resource", MARCH)
    assert created(ctx) == 2
    assert sum(run("volumes.over_time", ctx).values("total")) == 2
    assert [r[0] for r in run("volumes.by_service", ctx).rows if r[1]] == [
        "A pakalpojums",
        "No service",
    ]
    assert [r[0] for r in run("availability.by_service", ctx).rows] == ["A pakalpojums"]


def test_portfolio_owner_sees_only_their_institution(world: World, tickets: None) -> None:
    figures = everything(report(world.owner, "portfolio", MARCH))
    assert figures == {
        "created": 8,
        "over_time": 8,
        "services": ["A pakalpojums", "B pakalpojums", "No service"],
        "responses": 8,
        "breaches": 8,
        "open": 8,
        "availability": ["A pakalpojums", "B pakalpojums", "C pakalpojums"],
    }


def test_support_lead_sees_their_institution(world: World, tickets: None) -> None:
    # The incident manager manages VRA's queues (and is staff of nothing else).
    assert "support" in [d.key for d in dashboards_for(world.staff)]
    ctx = report(world.staff, "support", MARCH)
    assert sum(run("queues.backlog", ctx).values("total")) == 8
    assert len(run("sla.breaches", ctx).rows) == 8


def test_no_role_no_dashboard(world: World, tickets: None, make_user: Any) -> None:
    nobody = make_user("bez-lomas", world.vra)
    assert dashboards_for(nobody) == []
    assert dashboards_for(AnonymousUser()) == []
    citizen = User.objects.create_user("pilsonis", email="pilsonis@example.lv")
    assert dashboards_for(citizen) == []
    # Even if such a user reached a dashboard, it would add up nothing.
    assert created(report(nobody, "portfolio", MARCH)) == 0
    assert created(report(citizen, "service", MARCH)) == 0


def test_superuser_sees_everything(world: World, tickets: None, superuser: User) -> None:
    assert [d.key for d in dashboards_for(superuser)] == [
        "portfolio",
        "service",
        "resource",
        "support",
        "knowledge",
    ]
    figures = everything(report(superuser, "portfolio", MARCH))
    assert figures == {
        "created": 12,
        "over_time": 12,
        "services": ["S pakalpojums", "A pakalpojums", "B pakalpojums", "No service"],
        "responses": 12,
        "breaches": 12,
        "open": 12,
        "availability": ["A pakalpojums", "B pakalpojums", "C pakalpojums", "S pakalpojums"],
    }
