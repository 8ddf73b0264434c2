"""Who sees and works on tickets, written out by hand for every reader.

The world (see ``_factories.world``): VRA's incident on the service reported by a citizen with
an account ("svc"), an incident without a service ("plain"), a change to the service
("change"), an incident assigned to an outside partner and then taken off that partner's
service ("assigned"), and SPA's own incident ("spa"). For each reader — one user per role of
VRA, SPA's staff, a scoped service owner and partner, the assignee, the reporter, anonymous,
an inactive user, the superuser — ``Ticket.objects.visible_to`` and ``can(…)`` for work,
comment, approve and staff are compared with the expectations below.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from zina.accounts.choices import Role
from zina.core.permissions import can
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind
from zina.tickets.models import Ticket, TicketAttachment, TicketEntry, TicketLink

from . import _factories
from ._factories import NOTE_SECRET, World, fresh

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
world = _factories.world
scoped_owner = _factories.scoped_owner
scoped_partner = _factories.scoped_partner

VRA = {"svc", "plain", "change", "assigned"}
NONE: set[str] = set()
ALL = VRA | {"spa"}


def _row(
    visible: set[str],
    work: set[str] = NONE,
    comment: set[str] | None = None,
    approve: set[str] = NONE,
    staff: set[str] | None = None,
) -> dict[str, set[str]]:
    return {
        "view": visible,
        "work": work,
        "comment": work if comment is None else comment,
        "approve": approve,
        "staff": visible if staff is None else staff,
    }


# Roles that work on the institution's tickets (tickets.work) and read them (tickets.read).
_WORKER = _row(VRA, VRA)
EXPECTED: dict[str, dict[str, set[str]]] = {
    # Portfolio owners and the change manager approve changes institution-wide (the rule
    # does not look at the kind: the workflow refuses approving anything but a change).
    Role.SERVICE_PORTFOLIO_OWNER: _row(VRA, VRA, approve=VRA),
    Role.RESOURCE_PORTFOLIO_OWNER: _row(VRA, VRA, approve=VRA),
    Role.CHANGE_MANAGER: _row(VRA, VRA, approve=VRA),
    # An institution-wide service owner owns every service: approves what touches one.
    Role.SERVICE_OWNER: _row(VRA, VRA, approve={"svc", "change"}),
    Role.SERVICE_PROVIDER: _WORKER,
    Role.RESOURCE_OWNER: _WORKER,  # no ticket here is about a resource
    Role.SUPPORT_SPECIALIST: _WORKER,
    Role.SUPPORT_EXPERT: _WORKER,
    Role.INCIDENT_MANAGER: _WORKER,
    Role.PROBLEM_MANAGER: _WORKER,
    # Readers: they see tickets and internal notes, and change nothing.
    Role.KNOWLEDGE_MANAGER: _row(VRA),
    Role.ADMINISTRATOR: _row(VRA),
    Role.AUDITOR: _row(VRA),
    # A partner without a service assigned sees no ticket and works on none.
    Role.PARTNER: _row(NONE),
    "superuser": _row(ALL, ALL, approve=ALL),
    "spa_specialist": _row({"spa"}, {"spa"}),
    "scoped_owner": _row({"svc", "change"}, {"svc", "change"}, approve={"svc", "change"}),
    "scoped_partner": _row({"svc", "change"}, {"svc", "change"}),
    "assignee": _row({"assigned"}, {"assigned"}),
    # The reporter sees and writes to their own ticket, but not as staff.
    "reporter": _row({"svc"}, comment={"svc"}, staff=NONE),
    "anonymous": _row(NONE),
    "inactive": _row(NONE),
}


def test_every_role_is_expected() -> None:
    assert {r.value for r in Role} <= set(EXPECTED)


def _keys(world: World, pks: set[int]) -> set[str]:
    return {k for k, t in world.tickets.items() if t.pk in pks}


def test_tickets_visible_to_and_can(world: World, subtests: Any) -> None:
    for reader in sorted(EXPECTED):
        with subtests.test(reader=reader):
            _check_tickets(world, reader)


def _check_tickets(world: World, reader: str) -> None:
    user = world.readers[reader]
    expected = EXPECTED[reader]
    visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
    assert _keys(world, visible) == expected["view"]
    for action in ("work", "comment", "approve", "staff"):
        allowed = {k for k, t in world.tickets.items() if can(user, action, fresh(t))}
        assert allowed == expected[action], action
    # Nobody may act on a ticket they do not see.
    for action in ("work", "comment", "approve", "staff"):
        assert expected[action] <= expected["view"] or reader == "superuser", action
    viewable = {k for k, t in world.tickets.items() if can(user, "view", t)}
    assert viewable == expected["view"]


def test_work_log_and_attachments_visible_to(world: World, subtests: Any) -> None:
    """Staff see every entry and attachment of the tickets they see as staff; the reporter
    sees public replies and their own messages, never internal notes or internal files."""
    for ticket in world.tickets.values():
        TicketAttachment.objects.create(ticket=ticket, name="ekrans.png", checksum="a" * 64)
        TicketAttachment.objects.create(
            ticket=ticket, name="zurnals.log", checksum="b" * 64, internal=True
        )
    for reader in sorted(EXPECTED):
        with subtests.test(reader=reader):
            _check_entries(world, reader)


def _check_entries(world: World, reader: str) -> None:
    user = world.readers[reader]
    staff_on = EXPECTED[reader]["staff"]
    visible = EXPECTED[reader]["view"]
    expected_entries = {
        e.pk
        for e in TicketEntry.objects.all()
        if (k := _key_of(world, e.ticket_id)) in staff_on
        or (k in visible and e.kind in (EntryKind.REPLY, EntryKind.INCOMING))
    }
    shown = set(TicketEntry.objects.visible_to(user).values_list("pk", flat=True))
    assert shown == expected_entries
    if reader == "reporter":
        assert not TicketEntry.objects.visible_to(user).filter(body=NOTE_SECRET).exists()
        assert TicketEntry.objects.visible_to(user).filter(kind=EntryKind.INCOMING).exists()
    expected_files = {
        a.pk
        for a in TicketAttachment.objects.all()
        if (k := _key_of(world, a.ticket_id)) in staff_on or (k in visible and not a.internal)
    }
    assert set(TicketAttachment.objects.visible_to(user).values_list("pk", flat=True)) == (
        expected_files
    )


def _key_of(world: World, pk: int) -> str:
    return next(k for k, t in world.tickets.items() if t.pk == pk)


def test_change_approval_by_the_owner_of_that_service(
    world: World, make_user: Any, institution: Any
) -> None:
    change = world.tickets["change"]
    ops.transition(actor=world.readers[Role.CHANGE_MANAGER], ticket=change, action="submit")
    # A support specialist works on the change but does not approve it.
    with pytest.raises(PermissionDenied):
        ops.transition(
            actor=world.readers[Role.SUPPORT_SPECIALIST], ticket=change, action="approve"
        )
    # A partner assigned to the service neither.
    with pytest.raises(PermissionDenied):
        ops.transition(actor=world.readers["scoped_partner"], ticket=change, action="approve")
    # The owner of another service neither.
    other_owner = _factories.assign_scoped(
        world.readers["superuser"],
        make_user("cits-saimnieks", institution),
        Role.SERVICE_OWNER,
        world.tickets["assigned"].service or _other_service(institution),
    )
    assert not can(other_owner, "approve", fresh(change))
    approved = ops.transition(actor=world.readers["scoped_owner"], ticket=change, action="approve")
    assert approved.approved_by == world.readers["scoped_owner"]


def _other_service(institution: Any) -> Any:
    from zina.catalog.models import Service

    return Service.objects.get(institution=institution, identifier="VRA-002")


def test_the_change_manager_approves(world: World) -> None:
    manager = world.readers[Role.CHANGE_MANAGER]
    change = ops.transition(actor=manager, ticket=world.tickets["change"], action="submit")
    assert ops.transition(actor=manager, ticket=change, action="approve").state == "approved"


def test_the_reporter_writes_but_does_not_work(world: World) -> None:
    reporter = world.readers["reporter"]
    ticket = world.tickets["svc"]
    ops.add_entry(actor=reporter, ticket=ticket, kind=EntryKind.INCOMING, body="Vēl viens.")
    for kind in (EntryKind.REPLY, EntryKind.NOTE):
        with pytest.raises(PermissionDenied):
            ops.add_entry(actor=reporter, ticket=ticket, kind=kind, body="Nē.")
    with pytest.raises(PermissionDenied):
        ops.transition(actor=reporter, ticket=ticket, action="resolve", resolution="Pats.")
    with pytest.raises(PermissionDenied):
        ops.add_entry(
            actor=reporter, ticket=world.tickets["plain"], kind=EntryKind.INCOMING, body="Nē."
        )


def test_outsiders_cannot_be_assigned(world: World) -> None:
    specialist = world.readers[Role.SUPPORT_SPECIALIST]
    for outsider in ("spa_specialist", Role.PARTNER, Role.AUDITOR, "reporter", "inactive"):
        with pytest.raises(Exception, match="cannot work on this ticket"):
            ops.assign(
                actor=specialist, ticket=world.tickets["plain"], assignee=world.readers[outsider]
            )
    ticket = ops.assign(
        actor=specialist, ticket=world.tickets["svc"], assignee=world.readers["scoped_partner"]
    )
    assert ticket.assignee == world.readers["scoped_partner"]


def test_links_are_seen_by_staff_of_both_tickets(world: World) -> None:
    specialist = world.readers[Role.SUPPORT_SPECIALIST]
    ops.link_tickets(
        actor=specialist,
        source=world.tickets["svc"],
        target=world.tickets["plain"],
        kind="related",
    )
    assert TicketLink.objects.visible_to(specialist).count() == 1
    for reader in ("scoped_partner", "reporter", "spa_specialist", "anonymous"):
        assert TicketLink.objects.visible_to(world.readers[reader]).count() == 0
    # Linking to a ticket one does not see as staff is refused.
    with pytest.raises(PermissionDenied):
        ops.link_tickets(
            actor=specialist,
            source=world.tickets["svc"],
            target=world.tickets["spa"],
            kind="related",
        )
