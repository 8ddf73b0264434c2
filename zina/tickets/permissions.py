"""Who sees and works on tickets.

Staff who read tickets in an institution (support, owners, managers, auditors) see all of its
tickets, and a shared desk keeps seeing what it received and handed over; whoever holds a
role on one service or resource (an owner scoped to it, an assigned partner) sees the tickets
about it; the assignee sees the ticket; the reporter sees their own ticket, but never its
internal notes. One rule, compiled for the database and for the search index.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zina.accounts.choices import Role
from zina.accounts.models import Institution
from zina.accounts.roles import (
    APPROVE_CHANGES,
    MANAGE_TICKETS,
    READ_TICKETS,
    WORK_TICKETS,
    has_capability,
    holds_role_on,
    institutions_with,
    scoped_ids,
    staff_institutions,
)
from zina.catalog.models import Resource, Service
from zina.core.permissions import NOTHING, is_superuser, register, register_actions
from zina.core.rules import Rule, ids_leaf, leaf

from .choices import EntryKind
from .models import MailMessage, SlaEvent, Team, Ticket, TicketAttachment, TicketEntry, TicketLink

# Roles that, held on one service or resource, let their holder work on its tickets.
SCOPED_WORKERS: set[str] = {
    Role.SERVICE_OWNER,
    Role.SERVICE_PROVIDER,
    Role.RESOURCE_OWNER,
    Role.SUPPORT_SPECIALIST,
    Role.SUPPORT_EXPERT,
    Role.INCIDENT_MANAGER,
    Role.PROBLEM_MANAGER,
    Role.CHANGE_MANAGER,
    Role.PARTNER,
}


def reader_institutions(user: Any) -> set[int]:
    staff = staff_institutions(user)
    return (institutions_with(user, READ_TICKETS) | institutions_with(user, WORK_TICKETS)) & staff


def staff_rule(user: Any) -> Rule:
    """Tickets the user sees as staff (with their internal notes)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return leaf(NOTHING, [])
    readers = reader_institutions(user)
    services = scoped_ids(user, Service, SCOPED_WORKERS)
    resources = scoped_ids(user, Resource, SCOPED_WORKERS)
    return (
        ids_leaf(Q(institution_id__in=readers), "inst", readers)
        | ids_leaf(Q(received_by_id__in=readers), "recv", readers)
        | ids_leaf(Q(service_id__in=services), "svc", services)
        | ids_leaf(Q(resource_id__in=resources), "res", resources)
        | leaf(Q(assignee_id=user.pk), [f"assignee:{user.pk}"])
    )


def ticket_rule(user: Any) -> Rule:
    """Who reads a ticket: staff as above, and its reporter."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return leaf(NOTHING, [])
    return staff_rule(user) | leaf(Q(reporter_id=user.pk), [f"reporter:{user.pk}"])


def ticket_tokens(ticket: Any) -> set[str]:
    """The access tokens of a ticket's search document (the leaves above that hold for it)."""
    tokens = {f"inst:{ticket.institution_id}"}
    for prefix, value in (
        ("recv", ticket.received_by_id),
        ("svc", ticket.service_id),
        ("res", ticket.resource_id),
        ("assignee", ticket.assignee_id),
        ("reporter", ticket.reporter_id),
    ):
        if value:
            tokens.add(f"{prefix}:{value}")
    return tokens


def ticket_view(user: Any) -> Q:
    return ticket_rule(user).q()


def is_staff_on(user: Any, ticket: Ticket) -> bool:
    """Does the user see the ticket as staff (internal notes included)?"""
    if is_superuser(user):
        return True
    return staff_rule(user).matches(ticket_tokens(ticket))


def can_work(user: Any, ticket: Ticket) -> bool:
    """Take, change, reply to, escalate and resolve the ticket."""
    if is_superuser(user):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    staff = staff_institutions(user)
    if ticket.institution_id in (institutions_with(user, WORK_TICKETS) & staff):
        return True
    if ticket.assignee_id == user.pk:
        return True
    # A role held on the ticket's service or resource itself (as in ``staff_rule``: an
    # institution-wide partner, who holds no capability, must not work on tickets it does
    # not see).
    return bool(
        (ticket.service_id and ticket.service_id in scoped_ids(user, Service, SCOPED_WORKERS))
        or (ticket.resource_id and ticket.resource_id in scoped_ids(user, Resource, SCOPED_WORKERS))
    )


def can_comment(user: Any, ticket: Ticket) -> bool:
    """Add a message: the reporter (to their own ticket) or anyone who works on it."""
    if can_work(user, ticket):
        return True
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and ticket.reporter_id == user.pk
    )


def can_approve(user: Any, ticket: Ticket) -> bool:
    """Approve a change: the owner of the service or resource it changes, or whoever approves
    changes in the institution (change manager, portfolio owners)."""
    if is_superuser(user):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if ticket.institution_id in (
        institutions_with(user, APPROVE_CHANGES) & staff_institutions(user)
    ):
        return True
    return (
        ticket.service is not None and holds_role_on(user, Role.SERVICE_OWNER, ticket.service)
    ) or (ticket.resource is not None and holds_role_on(user, Role.RESOURCE_OWNER, ticket.resource))


def can_manage(user: Any, institution_id: int | None) -> bool:
    return has_capability(user, MANAGE_TICKETS, institution_id)


def can_open_in(user: Any, institution: Institution) -> bool:
    """Record a ticket for the institution as staff (every field, any reporter)."""
    return has_capability(user, WORK_TICKETS, institution.pk) and (
        is_superuser(user) or institution.pk in staff_institutions(user)
    )


def _entry_view(user: Any) -> Q:
    staff_tickets = Ticket.objects.filter(staff_rule(user).q())
    visible = Ticket.objects.filter(ticket_view(user))
    return Q(ticket__in=visible) & (
        Q(kind__in=[EntryKind.REPLY, EntryKind.INCOMING]) | Q(ticket__in=staff_tickets)
    )


def _attachment_view(user: Any) -> Q:
    staff_tickets = Ticket.objects.filter(staff_rule(user).q())
    visible = Ticket.objects.filter(ticket_view(user))
    return Q(ticket__in=visible) & (Q(internal=False) | Q(ticket__in=staff_tickets))


def _team_view(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    return Q(institution_id__in=staff_institutions(user))


register(
    Ticket,
    view=ticket_view,
    work=can_work,
    comment=can_comment,
    approve=can_approve,
    staff=is_staff_on,
)
register(TicketEntry, view=_entry_view)
register(TicketAttachment, view=_attachment_view)
register(
    TicketLink,
    view=lambda user: (
        Q(source__in=Ticket.objects.filter(staff_rule(user).q()))
        & Q(target__in=Ticket.objects.filter(staff_rule(user).q()))
    ),
)
register(Team, view=_team_view, change=lambda user, obj: can_manage(user, obj.institution_id))
register(SlaEvent, view=lambda user: Q(ticket__in=Ticket.objects.filter(staff_rule(user).q())))
# Incoming mail (quarantined messages keep their raw bytes): those who manage the
# institution's tickets.
register(
    MailMessage,
    view=lambda user: Q(
        institution_id__in=institutions_with(user, MANAGE_TICKETS) & staff_institutions(user)
    ),
)
register_actions(
    Institution,
    open_ticket=can_open_in,
    manage_tickets=lambda user, obj: can_manage(user, obj.pk),
)
