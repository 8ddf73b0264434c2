"""Volumes: counts per bucket (Riga days, hours on clock-change days, weeks, months), per
type, channel, level and service, with period boundaries exact to the second."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from zina.accounts.models import User
from zina.reports.context import Filters
from zina.reports.metrics import volumes
from zina.tickets import operations as ops

from .factories import (
    RIGA,
    World,
    column,
    english,
    make_service,
    period,
    report,
    riga,
    run,
    stamp,
    world,
)

__all__ = ["english", "world"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MARCH = period("month", date(2026, 3, 1))


def test_over_time_days_of_a_month_with_exact_riga_boundaries(
    world: World, superuser: User
) -> None:
    w = world
    w.open(created=riga(2026, 2, 28, 23, 59))  # before the period
    w.open(created=riga(2026, 3, 1, 0, 0))  # its first instant
    w.open("request", created=riga(2026, 3, 1, 1, 30))
    # The spring clock change (03:00 → 04:00 on 29 March): still 29 March in Riga.
    w.open("complaint", created=riga(2026, 3, 29, 4, 30))
    w.open(created=datetime(2026, 3, 31, 20, 59, 59, tzinfo=RIGA).replace(hour=23))  # 23:59:59
    w.open(created=riga(2026, 4, 1, 0, 0))  # after the period (end is exclusive)
    w.open(created=riga(2026, 3, 15, 12), institution=w.spa)  # another institution
    table = run("volumes.over_time", report(w.owner, "portfolio", MARCH))
    assert table.chart is not None
    assert table.chart.kind == "stacked"
    assert [c.key for c in table.columns] == [
        "bucket",
        "incident",
        "problem",
        "change",
        "request",
        "complaint",
        "suggestion",
        "total",
    ]
    days = table.values("bucket")
    assert days == [date(2026, 3, d) for d in range(1, 32)]
    totals = dict(zip(days, table.values("total"), strict=True))
    assert totals[date(2026, 3, 1)] == 2
    assert totals[date(2026, 3, 29)] == 1
    assert totals[date(2026, 3, 31)] == 1
    assert sum(totals.values()) == 4
    assert dict(zip(days, table.values("request"), strict=True))[date(2026, 3, 1)] == 1
    assert dict(zip(days, table.values("complaint"), strict=True))[date(2026, 3, 29)] == 1
    assert table.note == ""
    # The superuser's portfolio covers both institutions.
    everything = run("volumes.over_time", report(superuser, "portfolio", MARCH))
    assert sum(everything.values("total")) == 5


def test_hours_on_the_autumn_clock_change_day(world: World) -> None:
    """25 October 2026 has 25 hours in Riga; 03:00–04:00 happens twice."""
    w = world
    w.open(created=riga(2026, 10, 25, 0, 10))
    w.open(created=riga(2026, 10, 25, 3, 30))  # summer time, 00:30 UTC
    w.open(created=riga(2026, 10, 25, 3, 30, fold=1))  # winter time, 01:30 UTC
    w.open(created=riga(2026, 10, 25, 3, 45, fold=1))
    w.open(created=riga(2026, 10, 25, 23, 59))
    w.open(created=riga(2026, 10, 26, 0, 0))  # the next day
    table = run(
        "volumes.over_time", report(w.owner, "portfolio", period("day", date(2026, 10, 25)))
    )
    hours = table.values("bucket")
    assert len(hours) == 25
    assert hours[0] == riga(2026, 10, 25, 0, 0)
    assert all(h.tzinfo is not None for h in hours)
    assert [h.astimezone(RIGA).hour for h in hours[:6]] == [0, 1, 2, 3, 3, 4]
    totals = table.values("total")
    assert totals[0] == 1
    assert totals[3] == 1  # 03:xx summer time
    assert totals[4] == 2  # 03:xx winter time
    assert totals[-1] == 1  # 23:xx
    assert sum(totals) == 5


def test_hours_on_the_spring_clock_change_day(world: World) -> None:
    """29 March 2026 has 23 hours: 03:00 does not happen."""
    w = world
    w.open(created=riga(2026, 3, 29, 2, 59))
    w.open(created=riga(2026, 3, 29, 4, 0))
    table = run("volumes.over_time", report(w.owner, "portfolio", period("day", date(2026, 3, 29))))
    hours = table.values("bucket")
    assert len(hours) == 23
    assert [h.astimezone(RIGA).hour for h in hours[:4]] == [0, 1, 2, 4]
    assert table.values("total")[2:4] == [1, 1]


def test_weeks_and_months(world: World) -> None:
    w = world
    w.open(created=riga(2026, 3, 1, 12))  # a Sunday: its week began on Monday 23 February
    w.open(created=riga(2026, 3, 2, 0, 0))  # Monday
    w.open(created=riga(2026, 4, 30, 23, 0))
    weeks = run(
        "volumes.over_time",
        report(w.owner, "portfolio", period("custom", date(2026, 3, 1), date(2026, 5, 31))),
    )
    labels = weeks.values("bucket")
    assert labels[0] == date(2026, 2, 23)
    assert labels[1] == date(2026, 3, 2)
    assert labels[-1] == date(2026, 5, 25)
    assert len(labels) == 14
    assert weeks.values("total")[:2] == [1, 1]
    assert dict(zip(labels, weeks.values("total"), strict=True))[date(2026, 4, 27)] == 1
    months = run(
        "volumes.over_time",
        report(w.owner, "portfolio", period("custom", date(2025, 12, 15), date(2026, 12, 31))),
    )
    assert months.values("bucket")[0] == date(2025, 12, 1)
    assert len(months.values("bucket")) == 13
    by_month = dict(zip(months.values("bucket"), months.values("total"), strict=True))
    assert by_month[date(2026, 3, 1)] == 2
    assert by_month[date(2026, 4, 1)] == 1


def test_empty_period_has_every_bucket_and_a_note(world: World) -> None:
    table = run("volumes.over_time", report(world.owner, "portfolio", MARCH))
    assert len(table.rows) == 31
    assert sum(table.values("total")) == 0
    assert table.note


def test_by_kind_channel_and_level_count_created_and_resolved(world: World) -> None:
    w = world
    inc = w.open(created=riga(2026, 2, 20), channel="phone")  # created before, resolved in
    ops.transition(actor=w.staff, ticket=inc, action="resolve", resolution="Atrisināts.")
    stamp(inc, resolved_at=riga(2026, 3, 2, 10))
    req = w.open("request", created=riga(2026, 3, 3), channel="email")
    ops.transition(actor=w.staff, ticket=req, action="resolve", resolution="Izpildīts.")
    stamp(req, resolved_at=riga(2026, 4, 1, 0, 0))  # resolved just after the period
    w.open(created=riga(2026, 3, 4), channel="phone", level=2)
    w.open("suggestion", created=riga(2026, 3, 5), channel="portal")
    w.open(created=riga(2026, 3, 6), institution=w.spa, channel="phone")

    ctx = report(w.owner, "portfolio", MARCH)
    kinds = run("volumes.by_kind", ctx)
    assert kinds.chart is not None
    assert kinds.chart.kind == "bar"
    assert column(kinds, "created") == {
        "Incident": 1,
        "Problem": 0,
        "Change request": 0,
        "Service request": 1,
        "Complaint": 0,
        "Suggestion": 1,
    }
    assert column(kinds, "resolved")["Incident"] == 1
    assert column(kinds, "resolved")["Service request"] == 0
    assert column(kinds, "share")["Incident"] == pytest.approx(33.3)
    assert column(kinds, "share")["Problem"] == 0.0

    channels = run("volumes.by_channel", ctx)
    assert column(channels, "created")["Phone"] == 1
    assert column(channels, "created")["E-mail"] == 1
    assert column(channels, "created")["Portal"] == 1
    assert column(channels, "resolved")["Phone"] == 1

    levels = run("volumes.by_level", ctx)
    assert list(column(levels, "created").values()) == [0, 2, 1]
    assert column(levels, "share")["Level 2 — support expert"] == pytest.approx(33.3)

    only_incidents = report(w.owner, "portfolio", MARCH, Filters(kinds=("incident",)))
    assert sum(run("volumes.by_kind", only_incidents).values("created")) == 1


def test_by_service_top_other_and_none(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = world
    monkeypatch.setattr(volumes, "TOP_SERVICES", 2)
    d = make_service(w.vra, "S-D", "D pakalpojums")
    when = riga(2026, 3, 10)
    for service, n in ((w.a, 3), (w.b, 2), (w.c, 1), (d, 1)):
        for _i in range(n):
            w.open(created=when, service=service)
    w.open(created=when)  # no service
    w.open(created=when + timedelta(days=40), service=w.c)  # April
    table = run("volumes.by_service", report(w.owner, "portfolio", MARCH))
    assert [r[0] for r in table.rows] == [
        "A pakalpojums",
        "B pakalpojums",
        "Other services (2)",
        "No service",
    ]
    assert table.values("created") == [3, 2, 2, 1]
    assert table.values("share") == [37.5, 25.0, 25.0, 12.5]
