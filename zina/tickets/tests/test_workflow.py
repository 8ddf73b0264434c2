"""Each kind's workflow, enforced by the operations and audited.

Every (state, action) pair of every kind is tried through ``operations.transition``: the moves
the workflow allows land in their target state with an audit event and a work-log event; all
others are refused with nothing written. Then the rules behind particular moves: resolving
needs a resolution (an answer for complaints, a result for changes), a known error needs a
workaround, a problem stays open while a change that fixes it is, only approvers approve,
standard changes are pre-approved, resolved tickets close automatically, reopening works.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zina.accounts.models import User
from zina.core.models import AuditEvent
from zina.tickets import operations as ops
from zina.tickets import workflow
from zina.tickets.choices import ChangeType, Kind, LinkKind, State, WaitingOn
from zina.tickets.models import Ticket

from . import _factories
from ._factories import FakeClock, audits, events, fresh

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
change_manager = _factories.change_manager
clock = _factories.clock
make_ticket = _factories.make_ticket
problem_manager = _factories.problem_manager


def _args(ticket: Ticket, action: str) -> dict[str, Any]:
    """What each action needs to be given (a resolution, whom we wait on, a reason)."""
    if action == "resolve":
        return {"resolution": "Atjaunots."}
    if action == "wait":
        return {"waiting_on": WaitingOn.RECIPIENT}
    if action == "reject":
        return {"note": "Pārāk riskanti."}
    return {}


def _ticket_of(make: Callable[..., Ticket], kind: str) -> Ticket:
    data: dict[str, Any] = {"subject": f"Plūsma {kind}"}
    if kind == Kind.PROBLEM:
        data["workaround"] = "Pārstartēt pārlūku."
    if kind == Kind.CHANGE:
        data["change_type"] = ChangeType.NORMAL
    return make(kind, **data)


@pytest.mark.parametrize("kind", Kind.values)
def test_every_move_of_every_kind(
    kind: str, make_ticket: Callable[..., Ticket], change_manager: User
) -> None:
    ticket = _ticket_of(make_ticket, kind)
    allowed = refused = 0
    for state in State.values:
        for action in sorted({m.action for moves in workflow.WORKFLOWS.values() for m in moves}):
            Ticket.objects.filter(pk=ticket.pk).update(
                state=state, waiting_on="", waiting_since=None
            )
            current = fresh(ticket)
            audit_count = AuditEvent.objects.count()
            move = workflow.find(kind, state, action)
            if move is None:
                with pytest.raises(ValidationError):
                    ops.transition(
                        actor=change_manager,
                        ticket=current,
                        action=action,
                        **_args(current, action),
                    )
                assert fresh(ticket).state == state, (kind, state, action)
                assert fresh(ticket).version == current.version
                assert AuditEvent.objects.count() == audit_count
                refused += 1
                continue
            moved = ops.transition(
                actor=change_manager, ticket=current, action=action, **_args(current, action)
            )
            assert moved.state == move.target, (kind, state, action)
            assert fresh(ticket).state == move.target
            assert fresh(ticket).version == current.version + 1
            last = audits(ticket)[-1]
            assert last.verb == f"ticket.{action}"
            assert last.before["state"] == state
            assert last.after["state"] == move.target
            assert events(ticket)[-1] == action
            allowed += 1
    assert allowed == sum(len(m.sources) for m in workflow.WORKFLOWS[kind])
    assert refused > 0


def test_workflows_cover_every_kind() -> None:
    assert set(workflow.WORKFLOWS) == set(Kind.values)


def test_a_new_incident_cannot_be_closed(make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    with pytest.raises(ValidationError, match="cannot be moved"):
        ops.transition(actor=ticket.created_by, ticket=ticket, action="close")
    assert fresh(ticket).state == State.NEW
    assert audits(ticket, "ticket.close") == []


def test_resolving_needs_a_resolution(make_ticket: Callable[..., Ticket], specialist: User) -> None:
    ticket = make_ticket()
    with pytest.raises(ValidationError) as raised:
        ops.transition(actor=specialist, ticket=ticket, action="resolve", resolution="  ")
    assert "resolution" in raised.value.message_dict
    assert fresh(ticket).state == State.NEW
    ticket = ops.transition(actor=specialist, ticket=ticket, action="resolve", note="Pārstartēts.")
    assert ticket.state == State.RESOLVED
    assert ticket.resolution == "Pārstartēts."
    assert ticket.resolved_at is not None


def test_complaint_is_resolved_only_with_an_answer(
    make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    complaint = make_ticket(Kind.COMPLAINT, subject="Rupja apkalpošana")
    with pytest.raises(ValidationError) as raised:
        ops.transition(actor=specialist, ticket=complaint, action="resolve")
    assert "answer" in raised.value.message_dict
    ops.update_ticket(
        actor=specialist, ticket=complaint, data=ops.TicketData(evaluation="Pamatota.")
    )
    with pytest.raises(ValidationError):
        ops.transition(actor=specialist, ticket=complaint, action="resolve")
    complaint = ops.transition(
        actor=specialist, ticket=complaint, action="resolve", resolution="Atvainojamies."
    )
    assert complaint.state == State.RESOLVED
    assert complaint.answer == "Atvainojamies."
    assert complaint.resolution == "Atvainojamies."


def test_change_is_implemented_only_with_a_result(
    make_ticket: Callable[..., Ticket], change_manager: User
) -> None:
    change = make_ticket(Kind.CHANGE, change_type=ChangeType.STANDARD)
    change = ops.transition(actor=change_manager, ticket=change, action="start")
    with pytest.raises(ValidationError) as raised:
        ops.transition(actor=change_manager, ticket=change, action="resolve")
    assert "implementation_result" in raised.value.message_dict
    change = ops.transition(
        actor=change_manager, ticket=change, action="resolve", resolution="Ieviests 22:00."
    )
    assert change.implementation_result == "Ieviests 22:00."


def test_known_error_needs_a_workaround(
    make_ticket: Callable[..., Ticket], problem_manager: User
) -> None:
    problem = make_ticket(Kind.PROBLEM, actor=problem_manager, subject="Atkārtoti izkrīt")
    problem = ops.transition(actor=problem_manager, ticket=problem, action="start")
    with pytest.raises(ValidationError) as raised:
        ops.transition(actor=problem_manager, ticket=problem, action="known_error")
    assert "workaround" in raised.value.message_dict
    assert fresh(problem).state == State.IN_PROGRESS


def test_problem_stays_open_while_a_change_that_fixes_it_is_open(
    make_ticket: Callable[..., Ticket], problem_manager: User, change_manager: User
) -> None:
    problem = make_ticket(Kind.PROBLEM, actor=problem_manager, subject="Cēlonis")
    change = make_ticket(Kind.CHANGE, actor=change_manager, change_type=ChangeType.STANDARD)
    done = make_ticket(Kind.CHANGE, actor=change_manager, change_type=ChangeType.STANDARD)
    ops.link_tickets(actor=problem_manager, source=problem, target=change, kind=LinkKind.FIXED_BY)
    ops.link_tickets(actor=problem_manager, source=problem, target=done, kind=LinkKind.FIXED_BY)
    ops.transition(actor=change_manager, ticket=done, action="cancel")
    problem = ops.transition(actor=problem_manager, ticket=problem, action="start")
    problem = ops.transition(
        actor=problem_manager, ticket=problem, action="resolve", resolution="Kods salabots."
    )
    with pytest.raises(ValidationError, match=change.reference):
        ops.transition(actor=problem_manager, ticket=problem, action="close")
    assert fresh(problem).state == State.RESOLVED
    # Implemented is not enough: the change must be verified and closed.
    change = ops.transition(actor=change_manager, ticket=change, action="start")
    change = ops.transition(actor=change_manager, ticket=change, action="resolve", note="Ieviests.")
    with pytest.raises(ValidationError):
        ops.transition(actor=problem_manager, ticket=problem, action="close")
    ops.transition(actor=change_manager, ticket=change, action="close")
    problem = ops.transition(actor=problem_manager, ticket=problem, action="close")
    assert problem.state == State.CLOSED


def test_a_related_change_does_not_hold_a_problem_open(
    make_ticket: Callable[..., Ticket], problem_manager: User, change_manager: User
) -> None:
    problem = make_ticket(Kind.PROBLEM, actor=problem_manager)
    change = make_ticket(Kind.CHANGE, actor=change_manager)
    ops.link_tickets(actor=problem_manager, source=problem, target=change, kind=LinkKind.RELATED)
    ops.transition(actor=problem_manager, ticket=problem, action="start")
    ops.transition(actor=problem_manager, ticket=problem, action="resolve", resolution="Labots.")
    assert ops.transition(actor=problem_manager, ticket=problem, action="close").state == "closed"


def test_change_approval(
    make_ticket: Callable[..., Ticket], change_manager: User, specialist: User
) -> None:
    change = make_ticket(Kind.CHANGE, actor=change_manager, change_type=ChangeType.NORMAL)
    assert change.state == State.NEW
    # Not awaiting approval yet.
    with pytest.raises(ValidationError):
        ops.transition(actor=change_manager, ticket=change, action="approve")
    with pytest.raises(ValidationError):
        ops.transition(actor=change_manager, ticket=change, action="start")
    change = ops.transition(actor=change_manager, ticket=change, action="submit")
    assert change.state == State.AWAITING_APPROVAL
    # A support specialist works on changes but does not approve them.
    with pytest.raises(PermissionDenied):
        ops.transition(actor=specialist, ticket=change, action="approve")
    with pytest.raises(ValidationError) as raised:
        ops.transition(actor=change_manager, ticket=change, action="reject")
    assert "note" in raised.value.message_dict
    change = ops.transition(actor=change_manager, ticket=change, action="reject", note="Risks.")
    assert change.state == State.REJECTED
    change = ops.transition(actor=change_manager, ticket=change, action="submit")
    change = ops.transition(actor=change_manager, ticket=change, action="approve")
    assert change.state == State.APPROVED
    assert change.approved_by == change_manager
    assert change.approved_at is not None
    # Approving twice is refused.
    with pytest.raises(ValidationError):
        ops.transition(actor=change_manager, ticket=change, action="approve")
    assert [a.verb for a in audits(change)] == [
        "ticket.opened",
        "ticket.submit",
        "ticket.reject",
        "ticket.submit",
        "ticket.approve",
    ]


def test_standard_change_is_pre_approved(
    make_ticket: Callable[..., Ticket], change_manager: User, teams: dict[int, Any]
) -> None:
    change = make_ticket(
        Kind.CHANGE, actor=change_manager, change_type=ChangeType.STANDARD, team=teams[2]
    )
    assert change.state == State.APPROVED
    assert change.response_due is None
    assert change.resolution_due is None
    change = ops.transition(actor=change_manager, ticket=change, action="start")
    assert change.state == State.IN_PROGRESS


def test_only_staff_record_problems_and_changes(institution: Any) -> None:
    for kind in (Kind.PROBLEM, Kind.CHANGE):
        with pytest.raises(PermissionDenied):
            ops.open_ticket(
                actor=None,
                institution=institution,
                kind=kind,
                data=ops.TicketData(subject="Ne tā"),
                reporter=ops.Reporter(email="x@example.lv"),
            )


def test_kind_fields_stay_on_their_kind(make_ticket: Callable[..., Ticket]) -> None:
    with pytest.raises(ValidationError) as raised:
        make_ticket(Kind.INCIDENT, workaround="Nē")
    assert "workaround" in raised.value.message_dict


def test_priority_from_impact_and_urgency(
    make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    expected = {
        (1, 1): "P1",
        (1, 2): "P2",
        (2, 1): "P2",
        (1, 3): "P3",
        (2, 2): "P3",
        (3, 1): "P3",
        (2, 3): "P4",
        (3, 2): "P4",
        (3, 3): "P4",
    }
    for (impact, urgency), priority in expected.items():
        assert make_ticket(impact=impact, urgency=urgency).priority == priority
    ticket = make_ticket()
    assert (ticket.impact, ticket.urgency, ticket.priority) == (3, 2, "P4")
    ticket = ops.update_ticket(actor=specialist, ticket=ticket, data=ops.TicketData(impact=1))
    assert ticket.priority == "P2"
    ticket = ops.update_ticket(actor=specialist, ticket=ticket, data=ops.TicketData(urgency=1))
    assert ticket.priority == "P1"
    with pytest.raises(ValidationError):
        ops.update_ticket(actor=specialist, ticket=ticket, data=ops.TicketData(urgency=4))


def test_reopen(make_ticket: Callable[..., Ticket], specialist: User) -> None:
    ticket = make_ticket()
    ticket = ops.transition(actor=specialist, ticket=ticket, action="resolve", resolution="Jā.")
    ticket = ops.transition(
        actor=specialist, ticket=ticket, action="reopen", note="Atkal nestrādā."
    )
    assert ticket.state == State.IN_PROGRESS
    assert ticket.resolved_at is None
    assert ticket.closed_at is None
    ticket = ops.transition(actor=specialist, ticket=ticket, action="resolve", resolution="Nu jā.")
    ticket = ops.transition(actor=specialist, ticket=ticket, action="close")
    ticket = ops.transition(actor=specialist, ticket=ticket, action="reopen")
    assert ticket.state == State.IN_PROGRESS
    assert [e for e in events(ticket) if e != "opened"] == [
        "resolve",
        "reopen",
        "resolve",
        "close",
        "reopen",
    ]


def test_auto_close_after_the_configured_days(
    settings: Any,
    clock: FakeClock,
    make_ticket: Callable[..., Ticket],
    specialist: User,
    change_manager: User,
) -> None:
    settings.ZINA_TICKET_AUTOCLOSE_DAYS = 3
    old = make_ticket(subject="Vecs")
    recent = make_ticket(subject="Svaigs")
    change = make_ticket(Kind.CHANGE, actor=change_manager, change_type=ChangeType.STANDARD)
    still_open = make_ticket(subject="Vēl strādājam")
    resolved_at = clock.value
    ops.transition(actor=specialist, ticket=old, action="resolve", resolution="Jā.")
    ops.transition(actor=change_manager, ticket=change, action="start")
    ops.transition(actor=change_manager, ticket=change, action="resolve", note="Ieviests.")
    clock.advance(days=2)
    ops.transition(actor=specialist, ticket=recent, action="resolve", resolution="Jā.")

    assert ops.close_resolved(resolved_at + timedelta(days=3) - timedelta(minutes=1)) == 0
    assert ops.close_resolved(resolved_at + timedelta(days=3)) == 1
    assert fresh(old).state == State.CLOSED
    assert fresh(old).closed_at is not None
    assert fresh(recent).state == State.RESOLVED
    assert fresh(change).state == State.RESOLVED  # changes are verified by people
    assert fresh(still_open).state == State.NEW
    closing = audits(old, "ticket.close")
    assert len(closing) == 1
    assert closing[0].actor is None
    assert closing[0].actor_label == "system"
    # Nothing is closed twice.
    assert ops.close_resolved(resolved_at + timedelta(days=30)) == 1
    assert fresh(recent).state == State.CLOSED


def test_stale_version_is_refused_and_nothing_is_written(
    make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    ticket = make_ticket(subject="Sākotnējais")
    form_version = ticket.version
    ops.update_ticket(
        actor=specialist, ticket=ticket, data=ops.TicketData(subject="Cits"), version=form_version
    )
    before_audits = len(audits(ticket))
    with pytest.raises(ValidationError, match="Someone else changed this ticket"):
        ops.update_ticket(
            actor=specialist,
            ticket=ticket,
            data=ops.TicketData(subject="Mans", description="Mans apraksts"),
            version=form_version,
        )
    current = fresh(ticket)
    assert current.subject == "Cits"
    assert current.description == ""
    assert current.version == form_version + 1
    assert len(audits(ticket)) == before_audits
    with pytest.raises(ValidationError, match="Someone else changed this ticket"):
        ops.transition(actor=specialist, ticket=ticket, action="start", version=form_version)
    assert fresh(ticket).state == State.NEW
    # The current version goes through.
    ops.update_ticket(
        actor=specialist, ticket=ticket, data=ops.TicketData(subject="Mans"), version=2
    )
    assert fresh(ticket).subject == "Mans"


def test_every_write_bumps_the_version(
    make_ticket: Callable[..., Ticket], specialist: User, teams: dict[int, Any]
) -> None:
    ticket = make_ticket()
    version = ticket.version
    ticket = ops.assign(actor=specialist, ticket=ticket, team=teams[1])
    assert ticket.version == version + 1
    ticket = ops.transition(
        actor=specialist, ticket=ticket, action="wait", waiting_on=WaitingOn.RECIPIENT
    )
    assert ticket.version == version + 2
    ops.add_entry(actor=None, ticket=ticket, kind="incoming", body="Atbildu.")
    # The reporter's answer moved the ticket back to work: a form opened before is stale.
    assert fresh(ticket).state == State.IN_PROGRESS
    assert fresh(ticket).version == version + 3


def test_take_assigns_and_starts(make_ticket: Callable[..., Ticket], expert: User) -> None:
    ticket = ops.take(actor=expert, ticket=make_ticket())
    assert ticket.assignee == expert
    assert ticket.state == State.IN_PROGRESS
    assert ticket.responded_at is not None


def test_finished_tickets_are_not_assigned(
    make_ticket: Callable[..., Ticket], specialist: User, expert: User
) -> None:
    ticket = make_ticket()
    ops.transition(actor=specialist, ticket=ticket, action="cancel")
    with pytest.raises(ValidationError):
        ops.assign(actor=specialist, ticket=ticket, assignee=expert)
