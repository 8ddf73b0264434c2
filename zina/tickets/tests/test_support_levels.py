"""Support levels (N6-2): escalation from level 1 to level 2 with a reason, level-0 outcomes
(self-service), and the hand-over of a request a shared desk took to the institution that owns
it — history kept, the desk still sees it, the owner sees it, nobody else does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.core.permissions import can
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind, Kind, Level, State
from zina.tickets.models import Team, Ticket, TicketEntry

from . import _factories
from ._factories import audits, events, fresh, riga

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
clock = _factories.clock
make_ticket = _factories.make_ticket


# --- Escalation ----------------------------------------------------------------------------------


def test_escalate_with_a_reason(
    make_ticket: Callable[..., Ticket], specialist: User, teams: dict[int, Team]
) -> None:
    ticket = ops.take(actor=specialist, ticket=make_ticket(team=teams[1]))
    assert (ticket.level, ticket.state) == (Level.FIRST, State.IN_PROGRESS)
    with pytest.raises(ValidationError) as raised:
        ops.escalate(actor=specialist, ticket=ticket, to_level=2, reason=" ")
    assert "reason" in raised.value.message_dict
    with pytest.raises(ValidationError):
        ops.escalate(actor=specialist, ticket=ticket, to_level=1, reason="Tas pats līmenis.")
    ticket = ops.escalate(
        actor=specialist, ticket=ticket, to_level=2, reason="Vajag IS ekspertu.", team=teams[2]
    )
    assert (ticket.level, ticket.team, ticket.assignee) == (Level.SECOND, teams[2], None)
    assert ticket.state == State.ASSIGNED
    [audit] = audits(ticket, "ticket.escalated")
    assert (audit.before["level"], audit.after["level"]) == (1, 2)
    assert audit.actor == specialist
    entry = TicketEntry.objects.get(ticket=ticket, verb="escalated")
    assert entry.kind == EntryKind.EVENT
    assert entry.body == "Vajag IS ekspertu."
    assert entry.data == {"from_level": 1, "to_level": 2}
    assert entry.author == specialist


def test_escalation_refusals(
    make_ticket: Callable[..., Ticket],
    specialist: User,
    other_institution: Institution,
    make_user: Callable[..., User],
) -> None:
    ticket = make_ticket()
    foreign = Team.objects.create(institution=other_institution, name="Citi")
    with pytest.raises(ValidationError):
        ops.escalate(actor=specialist, ticket=ticket, to_level=2, reason="X", team=foreign)
    with pytest.raises(ValidationError):
        ops.escalate(actor=specialist, ticket=ticket, to_level=0, reason="X")
    outsider = make_user("svesais", other_institution, Role.SUPPORT_EXPERT)
    with pytest.raises(PermissionDenied):
        ops.escalate(actor=outsider, ticket=ticket, to_level=2, reason="X")
    ops.transition(actor=specialist, ticket=ticket, action="resolve", resolution="Jā.")
    with pytest.raises(ValidationError):
        ops.escalate(actor=specialist, ticket=ticket, to_level=2, reason="Par vēlu.")
    assert fresh(ticket).level == Level.FIRST


def test_escalating_an_approved_change_keeps_its_approval(
    make_ticket: Callable[..., Ticket],
    specialist: User,
    make_user: Callable[..., User],
    institution: Institution,
) -> None:
    manager = make_user("cm", institution, Role.CHANGE_MANAGER)
    change = make_ticket(Kind.CHANGE, actor=manager, change_type="standard")
    assert change.state == State.APPROVED
    change = ops.escalate(actor=manager, ticket=change, to_level=2, reason="Ekspertiem.")
    assert change.state == State.APPROVED


# --- Level 0 -------------------------------------------------------------------------------------


def test_self_service_outcome(
    clock: Any, institution: Institution, service: Any, other_institution: Institution
) -> None:
    clock.set(riga(2026, 3, 10, 9, 0))
    ticket = ops.record_self_service(
        institution=institution, subject="Kā mainīt adresi?", channel="assistant", service=service
    )
    ticket = fresh(ticket)
    assert (ticket.kind, ticket.level, ticket.state) == (
        Kind.REQUEST,
        Level.SELF_SERVICE,
        State.CLOSED,
    )
    assert ticket.channel == "assistant"
    assert ticket.service == service
    assert ticket.resolved_at == ticket.closed_at == riga(2026, 3, 10, 9, 0)
    assert ticket.response_due is None
    assert events(ticket) == ["self_service"]
    [audit] = audits(ticket)
    assert (audit.verb, audit.actor) == ("ticket.self_service", None)
    # Another institution's service is not recorded on it.
    from zina.catalog.models import Service

    foreign = Service.objects.create(institution=other_institution, identifier="S", name="S")
    other = ops.record_self_service(institution=institution, subject="", service=foreign)
    assert other.service is None
    assert other.subject == "—"


# --- Hand-over from a shared desk ----------------------------------------------------------------


@pytest.fixture
def desk(make_institution: Callable[..., Institution]) -> Institution:
    """A unified customer service centre that takes requests for other institutions."""
    return make_institution("vpvkac", "Valsts un pašvaldību vienotais klientu apkalpošanas centrs")


def test_hand_over_from_a_shared_desk(
    desk: Institution,
    institution: Institution,
    other_institution: Institution,
    make_user: Callable[..., User],
    specialist: User,
    service: Any,
    clock: Any,
) -> None:
    desk_agent = make_user("klientu-konsultants", desk, Role.SUPPORT_SPECIALIST)
    spa_agent = make_user("spa-konsultants", other_institution, Role.SUPPORT_SPECIALIST)
    ticket = ops.open_ticket(
        actor=desk_agent,
        institution=desk,
        kind=Kind.REQUEST,
        data=ops.TicketData(subject="Uzņēmuma reģistrācijas izziņa", impact=1, urgency=1),
        reporter=ops.Reporter(name="Apmeklētājs", phone="+37120000001"),
    )
    ops.add_entry(actor=desk_agent, ticket=ticket, kind=EntryKind.NOTE, body="Klients klātienē.")
    own = {
        "desk": ops.open_ticket(
            actor=desk_agent, institution=desk, kind=Kind.REQUEST, data=ops.TicketData(subject="D")
        ),
        "vra": ops.open_ticket(
            actor=specialist,
            institution=institution,
            kind=Kind.REQUEST,
            data=ops.TicketData(subject="V"),
        ),
        "spa": ops.open_ticket(
            actor=spa_agent,
            institution=other_institution,
            kind=Kind.REQUEST,
            data=ops.TicketData(subject="S"),
        ),
    }
    with pytest.raises(ValidationError):
        ops.hand_over(actor=desk_agent, ticket=ticket, institution=institution, reason="")
    with pytest.raises(ValidationError):
        ops.hand_over(actor=desk_agent, ticket=ticket, institution=desk, reason="Sev.")
    with pytest.raises(PermissionDenied):
        ops.hand_over(actor=specialist, ticket=ticket, institution=institution, reason="Man.")

    ticket = ops.hand_over(
        actor=desk_agent, ticket=ticket, institution=institution, reason="VRA pakalpojums."
    )
    ticket = fresh(ticket)
    assert (ticket.institution, ticket.received_by) == (institution, desk)
    assert (ticket.state, ticket.team, ticket.assignee) == (State.NEW, None, None)
    # History kept: the desk's events and note stay on the ticket.
    assert events(ticket) == ["opened", "handed_over"]
    assert TicketEntry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).count() == 1
    handed = TicketEntry.objects.get(ticket=ticket, verb="handed_over")
    assert handed.body == "VRA pakalpojums."
    assert [a.verb for a in audits(ticket)] == [
        "ticket.opened",
        "ticket.note",
        "ticket.handed_over",
    ]
    assert audits(ticket)[-1].before["institution_id"] == desk.pk

    def seen(user: User) -> set[int]:
        return set(Ticket.objects.visible_to(_factories.refresh(user)).values_list("pk", flat=True))

    # Each institution sees its own tickets and those handed to it; the desk keeps seeing
    # what it handed over (with its notes); a third institution sees nothing of it.
    assert seen(desk_agent) == {own["desk"].pk, ticket.pk}
    assert seen(specialist) == {own["vra"].pk, ticket.pk}
    assert seen(spa_agent) == {own["spa"].pk}
    assert can(desk_agent, "staff", ticket)
    assert TicketEntry.objects.visible_to(desk_agent).filter(ticket=ticket, kind="note").exists()
    assert not TicketEntry.objects.visible_to(spa_agent).filter(ticket=ticket).exists()
    # The owner works on it now; the desk only follows it.
    assert can(specialist, "work", ticket)
    assert not can(desk_agent, "work", ticket)
    ops.update_ticket(actor=specialist, ticket=ticket, data=ops.TicketData(service=service))
    assert fresh(ticket).service == service


def test_hand_over_drops_the_service_of_the_desk_and_its_sla(
    desk: Institution, institution: Institution, make_user: Callable[..., User], clock: Any
) -> None:
    from zina.catalog.models import Service, ServiceLevel, ServiceLevelTarget

    clock.set(riga(2026, 3, 10, 9, 0))
    desk_service = Service.objects.create(institution=desk, identifier="KAC", name="Konsultācijas")
    level = ServiceLevel.objects.create(service=desk_service, around_the_clock=True)
    ServiceLevelTarget.objects.create(
        service_level=level, priority="P4", response_minutes=5, resolution_minutes=10
    )
    desk_agent = make_user("konsultants", desk, Role.SUPPORT_SPECIALIST)
    ticket = ops.open_ticket(
        actor=desk_agent,
        institution=desk,
        kind=Kind.INCIDENT,
        data=ops.TicketData(subject="Nestrādā", service=desk_service),
    )
    assert fresh(ticket).resolution_due == riga(2026, 3, 10, 9, 10)
    ticket = ops.hand_over(actor=desk_agent, ticket=ticket, institution=institution, reason="VRA.")
    ticket = fresh(ticket)
    assert ticket.service is None
    assert ticket.resolution_due == riga(2026, 3, 16, 15, 0)  # the default P4 target


def test_hand_over_refusals(
    desk: Institution, institution: Institution, make_user: Callable[..., User], superuser: User
) -> None:
    from zina.accounts import operations as account_ops

    desk_agent = make_user("konsultants", desk, Role.SUPPORT_SPECIALIST)
    ticket = ops.open_ticket(
        actor=desk_agent, institution=desk, kind=Kind.REQUEST, data=ops.TicketData(subject="X")
    )
    account_ops.set_institution_active(actor=superuser, institution=institution, active=False)
    with pytest.raises(ValidationError):
        ops.hand_over(
            actor=desk_agent, ticket=ticket, institution=fresh_inst(institution), reason="R"
        )
    ops.transition(actor=desk_agent, ticket=ticket, action="cancel")
    account_ops.set_institution_active(actor=superuser, institution=institution, active=True)
    with pytest.raises(ValidationError):
        ops.hand_over(
            actor=desk_agent, ticket=ticket, institution=fresh_inst(institution), reason="R"
        )
    assert fresh(ticket).institution == desk


def fresh_inst(institution: Institution) -> Institution:
    return Institution.objects.get(pk=institution.pk)
