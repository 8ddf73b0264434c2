"""SLA clocks: due times from the service's targets (else the defaults), in business hours with
Latvian public holidays, transferred days off and both daylight-saving changes of Europe/Riga;
paused while waiting on the recipient and resumed when the reporter writes; clock statuses; the
SLA check records a warning and a breach once each and mails the assignee.

The operations read the time through ``operations.now()``, replaced here by ``clock``; the
fixture service has support Mon–Fri 08:30–17:00 and P1 targets of 30 / 240 working minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail

from zina.accounts.models import Institution, User
from zina.catalog.models import Service, ServiceLevel, ServiceLevelTarget
from zina.tickets import operations as ops
from zina.tickets import sla
from zina.tickets.choices import ChangeType, EntryKind, Kind, State, WaitingOn
from zina.tickets.models import SlaEvent, Ticket

from . import _factories
from ._factories import FakeClock, audits, events, fresh, riga

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
change_manager = _factories.change_manager
clock = _factories.clock
make_ticket = _factories.make_ticket

P1 = {"impact": 1, "urgency": 1}


def local(value: datetime) -> datetime:
    return value.astimezone(riga(2026, 1, 1).tzinfo)


def due(ticket: Ticket) -> tuple[datetime, datetime]:
    ticket = fresh(ticket)
    assert ticket.response_due is not None
    assert ticket.resolution_due is not None
    return local(ticket.response_due), local(ticket.resolution_due)


def statuses(ticket: Ticket, at: datetime) -> dict[str, str]:
    return {c.metric: c.status for c in sla.clocks(fresh(ticket), at)}


@pytest.fixture
def service_24x7(institution: Institution) -> Service:
    """Around the clock, with its own (tighter) P1 targets and no P4 target."""
    service = Service.objects.create(institution=institution, identifier="VRA-247", name="eID")
    level = ServiceLevel.objects.create(service=service, around_the_clock=True)
    ServiceLevelTarget.objects.create(
        service_level=level, priority="P1", response_minutes=15, resolution_minutes=120
    )
    return service


@pytest.fixture
def service_without_sla(institution: Institution) -> Service:
    return Service.objects.create(institution=institution, identifier="VRA-X", name="Arhīvs")


# --- Due times ----------------------------------------------------------------------------------


def test_due_times_from_the_services_targets(
    clock: FakeClock, make_ticket: Callable[..., Ticket]
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))  # Tuesday
    ticket = make_ticket(**P1)
    assert ticket.priority == "P1"
    assert fresh(ticket).sla_start == riga(2026, 3, 10, 9, 0)
    assert due(ticket) == (riga(2026, 3, 10, 9, 30), riga(2026, 3, 10, 13, 0))
    # P4: 480 minutes from 09:00 end exactly at 17:00 the same day (not the next morning).
    p4 = make_ticket()
    assert due(p4)[0] == riga(2026, 3, 10, 17, 0)
    assert due(p4)[1] == riga(2026, 3, 16, 15, 0)  # 2400 = 480 + 3 × 510 + 390


def test_targets_of_the_service_level_before_the_defaults(
    clock: FakeClock, make_ticket: Callable[..., Ticket], service_24x7: Service
) -> None:
    clock.set(riga(2026, 3, 14, 22, 0))  # Saturday night: 24/7 counts every minute
    ticket = make_ticket(service=service_24x7, **P1)
    assert due(ticket) == (riga(2026, 3, 14, 22, 15), riga(2026, 3, 15, 0, 0))
    # No P4 target on this SLA: the default minutes, on the service's 24/7 hours.
    low = make_ticket(service=service_24x7)
    response, resolution = sla.DEFAULT_TARGETS["P4"]
    assert due(low) == (
        riga(2026, 3, 14, 22, 0) + timedelta(minutes=response),
        riga(2026, 3, 14, 22, 0) + timedelta(minutes=resolution),
    )


def test_default_targets_without_a_service_level(
    clock: FakeClock, make_ticket: Callable[..., Ticket], service_without_sla: Service
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(service=service_without_sla, impact=2, urgency=2)  # P3
    assert sla.targets_for(ticket) == sla.DEFAULT_TARGETS["P3"] == (240, 1440)
    # Default hours Mon–Fri 08:30–17:00: 1440 = 8 h today + 510 Wed + 450 Thu.
    assert due(ticket) == (riga(2026, 3, 10, 13, 0), riga(2026, 3, 12, 16, 0))
    none = make_ticket(service=None, impact=2, urgency=2)
    assert due(none) == due(ticket)


def test_across_a_weekend(clock: FakeClock, make_ticket: Callable[..., Ticket]) -> None:
    clock.set(riga(2026, 3, 13, 16, 0))  # Friday
    ticket = make_ticket(**P1)
    assert due(ticket) == (riga(2026, 3, 13, 16, 30), riga(2026, 3, 16, 11, 30))


def test_opened_outside_working_hours(clock: FakeClock, make_ticket: Callable[..., Ticket]) -> None:
    clock.set(riga(2026, 3, 14, 12, 0))  # Saturday
    ticket = make_ticket(**P1)
    assert due(ticket) == (riga(2026, 3, 16, 9, 0), riga(2026, 3, 16, 12, 30))
    clock.set(riga(2026, 3, 16, 7, 0))  # Monday, before opening
    assert due(make_ticket(**P1)) == (riga(2026, 3, 16, 9, 0), riga(2026, 3, 16, 12, 30))


def test_across_a_public_holiday(clock: FakeClock, make_ticket: Callable[..., Ticket]) -> None:
    clock.set(riga(2026, 11, 17, 16, 0))  # Tuesday before 18 November (Wednesday)
    ticket = make_ticket(**P1)
    assert due(ticket) == (riga(2026, 11, 17, 16, 30), riga(2026, 11, 19, 11, 30))


def test_across_new_year_and_a_transferred_day_off(
    clock: FakeClock, make_ticket: Callable[..., Ticket]
) -> None:
    # 31 Dec and 1 Jan are holidays; Friday 2 Jan 2026 is a day off moved from Saturday 17 Jan.
    clock.set(riga(2025, 12, 30, 16, 0))
    ticket = make_ticket(**P1)
    assert due(ticket) == (riga(2025, 12, 30, 16, 30), riga(2026, 1, 5, 11, 30))


def test_a_worked_saturday_counts(clock: FakeClock, make_ticket: Callable[..., Ticket]) -> None:
    clock.set(riga(2026, 1, 16, 16, 0))  # Friday before the worked Saturday 17 Jan 2026
    ticket = make_ticket(**P1)
    assert due(ticket) == (riga(2026, 1, 16, 16, 30), riga(2026, 1, 17, 11, 30))


def test_across_the_spring_daylight_saving_change(
    clock: FakeClock, make_ticket: Callable[..., Ticket], service_24x7: Service
) -> None:
    # Sunday 29 March 2026 03:00 → 04:00 in Riga.
    clock.set(riga(2026, 3, 27, 16, 0))  # Friday, +02:00
    ticket = make_ticket(**P1)
    resolution = due(ticket)[1]
    assert resolution == riga(2026, 3, 30, 11, 30)  # Monday, +03:00, same wall-clock hours
    assert resolution.utcoffset() == timedelta(hours=3)
    # Around the clock, 120 real minutes from 02:00 end at 05:00 on the wall clock.
    clock.set(riga(2026, 3, 29, 2, 0))
    night = make_ticket(service=service_24x7, **P1)
    assert due(night)[1] == riga(2026, 3, 29, 5, 0)
    assert due(night)[1].astimezone(UTC) - riga(2026, 3, 29, 2, 0).astimezone(UTC) == timedelta(
        minutes=120
    )


def test_across_the_autumn_daylight_saving_change(
    clock: FakeClock, make_ticket: Callable[..., Ticket], service_24x7: Service
) -> None:
    # Sunday 25 October 2026 04:00 → 03:00 in Riga.
    clock.set(riga(2026, 10, 23, 16, 0))  # Friday, +03:00
    ticket = make_ticket(**P1)
    resolution = due(ticket)[1]
    assert resolution == riga(2026, 10, 26, 11, 30)
    assert resolution.utcoffset() == timedelta(hours=2)
    # Around the clock, 120 real minutes from 02:30 (+03:00) end at 03:30 (+02:00).
    clock.set(riga(2026, 10, 25, 2, 30))
    night = make_ticket(service=service_24x7, **P1)
    end = due(night)[1]
    assert end.astimezone(UTC) - riga(2026, 10, 25, 2, 30).astimezone(UTC) == timedelta(hours=2)
    assert (end.hour, end.minute, end.utcoffset()) == (3, 30, timedelta(hours=2))


def test_changing_priority_or_service_recomputes_due_times(
    clock: FakeClock,
    make_ticket: Callable[..., Ticket],
    specialist: User,
    service_24x7: Service,
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket()
    clock.set(riga(2026, 3, 10, 10, 0))  # the clock keeps its start
    ticket = ops.update_ticket(actor=specialist, ticket=ticket, data=ops.TicketData(**P1))
    assert due(ticket) == (riga(2026, 3, 10, 9, 30), riga(2026, 3, 10, 13, 0))
    ticket = ops.update_ticket(
        actor=specialist, ticket=ticket, data=ops.TicketData(service=service_24x7)
    )
    assert due(ticket) == (riga(2026, 3, 10, 9, 15), riga(2026, 3, 10, 11, 0))


def test_problems_and_changes_have_no_clock(
    make_ticket: Callable[..., Ticket], change_manager: User
) -> None:
    problem = make_ticket(Kind.PROBLEM, **P1)
    change = make_ticket(Kind.CHANGE, actor=change_manager, change_type=ChangeType.NORMAL)
    for ticket in (problem, change):
        assert fresh(ticket).resolution_due is None
        assert sla.clocks(fresh(ticket), riga(2026, 4, 1, 9)) == []


# --- Pauses -------------------------------------------------------------------------------------


def test_waiting_on_the_recipient_pauses_the_clock_until_they_write(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 9, 10))
    ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.REPLY, body="Kāds ir kods?")
    clock.set(riga(2026, 3, 10, 10, 0))
    ticket = ops.transition(
        actor=specialist, ticket=ticket, action="wait", waiting_on=WaitingOn.RECIPIENT
    )
    assert statuses(ticket, riga(2026, 3, 10, 12, 0)) == {"response": "met", "resolution": "paused"}
    # Long past the original due time, still paused, nothing breached.
    assert statuses(ticket, riga(2026, 3, 11, 12, 0))["resolution"] == "paused"
    resolution = sla.clocks(fresh(ticket), riga(2026, 3, 11, 12, 0))[1]
    assert resolution.remaining_minutes == 180
    assert ops.check_sla(riga(2026, 3, 11, 12, 0)) == (0, 0)
    # The reporter answers the next morning: 60 + 60 working minutes were paused.
    clock.set(riga(2026, 3, 11, 9, 30))
    ops.add_entry(actor=None, ticket=ticket, kind=EntryKind.INCOMING, body="Kods ir 42.")
    ticket = fresh(ticket)
    assert ticket.state == State.IN_PROGRESS
    assert ticket.waiting_on == ""
    assert ticket.waiting_since is None
    assert ticket.paused_minutes == 7 * 60 + 60  # 10:00–17:00 and 08:30–09:30
    # 180 minutes were left when the wait began: due at 12:30 on the day of the answer.
    assert local(ticket.resolution_due) == riga(2026, 3, 11, 12, 30)
    assert events(ticket)[-1] == "resume"
    assert audits(ticket, "ticket.resume")
    assert statuses(ticket, riga(2026, 3, 11, 9, 31))["resolution"] == "running"


def test_resume_by_staff_adds_the_pause(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 10, 0))
    ops.transition(actor=specialist, ticket=ticket, action="wait", waiting_on=WaitingOn.RECIPIENT)
    clock.set(riga(2026, 3, 10, 10, 45))
    ticket = ops.transition(actor=specialist, ticket=ticket, action="resume")
    assert ticket.paused_minutes == 45
    assert due(ticket) == (riga(2026, 3, 10, 10, 15), riga(2026, 3, 10, 13, 45))


def test_waiting_on_a_third_party_does_not_pause(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 10, 0))
    ticket = ops.transition(
        actor=specialist, ticket=ticket, action="wait", waiting_on=WaitingOn.THIRD_PARTY
    )
    assert statuses(ticket, riga(2026, 3, 10, 11, 0))["resolution"] == "running"
    assert statuses(ticket, riga(2026, 3, 10, 13, 1))["resolution"] == "breached"
    # The reporter writing does not end a wait on someone else.
    ops.add_entry(actor=None, ticket=ticket, kind=EntryKind.INCOMING, body="Vai ir ziņas?")
    assert fresh(ticket).state == State.WAITING
    clock.set(riga(2026, 3, 10, 12, 0))
    ticket = ops.transition(actor=specialist, ticket=ticket, action="resume")
    assert ticket.paused_minutes == 0
    assert due(ticket)[1] == riga(2026, 3, 10, 13, 0)


def test_wait_needs_to_know_on_whom(make_ticket: Callable[..., Ticket], specialist: User) -> None:
    ticket = make_ticket()
    with pytest.raises(Exception, match="waiting"):
        ops.transition(actor=specialist, ticket=ticket, action="wait", waiting_on="")
    assert fresh(ticket).state == State.NEW


def test_escalating_a_waiting_ticket_ends_the_pause(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 10, 0))
    ops.transition(actor=specialist, ticket=ticket, action="wait", waiting_on=WaitingOn.RECIPIENT)
    clock.set(riga(2026, 3, 10, 10, 30))
    ticket = ops.escalate(actor=specialist, ticket=ticket, to_level=2, reason="Vajag ekspertu.")
    assert ticket.state == State.NEW
    assert ticket.waiting_on == ""
    assert ticket.waiting_since is None
    assert ticket.paused_minutes == 30
    assert statuses(ticket, riga(2026, 3, 10, 11, 0))["resolution"] == "running"


# --- Clock statuses -----------------------------------------------------------------------------


def test_clock_statuses(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)  # response 09:30, resolution 13:00; warn at 20 % left
    assert statuses(ticket, riga(2026, 3, 10, 9, 0)) == {
        "response": "running",
        "resolution": "running",
    }
    assert statuses(ticket, riga(2026, 3, 10, 9, 24))["response"] == "warning"
    assert statuses(ticket, riga(2026, 3, 10, 9, 31))["response"] == "breached"
    assert statuses(ticket, riga(2026, 3, 10, 12, 0))["resolution"] == "running"
    assert statuses(ticket, riga(2026, 3, 10, 12, 12))["resolution"] == "warning"
    assert statuses(ticket, riga(2026, 3, 10, 13, 0))["resolution"] == "warning"
    assert statuses(ticket, riga(2026, 3, 10, 13, 1))["resolution"] == "breached"
    breached = sla.clocks(fresh(ticket), riga(2026, 3, 10, 14, 0))[1]
    assert breached.remaining_minutes == -60
    assert breached.elapsed_percent == 100
    clock.set(riga(2026, 3, 10, 9, 20))
    ticket = ops.take(actor=specialist, ticket=ticket)
    clock.set(riga(2026, 3, 10, 12, 0))
    ticket = ops.transition(actor=specialist, ticket=ticket, action="resolve", resolution="Jā.")
    assert statuses(ticket, riga(2026, 3, 11, 9, 0)) == {"response": "met", "resolution": "met"}


def test_late_resolution_stays_breached(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 15, 0))
    ticket = ops.transition(actor=specialist, ticket=ticket, action="resolve", resolution="Vēlu.")
    assert statuses(ticket, riga(2026, 3, 12, 9, 0)) == {
        "response": "breached",
        "resolution": "breached",
    }


def test_a_ticket_resolved_by_the_system_stops_both_clocks(
    clock: FakeClock, make_ticket: Callable[..., Ticket]
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 9, 20))
    ticket = ops.transition(actor=None, ticket=ticket, action="resolve", resolution="Atrisināts.")
    # Nobody answered first, but resolving is the answer: no clock runs on a resolved ticket.
    assert statuses(ticket, riga(2026, 3, 20, 9, 0)) == {"response": "met", "resolution": "met"}


def test_a_cancelled_ticket_stops_its_clocks(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 9, 10))
    ticket = ops.transition(actor=specialist, ticket=ticket, action="cancel")
    assert all(c.done_at is not None for c in sla.clocks(ticket, riga(2026, 3, 20, 9, 0)))


# --- The SLA check ------------------------------------------------------------------------------


def test_check_sla_records_a_warning_and_a_breach_once_and_mails_the_assignee(
    clock: FakeClock,
    make_ticket: Callable[..., Ticket],
    specialist: User,
    expert: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1, assignee=expert)
    clock.set(riga(2026, 3, 10, 9, 5))
    ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.REPLY, body="Skatāmies.")
    quiet = make_ticket(subject="Zema prioritāte")  # P4: nothing due today
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert ops.check_sla(riga(2026, 3, 10, 12, 0)) == (0, 0)
        assert ops.check_sla(riga(2026, 3, 10, 12, 20)) == (1, 0)
        assert ops.check_sla(riga(2026, 3, 10, 12, 30)) == (0, 0)
    assert [m.to for m in mail.outbox] == [["janis@vra.example.lv"]]
    assert mail.outbox[0].subject.startswith(f"[{ticket.reference}]")
    assert mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-generated"

    with django_capture_on_commit_callbacks(execute=True):
        assert ops.check_sla(riga(2026, 3, 10, 13, 30)) == (0, 1)
        assert ops.check_sla(riga(2026, 3, 10, 13, 45)) == (0, 0)
    assert [m.to for m in mail.outbox] == [["janis@vra.example.lv"]] * 2
    assert mail.outbox[0].subject != mail.outbox[1].subject

    rows = SlaEvent.objects.filter(ticket=ticket).order_by("id")
    assert [(e.metric, e.event) for e in rows] == [
        ("resolution", SlaEvent.WARNING),
        ("resolution", SlaEvent.BREACH),
    ]
    assert rows[0].due_at == riga(2026, 3, 10, 13, 0)
    assert events(ticket).count("sla_breached") == 1
    assert not SlaEvent.objects.filter(ticket=quiet).exists()


def test_check_sla_breach_of_an_unanswered_ticket_goes_to_the_team(
    clock: FakeClock,
    make_ticket: Callable[..., Ticket],
    teams: dict[int, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = make_ticket(**P1, team=teams[1])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert ops.check_sla(riga(2026, 3, 10, 9, 45)) == (0, 1)  # response breached
    assert [m.to for m in mail.outbox] == [["anna@vra.example.lv"]]
    assert SlaEvent.objects.get(ticket=ticket).metric == "response"


def test_check_sla_ignores_paused_and_finished_tickets(
    clock: FakeClock, make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    paused = make_ticket(**P1)
    done = make_ticket(**P1)
    clock.set(riga(2026, 3, 10, 9, 1))
    ops.transition(actor=specialist, ticket=paused, action="wait", waiting_on=WaitingOn.RECIPIENT)
    ops.transition(actor=specialist, ticket=done, action="resolve", resolution="Jā.")
    assert ops.check_sla(riga(2026, 3, 12, 9, 0)) == (0, 0)
    assert not SlaEvent.objects.exists()


def test_service_level_hours_are_used(institution: Institution) -> None:
    service = Service.objects.create(institution=institution, identifier="S-SAT", name="Sestdien")
    ServiceLevel.objects.create(
        service=service, support_start=time(10, 0), support_end=time(14, 0), support_days="6"
    )
    ticket = Ticket(kind=Kind.INCIDENT, institution=institution, service=service, priority="P1")
    sla.start(ticket, riga(2026, 3, 13, 9, 0))  # Friday → Saturdays 10:00–14:00 only
    assert local(ticket.response_due) == riga(2026, 3, 14, 10, 30)
    assert local(ticket.resolution_due) == riga(2026, 3, 14, 14, 0)
