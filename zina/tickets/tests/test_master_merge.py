"""Many reports of one interruption: linking reports to a master incident, replies on the
master reaching every reporter, resolving the master resolving the reports; merging a
duplicate keeps both histories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from zina.accounts.models import User
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind, Kind, State
from zina.tickets.models import Ticket, TicketEntry

from . import _factories
from ._factories import audits, events, fresh

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
make_ticket = _factories.make_ticket


@pytest.fixture
def reports(make_ticket: Callable[..., Ticket]) -> list[Ticket]:
    return [
        make_ticket(
            subject=f"Portāls nestrādā ({n})",
            reporter=ops.Reporter(name=f"Ziņotājs {n}", email=f"zinotajs{n}@example.lv"),
        )
        for n in range(3)
    ]


@pytest.fixture
def master(make_ticket: Callable[..., Ticket]) -> Ticket:
    return make_ticket(
        subject="Portāla pārtraukums", reporter=ops.Reporter(email="monitorings@vra.example.lv")
    )


def test_set_master_rules(
    master: Ticket,
    reports: list[Ticket],
    specialist: User,
    make_ticket: Callable[..., Ticket],
) -> None:
    first, second, third = reports
    report = ops.set_master(actor=specialist, ticket=first, master=master)
    assert report.master == master
    assert events(first)[-1] == "master_set"
    assert events(master)[-1] == "report_linked"
    assert audits(first)[-1].after["master_id"] == master.pk
    with pytest.raises(ValidationError):  # not its own master
        ops.set_master(actor=specialist, ticket=master, master=master)
    with pytest.raises(ValidationError):  # a report is not a master
        ops.set_master(actor=specialist, ticket=second, master=first)
    with pytest.raises(ValidationError):  # a master is not a report
        ops.set_master(actor=specialist, ticket=master, master=second)
    request = make_ticket(Kind.REQUEST)
    with pytest.raises(ValidationError):  # incidents only
        ops.set_master(actor=specialist, ticket=request, master=master)
    with pytest.raises(ValidationError):
        ops.set_master(actor=specialist, ticket=second, master=request)
    ops.transition(actor=specialist, ticket=third, action="resolve", resolution="Jā.")
    with pytest.raises(ValidationError):  # a finished master
        ops.set_master(actor=specialist, ticket=second, master=third)
    assert fresh(second).master is None
    # Unlinking.
    assert ops.set_master(actor=specialist, ticket=first, master=None).master is None
    assert not fresh(master).linked_reports.exists()


def test_a_reply_on_the_master_reaches_every_open_report(
    master: Ticket,
    reports: list[Ticket],
    specialist: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for report in reports:
        ops.set_master(actor=specialist, ticket=report, master=master)
    ops.transition(actor=specialist, ticket=reports[2], action="cancel")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ops.add_entry(actor=specialist, ticket=master, kind=EntryKind.NOTE, body="Iekšēji.")
        ops.add_entry(
            actor=specialist, ticket=master, kind=EntryKind.REPLY, body="Strādājam pie tā."
        )
    for report in reports[:2]:
        copies = TicketEntry.objects.filter(ticket=report, kind=EntryKind.REPLY)
        assert [(c.body, c.data) for c in copies] == [
            ("Strādājam pie tā.", {"from_master": master.pk})
        ]
        assert copies[0].author == specialist
        assert not TicketEntry.objects.filter(ticket=report, kind=EntryKind.NOTE).exists()
    assert not TicketEntry.objects.filter(ticket=reports[2], kind=EntryKind.REPLY).exists()
    sent = sorted((m.to[0], m.subject.split("]")[0] + "]") for m in mail.outbox)
    assert sent == sorted(
        [
            ("monitorings@vra.example.lv", f"[{master.reference}]"),
            ("zinotajs0@example.lv", f"[{reports[0].reference}]"),
            ("zinotajs1@example.lv", f"[{reports[1].reference}]"),
        ]
    )
    assert all("Strādājam pie tā." in m.body for m in mail.outbox)


def test_resolving_the_master_resolves_the_reports(
    master: Ticket,
    reports: list[Ticket],
    specialist: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for report in reports:
        ops.set_master(actor=specialist, ticket=report, master=master)
    ops.transition(actor=specialist, ticket=reports[2], action="cancel")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ops.transition(
            actor=specialist, ticket=master, action="resolve", resolution="Serveris atjaunots."
        )
    for report in reports[:2]:
        report = fresh(report)
        assert report.state == State.RESOLVED
        assert report.resolution == "Serveris atjaunots."
        assert report.resolved_at is not None
        [audit] = audits(report, "ticket.resolve")
        assert audit.actor is None
    assert fresh(reports[2]).state == State.CANCELLED
    assert sorted(m.to[0] for m in mail.outbox) == [
        "monitorings@vra.example.lv",
        "zinotajs0@example.lv",
        "zinotajs1@example.lv",
    ]
    # Closing the master closes them too.
    ops.transition(actor=specialist, ticket=master, action="close")
    assert {fresh(r).state for r in reports[:2]} == {State.CLOSED}


def test_merge_keeps_both_histories(
    make_ticket: Callable[..., Ticket], reports: list[Ticket], specialist: User
) -> None:
    kept = make_ticket(subject="Portāls nestrādā")
    duplicate = make_ticket(subject="Portāls nestrādā (dublikāts)")
    ops.add_entry(actor=specialist, ticket=duplicate, kind=EntryKind.NOTE, body="Piezīme.")
    for report in reports[:2]:
        ops.set_master(actor=specialist, ticket=report, master=duplicate)
    result = ops.merge(actor=specialist, duplicate=duplicate, into=kept)
    assert result.pk == kept.pk
    duplicate = fresh(duplicate)
    assert duplicate.state == State.CANCELLED
    assert duplicate.merged_into == kept
    assert duplicate.closed_at is not None
    assert events(duplicate)[-1] == "merged_into"
    assert events(kept)[-1] == "merged"
    assert TicketEntry.objects.filter(ticket=duplicate, kind=EntryKind.NOTE).exists()
    assert audits(duplicate)[-1].verb == "ticket.merged"
    assert {r.master_id for r in map(fresh, reports[:2])} == {kept.pk}
    assert set(fresh(kept).linked_reports.all()) == set(reports[:2])
    # Refusals.
    with pytest.raises(ValidationError):
        ops.merge(actor=specialist, duplicate=kept, into=kept)
    with pytest.raises(ValidationError):  # already merged (cancelled)
        ops.merge(actor=specialist, duplicate=duplicate, into=kept)
    with pytest.raises(ValidationError):  # into a ticket merged away
        ops.merge(actor=specialist, duplicate=reports[2], into=duplicate)


def test_merging_a_master_into_one_of_its_reports(
    master: Ticket, reports: list[Ticket], specialist: User
) -> None:
    for report in reports:
        ops.set_master(actor=specialist, ticket=report, master=master)
    kept = ops.merge(actor=specialist, duplicate=master, into=reports[0])
    kept = fresh(kept)
    assert kept.master is None  # never its own master
    assert {fresh(r).master_id for r in reports[1:]} == {kept.pk}


def test_merging_into_a_report_moves_reports_to_its_master(
    master: Ticket, reports: list[Ticket], specialist: User, make_ticket: Callable[..., Ticket]
) -> None:
    other = make_ticket(subject="Otrs galvenais")
    ops.set_master(actor=specialist, ticket=reports[0], master=master)
    ops.set_master(actor=specialist, ticket=reports[1], master=other)
    ops.merge(actor=specialist, duplicate=other, into=reports[0])
    assert fresh(reports[1]).master_id == master.pk  # one level: no report of a report


def test_reports_only_move_to_an_incident(
    master: Ticket, reports: list[Ticket], specialist: User, make_ticket: Callable[..., Ticket]
) -> None:
    ops.set_master(actor=specialist, ticket=reports[0], master=master)
    request = make_ticket(Kind.REQUEST)
    with pytest.raises(ValidationError):
        ops.merge(actor=specialist, duplicate=master, into=request)
    assert fresh(master).state == State.NEW
