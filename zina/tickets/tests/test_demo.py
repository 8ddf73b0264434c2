"""The demo tickets: loaded through the operations, several hundred of every kind, level and
channel, with the stories the demo is meant to show, and loaded only once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from zina.accounts.models import User
from zina.core.demo import load_demo
from zina.core.models import AuditEvent
from zina.knowledge.choices import TicketRelation
from zina.knowledge.models import ArticleTicketLink
from zina.tickets.choices import OPEN_STATES, Channel, Kind, Level, LinkKind, State
from zina.tickets.demo import DESK, PRINTED
from zina.tickets.models import SlaEvent, Team, Ticket, TicketEntry, TicketLink
from zina.tickets.permissions import ticket_view

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "entries": TicketEntry.objects.count(),
        "links": TicketLink.objects.count(),
        "teams": Team.objects.count(),
        "sla": SlaEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_demo_tickets() -> None:
    logins = load_demo()
    tickets = Ticket.objects.all()
    assert tickets.count() >= 300

    kinds = Counter(tickets.values_list("kind", flat=True))
    assert set(kinds) == set(Kind.values)
    assert kinds[Kind.INCIDENT] >= 50
    assert kinds[Kind.REQUEST] >= 50
    assert kinds[Kind.COMPLAINT] >= 3
    assert kinds[Kind.SUGGESTION] >= 3
    assert kinds[Kind.PROBLEM] >= 2
    assert kinds[Kind.CHANGE] >= 3

    levels = Counter(tickets.values_list("level", flat=True))
    assert levels[Level.SELF_SERVICE] >= 100
    assert levels[Level.FIRST] >= 100
    assert levels[Level.SECOND] >= 10

    channels = Counter(tickets.values_list("channel", flat=True))
    for channel in (
        Channel.PORTAL,
        Channel.EMAIL,
        Channel.PHONE,
        Channel.VISITOR_DESK,
        Channel.VIDEO,
        Channel.SOCIAL,
        Channel.ASSISTANT,
    ):
        assert channels[channel] >= 3, channel

    states = Counter(tickets.values_list("state", flat=True))
    for state in (State.NEW, State.IN_PROGRESS, State.WAITING, State.RESOLVED, State.CLOSED):
        assert states[state] >= 5, state

    # Every institution has tickets and two teams (levels 1 and 2).
    codes = Counter(tickets.values_list("institution__code", flat=True))
    assert {"vra", "dpm", "spa", DESK.code} <= set(codes)
    for code in ("vra", "dpm", "spa", DESK.code):
        assert set(Team.objects.filter(institution__code=code).values_list("level", flat=True)) == {
            Level.FIRST,
            Level.SECOND,
        }

    # Latvian as typed: with and without diacritics.
    subjects = list(tickets.exclude(level=Level.SELF_SERVICE).values_list("subject", flat=True))
    assert "kļūda maksājot valsts nodevu" in [s.lower() for s in subjects]
    assert any(s.lower() == "parole nedarbojas" for s in subjects)
    assert any("nevaru pieslegties" in s.lower() for s in subjects)

    # In the past, and some of it overdue: breached SLAs recorded by the SLA check.
    now = timezone.now()
    assert tickets.filter(created_at__lt=now - timedelta(days=30)).count() >= 50
    breached = SlaEvent.objects.filter(event=SlaEvent.BREACH)
    assert breached.exists()
    assert all(t.state in OPEN_STATES for t in Ticket.objects.filter(sla_events__in=breached))
    assert tickets.filter(state__in=OPEN_STATES, resolution_due__lt=now).exists()
    for ticket in tickets.filter(state=State.CLOSED, kind=Kind.INCIDENT)[:20]:
        assert ticket.created_at <= ticket.resolved_at <= ticket.closed_at <= now
        assert ticket.resolution
        entries = list(ticket.entries.values_list("created_at", flat=True))
        assert entries == sorted(entries)
        assert entries[0] == ticket.created_at

    # A problem with a known error (and its article), caused incidents linked to it.
    problem = tickets.get(kind=Kind.PROBLEM, state=State.KNOWN_ERROR)
    assert problem.workaround
    assert problem.root_cause
    assert problem.known_error_article is not None
    caused = TicketLink.objects.filter(target=problem, kind=LinkKind.CAUSED_BY)
    assert caused.count() >= 3
    assert ArticleTicketLink.objects.filter(
        article=problem.known_error_article, relation=TicketRelation.USED_TO_RESOLVE
    ).exists()
    # A problem closed by a change that fixed it.
    assert TicketLink.objects.filter(
        kind=LinkKind.FIXED_BY, source__state=State.CLOSED, target__state=State.CLOSED
    ).exists()

    # A scheduled change: approved, next week, with expected downtime.
    scheduled = tickets.filter(
        kind=Kind.CHANGE,
        state=State.APPROVED,
        planned_start__gt=now,
        planned_start__lt=now + timedelta(days=14),
        expected_downtime_minutes__gt=0,
        approved_by__isnull=False,
    )
    assert scheduled.count() == 1

    # A master incident (an availability interruption under way) with several reports.
    master = tickets.get(interruption=True, state=State.IN_PROGRESS)
    assert master.interruption_start is not None
    assert master.interruption_start < now
    assert master.linked_reports.count() >= 3
    assert (
        TicketEntry.objects.filter(ticket__master=master, data__from_master=master.pk).count()
        == master.linked_reports.count()
    )
    # …and a past one, resolved and closed with its reports.
    past = tickets.get(interruption=True, state=State.CLOSED)
    assert past.interruption_end is not None
    assert all(r.state == State.CLOSED for r in past.linked_reports.all())

    # A merged duplicate; tickets handed over by the shared desk, which still sees them.
    duplicate = tickets.get(merged_into__isnull=False)
    assert duplicate.state == State.CANCELLED
    handed = tickets.filter(received_by__code=DESK.code).exclude(institution__code=DESK.code)
    assert handed.count() >= 5
    assert handed.exclude(state=State.NEW).exists()
    desk_user = User.objects.get(username="konsultants")
    assert set(handed) <= set(Ticket.objects.filter(ticket_view(desk_user)))

    # Complaints answered; waiting tickets; knowledge used and captured (KCS).
    answered = tickets.filter(kind=Kind.COMPLAINT, state__in=[State.RESOLVED, State.CLOSED])
    assert answered.exists()
    assert all(c.answer for c in answered)
    assert tickets.filter(state=State.WAITING, waiting_since__isnull=False).exists()
    assert ArticleTicketLink.objects.filter(relation=TicketRelation.USED_TO_RESOLVE).count() >= 5
    assert ArticleTicketLink.objects.filter(relation=TicketRelation.CREATED_FROM).count() >= 2
    assert tickets.filter(level=Level.SELF_SERVICE, state=State.CLOSED).exclude(resolution="")

    # The printed logins include a support specialist and an expert who see tickets.
    usernames = [u for u, _ in logins]
    assert {"atbalsts", "eksperts", *PRINTED} <= set(usernames)
    for username in ("atbalsts", "eksperts", *PRINTED):
        user = User.objects.get(username=username)
        assert Ticket.objects.filter(ticket_view(user)).count() >= 20, username

    # No mail to the invented reporters while loading.
    assert mail.outbox == []

    # Loading again adds nothing.
    before = counts()
    load_demo()
    assert counts() == before
