"""Service levels: compliance counted from the clocks' due and done times, mean times computed
in SQL (across a clock change), the resolution rates from the work log, and the breaches."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from zina.reports.metrics import service_levels
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind
from zina.tickets.models import SlaEvent, Ticket

from .factories import World, column, english, period, report, riga, run, stamp, world

__all__ = ["english", "world"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MARCH = period("month", date(2026, 3, 1))


def _clock(w: World, kind: str = "incident", **fields: object) -> Ticket:
    created = fields.pop("created_at", riga(2026, 3, 1, 9))
    service = fields.pop("service", None)
    institution = fields.pop("institution", None)
    ticket = w.open(kind, service=service, institution=institution)
    return stamp(ticket, created_at=created, sla_start=created, **fields)


def test_compliance_by_priority_and_by_service(world: World) -> None:
    w = world
    d = riga
    # P1 on A: response on time, resolution late.
    _clock(w, service=w.a, priority="P1", state="resolved",
           response_due=d(2026, 3, 2, 10, 30), responded_at=d(2026, 3, 2, 10, 20),
           resolution_due=d(2026, 3, 2, 14), resolved_at=d(2026, 3, 2, 15))  # fmt: skip
    # P1 on A: response a minute late; still open and past its resolution due.
    _clock(w, service=w.a, priority="P1", state="in_progress",
           response_due=d(2026, 3, 5, 10, 30), responded_at=d(2026, 3, 5, 10, 31),
           resolution_due=d(2026, 3, 5, 14))  # fmt: skip
    # P1 on A: responded before the period, resolved at its first instant, on time.
    _clock(w, service=w.a, priority="P1", state="resolved", created_at=d(2026, 2, 28, 23),
           response_due=d(2026, 2, 28, 23, 30), responded_at=d(2026, 2, 28, 23, 59),
           resolution_due=d(2026, 3, 1, 1), resolved_at=d(2026, 3, 1, 0, 0))  # fmt: skip
    # P4 on B: resolved without a reply of its own: the resolution answered (on time).
    _clock(w, "request", service=w.b, priority="P4", state="resolved",
           response_due=d(2026, 3, 11), resolution_due=d(2026, 3, 12),
           resolved_at=d(2026, 3, 10))  # fmt: skip
    # P3 without a service and without due times: counted, never on time.
    _clock(w, priority="P3", state="resolved", response_due=None, resolution_due=None,
           responded_at=d(2026, 3, 3), resolved_at=d(2026, 3, 4))  # fmt: skip
    # P2 on A: open, both clocks overdue now.
    _clock(w, service=w.a, priority="P2", state="new",
           response_due=d(2026, 2, 1), resolution_due=d(2026, 2, 2))  # fmt: skip
    # P2 on A: waiting on the recipient since before its due times: paused, not overdue.
    _clock(w, service=w.a, priority="P2", state="waiting", waiting_on="recipient",
           waiting_since=d(2026, 1, 31), response_due=d(2026, 2, 1),
           resolution_due=d(2026, 2, 2))  # fmt: skip
    # Not counted: a problem (no SLA clock), a self-service answer, another institution.
    _clock(w, "problem", service=w.a, priority="P1", responded_at=d(2026, 3, 3),
           response_due=d(2026, 3, 2))  # fmt: skip
    self_service = ops.record_self_service(institution=w.vra, subject="Atbilde BUJ", service=w.a)
    stamp(self_service, created_at=d(2026, 3, 3), resolved_at=d(2026, 3, 3))
    _clock(w, institution=w.spa, priority="P1", state="resolved",
           response_due=d(2026, 3, 2), responded_at=d(2026, 3, 3),
           resolution_due=d(2026, 3, 2), resolved_at=d(2026, 3, 3))  # fmt: skip

    ctx = report(w.owner, "portfolio", MARCH)
    by_priority = run("sla.compliance_by_priority", ctx)
    assert [r[0] for r in by_priority.rows] == [
        "P1 — critical",
        "P2 — high",
        "P3 — medium",
        "P4 — low",
        "All",
    ]
    assert [r[1:] for r in by_priority.rows] == [
        [2, 50.0, 0, 2, 50.0, 1],
        [0, None, 1, 0, None, 1],
        [1, 0.0, 0, 1, 0.0, 0],
        [1, 100.0, 0, 1, 100.0, 0],
        [4, 50.0, 1, 4, 50.0, 2],
    ]
    assert "without a due time" in str(by_priority.description)

    by_service = run("sla.compliance_by_service", ctx)
    assert [r[0] for r in by_service.rows] == [
        "A pakalpojums",
        "B pakalpojums",
        "No service",
        "All",
    ]
    assert [r[1:] for r in by_service.rows] == [
        [2, 50.0, 1, 2, 50.0, 2],
        [1, 100.0, 0, 1, 100.0, 0],
        [1, 0.0, 0, 1, 0.0, 0],
        [4, 50.0, 1, 4, 50.0, 2],
    ]


def test_compliance_without_data_has_a_note(world: World) -> None:
    table = run("sla.compliance_by_priority", report(world.owner, "portfolio", MARCH))
    assert table.rows == []
    assert table.note


def test_mean_times_by_priority_in_minutes(world: World) -> None:
    w = world
    d = riga
    _clock(w, priority="P1", created_at=d(2026, 3, 2, 10),
           responded_at=d(2026, 3, 2, 10, 30), resolved_at=d(2026, 3, 2, 12))  # fmt: skip
    _clock(w, priority="P1", created_at=d(2026, 3, 3, 10), responded_at=d(2026, 3, 3, 11))
    stamp(
        _clock(w, priority="P2", created_at=d(2026, 3, 5, 9, 59)),
        created_at=d(2026, 3, 5, 9, 59) + timedelta(seconds=30),
        responded_at=d(2026, 3, 5, 10),
    )
    # Responded before the period; resolved in it, 49 hours after it was created.
    _clock(w, priority="P4", created_at=d(2026, 2, 27, 23),
           responded_at=d(2026, 2, 28), resolved_at=d(2026, 3, 2))  # fmt: skip
    # Over the spring clock change: 12:00 to 12:00 the next day is 23 hours.
    _clock(w, priority="P3", created_at=d(2026, 3, 28, 12), resolved_at=d(2026, 3, 29, 12))
    _clock(w, "change", priority="P1", created_at=d(2026, 3, 1), resolved_at=d(2026, 3, 30))

    table = run("sla.mean_times", report(w.owner, "portfolio", MARCH))
    assert table.rows == [
        ["P1 — critical", 2, 45.0, 1, 120.0],
        ["P2 — high", 1, 0.5, 0, None],
        ["P3 — medium", 0, None, 1, 1380.0],
        ["P4 — low", 0, None, 1, 2940.0],
        ["All", 3, 30.2, 3, 1480.0],
    ]
    assert table.column("to_resolve").kind == "minutes"


def test_resolution_rates_from_the_work_log(world: World) -> None:
    w = world
    staff = w.staff

    def resolve(ticket: Ticket) -> Ticket:
        ticket = ops.transition(actor=staff, ticket=ticket, action="resolve", resolution="OK")
        return stamp(ticket, responded_at=riga(2026, 3, 10), resolved_at=riga(2026, 3, 10))

    def new(kind: str = "incident") -> Ticket:
        return w.open(kind, created=riga(2026, 3, 9))

    first_contact = resolve(new())
    waited = new()
    ops.transition(actor=staff, ticket=waited, action="wait", waiting_on="recipient")
    ops.transition(actor=staff, ticket=waited, action="resume")
    resolve(waited)
    escalated = new()
    ops.escalate(actor=staff, ticket=escalated, to_level=2, reason="Eksperts", team=w.l2)
    resolve(escalated)
    back = new()
    ops.escalate(actor=staff, ticket=back, to_level=2, reason="Eksperts")
    ops.escalate(actor=staff, ticket=back, to_level=1, reason="Atpakaļ")
    resolve(back)
    followed_up = resolve(new())
    ops.add_entry(actor=None, ticket=followed_up, kind=EntryKind.INCOMING, body="Vēl nestrādā.")
    open_escalated = new()
    ops.escalate(actor=staff, ticket=open_escalated, to_level=2, reason="Eksperts")
    new("request")
    problem = ops.transition(actor=staff, ticket=new("problem"), action="start")
    resolve(problem)
    assert first_contact.level == 1

    table = run("sla.resolution_rates", report(w.owner, "portfolio", MARCH))
    assert [r[0] for r in table.rows] == [
        "First-contact resolution",
        "Level-1 resolution",
        "Escalation to level 2",
    ]
    assert [r[2:] for r in table.rows] == [
        [1, 5, 20.0],
        [3, 5, 60.0],
        [3, 7, 42.9],
    ]
    assert all(r[1] for r in table.rows)  # each row states its definition


def test_breaches_newest_first_capped_and_scoped(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    on_a = w.open(service=w.a, subject="Nestrādā pieteikšanās")
    other = w.open(service=w.b)
    spa = w.open(institution=w.spa)

    def breach(ticket: Ticket, metric: str, at: object, event: str = SlaEvent.BREACH) -> None:
        e = SlaEvent.objects.create(
            ticket=ticket, metric=metric, event=event, due_at=riga(2026, 3, 1)
        )
        SlaEvent.objects.filter(pk=e.pk).update(at=at)

    breach(on_a, "response", riga(2026, 3, 10))
    breach(on_a, "resolution", riga(2026, 3, 20))
    breach(other, "response", riga(2026, 4, 1, 0, 0))  # after the period
    breach(other, "resolution", riga(2026, 3, 15), SlaEvent.WARNING)
    breach(spa, "response", riga(2026, 3, 12))

    table = run("sla.breaches", report(w.owner, "portfolio", MARCH))
    assert table.values("ticket") == [
        (on_a.reference, reverse("tickets:detail", args=[on_a.pk])),
        (on_a.reference, reverse("tickets:detail", args=[on_a.pk])),
    ]
    assert table.values("metric") == ["Resolution", "Response"]
    assert table.values("subject") == ["Nestrādā pieteikšanās"] * 2
    assert table.values("service") == ["A pakalpojums"] * 2
    assert table.values("at") == [riga(2026, 3, 20), riga(2026, 3, 10)]
    assert table.note == ""

    monkeypatch.setattr(service_levels, "BREACHES_SHOWN", 1)
    capped = run("sla.breaches", report(w.owner, "portfolio", MARCH))
    assert len(capped.rows) == 1
    assert capped.note == "Showing the latest 1 of 2 breaches."
    assert run("sla.breaches", report(w.owner, "portfolio", period("month", date(2026, 5, 1)))).note


def test_compliance_respects_the_service_filter(world: World) -> None:
    from zina.reports.context import Filters

    w = world
    _clock(w, service=w.a, priority="P1", responded_at=riga(2026, 3, 2),
           response_due=riga(2026, 3, 3))  # fmt: skip
    _clock(w, service=w.b, priority="P1", responded_at=riga(2026, 3, 2),
           response_due=riga(2026, 3, 1))  # fmt: skip
    only_b = report(w.owner, "portfolio", MARCH, Filters(services=(w.b.pk,)))
    table = run("sla.compliance_by_service", only_b)
    assert column(table, "responses") == {"B pakalpojums": 1, "All": 1}
    assert column(table, "response_met") == {"B pakalpojums": 0.0, "All": 0.0}
