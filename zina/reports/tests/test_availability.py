"""Availability: minutes of unplanned interruption per service over the period (union of
overlaps, clipped at the period, through the resource graph, over a clock change), against
the SLA target, with planned maintenance beside it; and the list of interruptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.urls import reverse

from zina.accounts.choices import Role
from zina.accounts.models import User
from zina.tickets import operations as ops
from zina.tickets.models import Ticket

from .factories import World, column, english, grant, period, report, riga, run, world

__all__ = ["english", "world"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MARCH = period("month", date(2026, 3, 1))
# 31 days less the hour lost on 29 March.
MARCH_MINUTES = (31 * 24 - 1) * 60


def _interruption(
    w: World, start: datetime, end: datetime | None, priority: str = "P1", **data: Any
) -> Ticket:
    impact, urgency = {"P1": (1, 1), "P3": (2, 2)}[priority]
    return w.open(
        subject=data.pop("subject", "Nav pieejams"),
        interruption=True,
        interruption_start=start,
        interruption_end=end,
        impact=impact,
        urgency=urgency,
        **data,
    )


@pytest.fixture
def interruptions(world: World) -> dict[str, Ticket]:
    w = world
    t = {
        # The database (critical) is down for an hour: A and, through APP, B are interrupted.
        "db": _interruption(w, riga(2026, 3, 10, 10), riga(2026, 3, 10, 11), resource=w.db),
        # A itself, overlapping the database's hour: A loses 10:00–12:00 once, not twice.
        "a": _interruption(w, riga(2026, 3, 10, 10, 30), riga(2026, 3, 10, 12), service=w.a),
        # A, from before the period: only its 30 minutes in March count.
        "a_before": _interruption(w, riga(2026, 2, 28, 23), riga(2026, 3, 1, 0, 30), service=w.a),
        # P3 on B: degraded, not counted against availability.
        "b_degraded": _interruption(
            w, riga(2026, 3, 20, 8), riga(2026, 3, 20, 9), "P3", service=w.b
        ),
        # Another institution's service: not in the view.
        "spa": _interruption(w, riga(2026, 3, 5), riga(2026, 3, 6), service=w.s, institution=w.spa),
        # After the period.
        "april": _interruption(w, riga(2026, 4, 1, 0, 0), riga(2026, 4, 1, 2), service=w.a),
    }
    cancelled = _interruption(w, riga(2026, 3, 11), riga(2026, 3, 12), service=w.a)
    ops.transition(actor=w.staff, ticket=cancelled, action="cancel")
    t["change"] = w.open(
        "change",
        subject="Datubāzes atjaunināšana",
        change_type="standard",
        service=w.a,
        planned_start=riga(2026, 3, 15, 2),
        planned_end=riga(2026, 3, 15, 4),
        expected_downtime_minutes=30,
    )
    return t


def test_availability_by_service(world: World, interruptions: dict[str, Ticket]) -> None:
    table = run("availability.by_service", report(world.owner, "portfolio", MARCH))
    assert [r[0] for r in table.rows] == ["A pakalpojums", "B pakalpojums", "C pakalpojums"]
    a_minutes, b_minutes = 120 + 30, 60
    assert column(table, "availability") == {
        "A pakalpojums": round(100 * (1 - a_minutes / MARCH_MINUTES), 3),
        "B pakalpojums": round(100 * (1 - b_minutes / MARCH_MINUTES), 3),
        "C pakalpojums": 100.0,
    }
    assert column(table, "availability")["A pakalpojums"] == 99.664
    assert column(table, "target") == {
        "A pakalpojums": 99.5,
        "B pakalpojums": 99.0,
        "C pakalpojums": None,
    }
    assert column(table, "met") == {
        "A pakalpojums": "Yes",
        "B pakalpojums": "Yes",
        "C pakalpojums": "",
    }
    assert column(table, "interruptions") == {
        "A pakalpojums": 3,
        "B pakalpojums": 1,
        "C pakalpojums": 0,
    }
    assert column(table, "unplanned") == {
        "A pakalpojums": 150,
        "B pakalpojums": 60,
        "C pakalpojums": 0,
    }
    assert column(table, "degraded") == {
        "A pakalpojums": 0,
        "B pakalpojums": 60,
        "C pakalpojums": 0,
    }
    assert column(table, "planned_windows")["A pakalpojums"] == 1
    assert column(table, "planned") == {"A pakalpojums": 30, "B pakalpojums": 0, "C pakalpojums": 0}


def test_target_missed(world: World) -> None:
    w = world
    # 0.5 % of March is 222.9 minutes: four hours down misses A's 99.5 % target.
    _interruption(w, riga(2026, 3, 3, 8), riga(2026, 3, 3, 12), service=w.a)
    table = run("availability.by_service", report(w.owner, "portfolio", MARCH))
    assert column(table, "met")["A pakalpojums"] == "No"
    assert column(table, "availability")["A pakalpojums"] == round(
        100 * (1 - 240 / MARCH_MINUTES), 3
    )


def test_interruptions_list(world: World, interruptions: dict[str, Ticket]) -> None:
    t = interruptions
    table = run("availability.interruptions", report(world.owner, "portfolio", MARCH))
    order = ["b_degraded", "change", "a", "db", "a_before"]
    assert table.values("ticket") == [
        (t[k].reference, reverse("tickets:detail", args=[t[k].pk])) for k in order
    ]
    assert table.values("type") == ["Unplanned", "Planned", "Unplanned", "Unplanned", "Unplanned"]
    assert table.values("effect") == [
        "Degraded",
        "Planned maintenance",
        "Interrupted",
        "Interrupted",
        "Interrupted",
    ]
    assert table.values("services")[3] == "A pakalpojums, B pakalpojums"
    assert table.values("resource")[3] == "Resurss DB-1"
    assert table.values("duration") == [60, 120, 90, 60, 90]
    assert table.values("start")[4] == riga(2026, 2, 28, 23)
    assert table.values("end")[4] == riga(2026, 3, 1, 0, 30)


def test_an_open_interruption_runs_to_the_end_of_a_past_period(world: World) -> None:
    w = world
    _interruption(w, riga(2026, 3, 31, 23), None, service=w.c)
    table = run("availability.by_service", report(w.owner, "portfolio", MARCH))
    assert column(table, "unplanned")["C pakalpojums"] == 60
    listed = run("availability.interruptions", report(w.owner, "portfolio", MARCH))
    assert listed.values("end") == [None]


def test_future_period_and_no_services(world: World, make_user: Any) -> None:
    future = run(
        "availability.by_service",
        report(world.owner, "portfolio", period("month", date(2099, 1, 1))),
    )
    assert future.rows == []
    assert future.note


def test_resource_owner_sees_the_services_on_their_resource(
    world: World, interruptions: dict[str, Ticket], superuser: User, make_user: Any
) -> None:
    w = world
    owner = grant(superuser, make_user("resursi", w.vra), Role.RESOURCE_OWNER, w.db)
    table = run("availability.by_service", report(owner, "resource", MARCH))
    # Services that depend on the database directly; the owner sees the database's incident.
    assert [r[0] for r in table.rows] == ["A pakalpojums"]
    assert column(table, "unplanned") == {"A pakalpojums": 60}
