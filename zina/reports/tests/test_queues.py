"""Queues: the open backlog by team and level with its ages and overdue count (now), and each
team's throughput over the period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from zina.tickets import operations as ops

from .factories import World, english, period, report, riga, run, stamp, world

__all__ = ["english", "world"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_backlog_by_team_and_level_with_ages(world: World) -> None:
    w = world
    now = timezone.now()
    hours = [2, 30, 50, 100, 24 * 10, 24 * 30]
    young = w.open(team=w.l1, created=now - timedelta(hours=hours[0]))
    w.open(team=w.l1, created=now - timedelta(hours=hours[1]))
    w.open(team=w.l1, created=now - timedelta(hours=hours[2]))
    w.open(team=w.l2, level=2, created=now - timedelta(hours=hours[3]))
    w.open(team=w.l2, level=2, created=now - timedelta(hours=hours[4]))
    late = w.open(created=now - timedelta(hours=hours[5]))
    stamp(late, resolution_due=now - timedelta(hours=1))
    stamp(young, response_due=now - timedelta(minutes=5))
    paused = w.open(team=w.l1, created=now - timedelta(hours=hours[0]))
    stamp(paused, state="waiting", waiting_on="recipient", waiting_since=now - timedelta(hours=1),
          response_due=now - timedelta(minutes=5))  # fmt: skip
    done = w.open(team=w.l1, created=now - timedelta(hours=3))
    ops.transition(actor=w.staff, ticket=done, action="resolve", resolution="Atrisināts.")
    w.open(institution=w.spa, created=now - timedelta(hours=3))

    table = run("queues.backlog", report(w.owner, "portfolio", period("month", date(2026, 3, 1))))
    assert table.values("queue") == [
        "Pirmā līnija, level 1",
        "Eksperti, level 2",
        "No team, level 1",
    ]
    assert [r[3:] for r in table.rows] == [
        # open, <1 d, 1–3 d, 3–7 d, >7 d, past due
        [4, 2, 2, 0, 0, 1],
        [2, 0, 0, 1, 1, 0],
        [1, 0, 0, 0, 1, 1],
    ]
    assert table.chart is not None
    assert table.chart.series == (
        "age_1",
        "age_3",
        "age_7",
        "age_older",
    )


def test_by_team_over_the_period(world: World) -> None:
    w = world
    first = w.open(team=w.l1, created=riga(2026, 3, 2, 9))
    ops.transition(actor=w.staff, ticket=first, action="resolve", resolution="Atrisināts.")
    stamp(first, resolved_at=riga(2026, 3, 2, 10), resolution_due=riga(2026, 3, 2, 17))
    w.open(team=w.l1, created=riga(2026, 3, 31, 23, 59))
    expert = w.open(team=w.l2, level=2, created=riga(2026, 2, 28, 12))
    ops.transition(actor=w.staff, ticket=expert, action="resolve", resolution="Atrisināts.")
    stamp(expert, resolved_at=riga(2026, 3, 1, 12), resolution_due=riga(2026, 3, 1, 11))
    w.open(created=riga(2026, 3, 15))
    w.open(team=w.l1, created=riga(2026, 4, 1))  # after the period
    w.open(institution=w.spa, created=riga(2026, 3, 15))

    table = run("queues.by_team", report(w.owner, "portfolio", period("month", date(2026, 3, 1))))
    assert table.rows == [
        ["Eksperti", 0, 1, 1440.0, 0.0],
        ["Pirmā līnija", 2, 1, 60.0, 100.0],
        ["No team", 1, 0, None, None],
    ]


def test_empty_queues_have_notes(world: World) -> None:
    ctx = report(world.owner, "portfolio", period("month", date(2026, 3, 1)))
    assert run("queues.backlog", ctx).note
    assert run("queues.by_team", ctx).note
