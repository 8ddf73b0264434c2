"""Helpers and fixtures shared by the tickets tests (import the fixtures you use by name).

``clock`` stands in for ``zina.tickets.operations.now`` (no freezegun: the operations read the
time through that one function), ``make_ticket`` opens a ticket of any kind through the
operation, and a few readers hold roles scoped to the fixture service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service
from zina.conftest import refresh
from zina.core.models import AuditEvent
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind
from zina.tickets.models import Ticket, TicketEntry

RIGA = ZoneInfo("Europe/Riga")


def riga(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Riga (aware)."""
    return datetime(year, month, day, hour, minute, tzinfo=RIGA)


class FakeClock:
    """What ``operations.now()`` answers; set or advance it between operations."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self.value = start
        monkeypatch.setattr(ops, "now", lambda: self.value)

    def set(self, when: datetime) -> datetime:
        self.value = when
        return when

    def advance(self, **delta: float) -> datetime:
        self.value = self.value + timedelta(**delta)
        return self.value


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    # A Tuesday morning in an ordinary week (no holiday near it).
    return FakeClock(monkeypatch, riga(2026, 3, 10, 9, 0))


def assign_scoped(
    superuser: User, user: User, role: str, scope: Service | Resource, responsibility: str = "L"
) -> User:
    """Give ``user`` ``role`` on one service or resource; returns a fresh user."""
    account_ops.assign_role(
        actor=superuser,
        user=user,
        institution=scope.institution,
        role=role,
        responsibility=responsibility,
        scope=scope,
    )
    return refresh(user)


@pytest.fixture
def change_manager(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("mainu-vaditajs", institution, Role.CHANGE_MANAGER, email="cm@vra.example.lv")


@pytest.fixture
def problem_manager(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("problemu-vaditajs", institution, Role.PROBLEM_MANAGER, email="pm@vra.lv")


@pytest.fixture
def scoped_owner(
    superuser: User, make_user: Callable[..., User], institution: Institution, service: Service
) -> User:
    """Owner of the fixture service only (no institution-wide role)."""
    return assign_scoped(
        superuser,
        make_user("pakalpojuma-saimnieks", institution, email="owner@vra.example.lv"),
        Role.SERVICE_OWNER,
        service,
        "A",
    )


@pytest.fixture
def scoped_partner(
    superuser: User, make_user: Callable[..., User], institution: Institution, service: Service
) -> User:
    """An external provider assigned to the fixture service."""
    return assign_scoped(
        superuser,
        make_user("partneris", institution, kind="partner", email="partner@it.example.lv"),
        Role.PARTNER,
        service,
    )


@pytest.fixture
def make_ticket(
    institution: Institution, service: Service, specialist: User
) -> Callable[..., Ticket]:
    """``make_ticket(kind="incident", actor=specialist, reporter=..., **data)``."""

    def make(kind: str = "incident", actor: Any = None, **data: Any) -> Ticket:
        reporter = data.pop("reporter", None) or ops.Reporter(
            name="Pilsonis", email="pilsonis@example.lv"
        )
        data.setdefault("subject", f"Pieteikums {kind}")
        data.setdefault("service", service)
        where = data.pop("institution", institution)
        team = data.pop("team", None)
        assignee = data.pop("assignee", None)
        return ops.open_ticket(
            actor=specialist if actor is None else actor,
            institution=where,
            kind=kind,
            data=ops.TicketData(**data),
            reporter=reporter,
            team=team,
            assignee=assignee,
        )

    return make


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def audits(ticket: Ticket, verb: str | None = None) -> list[AuditEvent]:
    rows = AuditEvent.objects.filter(
        content_type__model="ticket", object_id=str(ticket.pk)
    ).order_by("id")
    if verb is not None:
        rows = rows.filter(verb=verb)
    return list(rows)


def events(ticket: Ticket) -> list[str]:
    """Verbs of the ticket's work-log events, oldest first."""
    return list(
        TicketEntry.objects.filter(ticket=ticket, kind=EntryKind.EVENT)
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- A small world of tickets and readers (permissions and search) -------------------------

# Every ticket of the world carries this word in its subject (search finds them all by it).
COMMON = "zebrakods"
# Only in internal notes: never found by anyone.
NOTE_SECRET = "slepenapiezime"


@dataclass
class World:
    tickets: dict[str, Ticket]
    readers: dict[str, Any]


@pytest.fixture
def world(
    superuser: User,
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    institution: Institution,
    other_institution: Institution,
    role_users: dict[str, Any],
    service: Service,
    specialist: User,
    scoped_owner: User,
    scoped_partner: User,
) -> World:
    """Tickets of VRA (on the service, without one, a change, one assigned to an outside
    partner) and of SPA, with one reader per role and every other kind of reader."""
    other_service = Service.objects.create(
        institution=institution, identifier="VRA-002", name="Transportlīdzekļu reģistrs"
    )
    citizen = User.objects.create_user("pilsone", email="pilsone@example.lv", language="en")
    other_citizen = User.objects.create_user("pilsonis2", email="pilsonis2@example.lv")
    assignee = assign_scoped(
        superuser,
        make_user("arpakalpotajs", institution, kind="partner", email="ap@it.example.lv"),
        Role.PARTNER,
        other_service,
    )
    spa_specialist = make_user("spa-specialists", other_institution, Role.SUPPORT_SPECIALIST)
    inactive = make_user("neaktivs", institution, Role.SUPPORT_EXPERT)
    account_ops.set_user_active(actor=superuser, user=inactive, active=False)

    def open_(key: str, kind: str = "incident", **data: Any) -> Ticket:
        actor = data.pop("actor", specialist)
        where = data.pop("institution", institution)
        reporter = data.pop("reporter", None)
        return ops.open_ticket(
            actor=actor,
            institution=where,
            kind=kind,
            data=ops.TicketData(subject=f"{COMMON} {key}", description=f"Apraksts {key}", **data),
            reporter=reporter or ops.Reporter(name="Zvanītājs", phone="+37120000000"),
        )

    tickets = {
        "svc": open_("svc", service=service, reporter=ops.Reporter(user=citizen)),
        "plain": open_("plain", reporter=ops.Reporter(user=other_citizen)),
        "change": open_("change", "change", service=service, change_type="normal"),
        "assigned": open_("assigned", service=other_service),
        "spa": open_("spa", institution=other_institution, actor=spa_specialist),
    }
    ops.assign(actor=specialist, ticket=tickets["assigned"], assignee=assignee)
    # The service is taken off the ticket: its assignee still sees it, as the assignee.
    tickets["assigned"] = ops.update_ticket(
        actor=specialist,
        ticket=tickets["assigned"],
        data=ops.TicketData(service=None, given={"service"}),
    )
    for ticket in tickets.values():
        where_staff = (
            spa_specialist if ticket.institution_id == other_institution.pk else specialist
        )
        ops.add_entry(actor=where_staff, ticket=ticket, kind=EntryKind.NOTE, body=NOTE_SECRET)
        ops.add_entry(actor=where_staff, ticket=ticket, kind=EntryKind.REPLY, body="Atbilde.")
    ops.add_entry(actor=citizen, ticket=tickets["svc"], kind=EntryKind.INCOMING, body="Paldies.")
    readers = {
        **role_users,
        "superuser": superuser,
        "spa_specialist": spa_specialist,
        "scoped_owner": scoped_owner,
        "scoped_partner": scoped_partner,
        "assignee": refresh(assignee),
        "reporter": refresh(citizen),
        "inactive": refresh(inactive),
    }
    return World({k: fresh(t) for k, t in tickets.items()}, readers)
