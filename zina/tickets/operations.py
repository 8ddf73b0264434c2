"""Every write of the request management system.

Each operation runs in one transaction, checks permission, validates, moves the ticket only
along its kind's workflow (workflow.py), keeps the SLA clock (sla.py), writes the work log
and an audit event, and sends mail after commit (notifications.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service
from zina.core.audit import record, snapshot
from zina.core.files import checked_upload
from zina.core.permissions import can, require

from . import notifications, sla, workflow
from .choices import (
    FINISHED_STATES,
    OPEN_STATES,
    PRIORITY_MATRIX,
    ChangeType,
    Channel,
    EntryKind,
    Kind,
    Level,
    LinkKind,
    State,
    WaitingOn,
)
from .models import SlaEvent, Team, Ticket, TicketAttachment, TicketEntry, TicketLink

LANGUAGES = ("lv", "en")
# Fields a reporter may give; staff may give every field of TicketData.
REPORTER_FIELDS = {"subject", "description", "service", "resource", "channel", "language"}
# Kind-specific fields: the rest stay empty on other kinds.
KIND_FIELDS = {
    "root_cause": {Kind.PROBLEM},
    "workaround": {Kind.PROBLEM},
    "change_type": {Kind.CHANGE},
    "planned_start": {Kind.CHANGE},
    "planned_end": {Kind.CHANGE},
    "expected_downtime_minutes": {Kind.CHANGE},
    "implementation_result": {Kind.CHANGE},
    "evaluation": {Kind.COMPLAINT, Kind.SUGGESTION},
    "answer": {Kind.COMPLAINT, Kind.SUGGESTION},
    "interruption": {Kind.INCIDENT},
    "interruption_start": {Kind.INCIDENT},
    "interruption_end": {Kind.INCIDENT},
}


@dataclass
class TicketData:
    """What is said about a ticket when it is opened or changed. ``None`` means "not given"
    on update."""

    subject: str | None = None
    description: str | None = None
    channel: str | None = None
    service: Service | None = None
    resource: Resource | None = None
    impact: int | None = None
    urgency: int | None = None
    level: int | None = None
    interruption: bool | None = None
    interruption_start: datetime | None = None
    interruption_end: datetime | None = None
    root_cause: str | None = None
    workaround: str | None = None
    change_type: str | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    expected_downtime_minutes: int | None = None
    implementation_result: str | None = None
    evaluation: str | None = None
    answer: str | None = None
    language: str | None = None
    given: set[str] = field(default_factory=set)  # fields set explicitly to empty/None

    def items(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            if f.name == "given":
                continue
            value = getattr(self, f.name)
            if value is not None or f.name in self.given:
                out[f.name] = value
        return out


@dataclass
class Reporter:
    """Who reported: a user, or a person known by name and address only."""

    user: User | None = None
    name: str = ""
    email: str = ""
    phone: str = ""


def now() -> datetime:
    return timezone.now()


def _event(ticket: Ticket, actor: Any, verb: str, body: str = "", **data: Any) -> TicketEntry:
    return TicketEntry.objects.create(
        ticket=ticket,
        kind=EntryKind.EVENT,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        author_label=_label(actor),
        verb=verb,
        body=body,
        data=data,
    )


def _label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return (actor.get_full_name() or actor.get_username())[:200]


def _audit(actor: Any, verb: str, ticket: Ticket, before: dict[str, Any] | None = None) -> None:
    record(
        actor=actor,
        verb=verb,
        obj=ticket,
        institution=ticket.institution,
        before=before,
        after=snapshot(ticket),
    )


def _check_version(ticket: Ticket, version: int | None) -> None:
    if version is not None and version != ticket.version:
        raise ValidationError(
            _(
                "Someone else changed this ticket while you were editing it. "
                "Reload the page to see their changes."
            )
        )


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket for update, so two writers cannot both move it."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("institution", "service", "resource")
        .get(pk=ticket.pk)
    )


def _validate(ticket: Ticket) -> None:
    errors: dict[str, str] = {}
    if not ticket.subject.strip():
        errors["subject"] = _("Give the ticket a subject.")
    service, resource, team = ticket.service, ticket.resource, ticket.team
    if service is not None and service.institution_id != ticket.institution_id:
        errors["service"] = _("The service belongs to another institution.")
    if resource is not None and resource.institution_id != ticket.institution_id:
        errors["resource"] = _("The resource belongs to another institution.")
    if ticket.kind == Kind.CHANGE:
        if (
            ticket.planned_start
            and ticket.planned_end
            and ticket.planned_end <= ticket.planned_start
        ):
            errors["planned_end"] = _("The planned window must end after it starts.")
        if not ticket.change_type:
            errors["change_type"] = _("Choose the type of change.")
    if ticket.interruption:
        if ticket.interruption_start is None:
            errors["interruption_start"] = _("Give the time the interruption began.")
        elif ticket.interruption_end and ticket.interruption_end <= ticket.interruption_start:
            errors["interruption_end"] = _("The interruption must end after it began.")
    # (An assignee outside the team is allowed: experts help across teams.)
    if team is not None and team.institution_id != ticket.institution_id:
        errors["team"] = _("The team belongs to another institution.")
    if ticket.language not in LANGUAGES:
        errors["language"] = _("Choose Latvian or English.")
    # Lengths, e-mail addresses, choices: the model's own validators (relations are checked
    # above), so nothing reaches the database that it would refuse with an error page.
    relations = [f.name for f in Ticket._meta.concrete_fields if f.is_relation]
    try:
        ticket.clean_fields(exclude=[*relations, *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages[0])
    if errors:
        raise ValidationError(errors)


def _apply(ticket: Ticket, data: TicketData, *, staff: bool) -> set[str]:
    """Copy given fields onto the ticket; returns the names changed."""
    changed = set()
    for name, value in data.items().items():
        if not staff and name not in REPORTER_FIELDS:
            continue
        kinds = KIND_FIELDS.get(name)
        if kinds is not None and ticket.kind not in kinds and value not in (None, "", False):
            raise ValidationError({name: _("This field does not apply to this type of ticket.")})
        if isinstance(value, str):
            value = value.replace("\x00", "").strip()
        if name == "level" and value not in Level.values:
            raise ValidationError({"level": _("Unknown support level.")})
        if name == "channel" and value not in Channel.values:
            raise ValidationError({"channel": _("Unknown channel.")})
        if name == "change_type" and value and value not in ChangeType.values:
            raise ValidationError({"change_type": _("Unknown type of change.")})
        if name in ("impact", "urgency") and value not in (1, 2, 3):
            raise ValidationError({name: _("Choose high, medium or low.")})
        if getattr(ticket, name) != value:
            setattr(ticket, name, value if value is not None else _empty(ticket, name))
            changed.add(name)
    if {"impact", "urgency"} & changed or not ticket.priority:
        ticket.priority = PRIORITY_MATRIX[(ticket.impact, ticket.urgency)]
        changed.add("priority")
    return changed


def _empty(ticket: Ticket, name: str) -> Any:
    f = Ticket._meta.get_field(name)
    assert isinstance(f, models.Field)
    if f.null:
        return None
    return "" if f.get_internal_type() in ("CharField", "TextField") else f.get_default()


@transaction.atomic
def open_ticket(
    *,
    actor: Any,
    institution: Institution,
    kind: str,
    data: TicketData,
    reporter: Reporter | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    received_by: Institution | None = None,
    message_id: str = "",
) -> Ticket:
    """Open a ticket. Staff of the institution record any kind with every field; anyone else
    (a citizen on the portal, mail intake with ``actor=None``) opens an incident, request,
    complaint or suggestion with what a reporter can say."""
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown type of ticket.")})
    if not institution.is_active:
        raise ValidationError({"institution": _("This institution does not take tickets.")})
    staff = actor is not None and can(actor, "open_ticket", institution)
    if not staff and kind in (Kind.PROBLEM, Kind.CHANGE):
        raise PermissionDenied(_("Only the institution's staff record problems and changes."))
    ticket = Ticket(kind=kind, institution=institution, created_by=actor if staff else None)
    ticket.channel = Channel.STAFF if staff else Channel.PORTAL
    if kind == Kind.CHANGE:
        ticket.change_type = ChangeType.NORMAL
    _apply(ticket, data, staff=staff)
    reporter = reporter or (
        Reporter(user=actor) if getattr(actor, "is_authenticated", False) else Reporter()
    )
    ticket.reporter = reporter.user
    ticket.reporter_name = reporter.name.replace("\x00", "").strip()[:200]
    ticket.reporter_email = reporter.email.replace("\x00", "").strip()
    ticket.reporter_phone = reporter.phone.replace("\x00", "").strip()[:40]
    if not staff and not (ticket.reporter_id or ticket.reporter_email or ticket.reporter_phone):
        raise ValidationError({"reporter_email": _("Give an e-mail address or a phone number.")})
    if staff:
        ticket.team, ticket.assignee = team, assignee
        ticket.received_by = received_by
    if ticket.assignee is not None and not can_be_assigned(ticket.assignee, ticket):
        raise ValidationError({"assignee": _("This person cannot work on this ticket.")})
    if ticket.assignee_id or ticket.team_id:
        ticket.state = State.ASSIGNED
    if kind == Kind.CHANGE and ticket.change_type == ChangeType.STANDARD:
        ticket.state = State.APPROVED  # standard changes are pre-approved
    _validate(ticket)
    at = now()
    ticket.save()
    sla.start(ticket, at)
    ticket.save(update_fields=["sla_start", "response_due", "resolution_due", "paused_minutes"])
    if message_id:
        TicketEntry.objects.create(
            ticket=ticket,
            kind=EntryKind.INCOMING,
            author=ticket.reporter,
            author_label=ticket.reporter_label[:200],
            body=ticket.description,
            message_id=message_id[:300],
        )
    _event(ticket, actor, "opened")
    _audit(actor, "ticket.opened", ticket)
    notifications.opened(ticket)
    return ticket


def can_be_assigned(user: User, ticket: Ticket) -> bool:
    return user.is_active and can(user, "work", ticket)


@transaction.atomic
def update_ticket(
    *, actor: User, ticket: Ticket, data: TicketData, version: int | None = None
) -> Ticket:
    """Change what the ticket says: subject, description, classification (service,
    resource, impact × urgency → priority) and the fields of its kind."""
    require(actor, "work", ticket)
    ticket = _lock(ticket)
    _check_version(ticket, version)
    before = snapshot(ticket)
    changed = _apply(ticket, data, staff=True)
    if not changed:
        return ticket
    _validate(ticket)
    if {"priority", "service"} & changed:
        sla.recompute(ticket)
    ticket.version += 1
    ticket.save()
    _event(ticket, actor, "changed", fields=sorted(changed))
    _audit(actor, "ticket.changed", ticket, before)
    return ticket


@transaction.atomic
def assign(
    *, actor: User, ticket: Ticket, team: Team | None = None, assignee: User | None = None
) -> Ticket:
    """Give the ticket to a team and/or a person of its institution."""
    require(actor, "work", ticket)
    ticket = _lock(ticket)
    if ticket.state in FINISHED_STATES:
        raise ValidationError(_("A finished ticket cannot be assigned. Reopen it first."))
    if team is not None and team.institution_id != ticket.institution_id:
        raise ValidationError({"team": _("The team belongs to another institution.")})
    if assignee is not None and not can_be_assigned(assignee, ticket):
        raise ValidationError({"assignee": _("This person cannot work on this ticket.")})
    before = snapshot(ticket)
    ticket.team, ticket.assignee = team, assignee
    if ticket.state == State.NEW and (team or assignee):
        ticket.state = State.ASSIGNED
    ticket.version += 1
    ticket.save()
    _event(
        ticket,
        actor,
        "assigned",
        team=team.name if team else "",
        assignee=_label(assignee) if assignee else "",
    )
    _audit(actor, "ticket.assigned", ticket, before)
    if assignee is not None and assignee != actor:
        notifications.assigned(ticket)
    return ticket


@transaction.atomic
def take(*, actor: User, ticket: Ticket) -> Ticket:
    """Assign the ticket to oneself and start work."""
    ticket = assign(actor=actor, ticket=ticket, team=ticket.team, assignee=actor)
    if workflow.find(ticket.kind, ticket.state, "start"):
        ticket = transition(actor=actor, ticket=ticket, action="start")
    return ticket


def _require_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field_name: message})
    return value


@transaction.atomic
def transition(
    *,
    actor: Any,
    ticket: Ticket,
    action: str,
    note: str = "",
    resolution: str = "",
    waiting_on: str = "",
    version: int | None = None,
    cascade: bool = True,
) -> Ticket:
    """Move the ticket along its kind's workflow (start, wait, resume, resolve, close,
    reopen, cancel; problems: known_error; changes: submit, approve, reject)."""
    ticket = _lock(ticket)
    _check_version(ticket, version)
    move = workflow.find(ticket.kind, ticket.state, action)
    if move is None:
        raise ValidationError(
            _("A ticket that is “%(state)s” cannot be moved this way (%(action)s).")
            % {"state": ticket.get_state_display(), "action": action}
        )
    if action in ("approve", "reject"):
        require(actor, "approve", ticket)
    elif actor is not None:  # the worker (auto-close) acts as the system
        require(actor, "work", ticket)
    before = snapshot(ticket)
    at = now()
    note = (note or "").strip()
    if ticket.state == State.WAITING and move.target != State.WAITING:
        sla.resume(ticket, at)
        ticket.waiting_on, ticket.waiting_since = "", None
    if action == "wait":
        if waiting_on not in WaitingOn.values:
            raise ValidationError({"waiting_on": _("Say whom the ticket is waiting on.")})
        ticket.waiting_on, ticket.waiting_since = waiting_on, at
    elif action == "resolve":
        _on_resolve(ticket, resolution or note)
        ticket.resolved_at = at
    elif action == "close":
        _on_close(ticket)
        ticket.closed_at = at
    elif action == "reopen":
        ticket.resolved_at = ticket.closed_at = None
    elif action == "cancel":
        ticket.closed_at = at
    elif action == "approve":
        ticket.approved_by, ticket.approved_at = actor, at
    elif action == "reject":
        _require_text(note, "note", _("Say why the change is rejected."))
    elif action == "known_error":
        _require_text(ticket.workaround, "workaround", _("Describe the workaround first."))
    if action in ("start", "resolve") and ticket.responded_at is None and actor is not None:
        ticket.responded_at = at
    ticket.state = move.target
    ticket.version += 1
    ticket.save()
    _event(ticket, actor, action, note, state=ticket.state)
    _audit(actor, f"ticket.{action}", ticket, before)
    if action in ("resolve", "close", "cancel") and cascade:
        _cascade_to_reports(actor, ticket, action, ticket.resolution or note)
    if action == "resolve":
        notifications.resolved(ticket)
    return ticket


def _on_resolve(ticket: Ticket, text: str) -> None:
    text = (text or "").strip()
    if ticket.kind in (Kind.COMPLAINT, Kind.SUGGESTION):
        if text and not ticket.answer:
            ticket.answer = text
        _require_text(ticket.answer, "answer", _("Write the answer to the author first."))
        ticket.resolution = ticket.resolution or ticket.answer
        return
    if ticket.kind == Kind.CHANGE:
        if text:
            ticket.implementation_result = text
        _require_text(
            ticket.implementation_result,
            "implementation_result",
            _("Describe the result of the implementation."),
        )
        ticket.resolution = ticket.implementation_result
        return
    if text:
        ticket.resolution = text
    _require_text(ticket.resolution, "resolution", _("Describe how it was resolved."))
    if ticket.kind == Kind.INCIDENT and ticket.interruption and not ticket.interruption_end:
        ticket.interruption_end = now()


def _on_close(ticket: Ticket) -> None:
    if ticket.kind != Kind.PROBLEM:
        return
    # A problem is closed once the changes that fix it are implemented and verified.
    pending = Ticket.objects.filter(
        links_in__source=ticket, links_in__kind=LinkKind.FIXED_BY, kind=Kind.CHANGE
    ).exclude(state__in=[State.CLOSED, State.CANCELLED, State.REJECTED])
    if pending.exists():
        raise ValidationError(
            _("Close the changes that fix this problem first: %(refs)s")
            % {"refs": ", ".join(t.reference for t in pending)}
        )


def _cascade_to_reports(actor: Any, master: Ticket, action: str, text: str) -> None:
    """Resolving (closing, cancelling) a master incident does the same to its linked reports."""
    for report in master.linked_reports.filter(state__in=OPEN_STATES | {State.RESOLVED}):
        if workflow.find(report.kind, report.state, action) is None:
            continue
        kwargs: dict[str, Any] = {"note": text}
        if action == "resolve":
            kwargs["resolution"] = text or master.resolution
        transition(actor=None, ticket=report, action=action, cascade=False, **kwargs)


@transaction.atomic
def escalate(
    *, actor: User, ticket: Ticket, to_level: int, reason: str, team: Team | None = None
) -> Ticket:
    """Hand the ticket to another support level (usually 1 → 2), with a reason."""
    require(actor, "work", ticket)
    ticket = _lock(ticket)
    reason = _require_text(reason, "reason", _("Say why the ticket is escalated."))
    if to_level not in (Level.FIRST, Level.SECOND) or to_level == ticket.level:
        raise ValidationError({"to_level": _("Choose another support level.")})
    if ticket.state in FINISHED_STATES:
        raise ValidationError(_("A finished ticket cannot be escalated."))
    if team is not None and team.institution_id != ticket.institution_id:
        raise ValidationError({"team": _("The team belongs to another institution.")})
    before = snapshot(ticket)
    from_level = ticket.level
    ticket.level, ticket.team, ticket.assignee = to_level, team, None
    _back_to_queue(ticket, team)
    ticket.version += 1
    ticket.save()
    _event(ticket, actor, "escalated", reason, from_level=from_level, to_level=to_level)
    _audit(actor, "ticket.escalated", ticket, before)
    return ticket


def _back_to_queue(ticket: Ticket, team: Team | None) -> None:
    """After an escalation or a hand-over nobody works on the ticket yet: it waits in a
    queue. A wait on the recipient ends (its paused minutes are kept), so the clock runs for
    the new queue. Changes and problems keep their approval or known-error state."""
    if ticket.state not in (State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.WAITING):
        return
    if ticket.state == State.WAITING:
        sla.resume(ticket, now())
        ticket.waiting_on, ticket.waiting_since = "", None
    ticket.state = State.ASSIGNED if team else State.NEW


@transaction.atomic
def hand_over(*, actor: User, ticket: Ticket, institution: Institution, reason: str) -> Ticket:
    """Hand a ticket taken by a shared desk over to the institution that owns the service.
    The history stays; the desk that received it keeps seeing it."""
    require(actor, "work", ticket)
    ticket = _lock(ticket)
    reason = _require_text(reason, "reason", _("Say why the ticket is handed over."))
    if institution.pk == ticket.institution_id:
        raise ValidationError({"institution": _("Choose another institution.")})
    if not institution.is_active:
        raise ValidationError({"institution": _("This institution does not take tickets.")})
    if ticket.state in FINISHED_STATES:
        raise ValidationError(_("A finished ticket cannot be handed over."))
    before = snapshot(ticket)
    source = ticket.institution
    if ticket.received_by_id is None:
        ticket.received_by = source
    ticket.institution = institution
    # The service and resource must be the new institution's: keep them only if they are.
    if ticket.service is not None and ticket.service.institution_id != institution.pk:
        ticket.service = None
    if ticket.resource is not None and ticket.resource.institution_id != institution.pk:
        ticket.resource = None
    ticket.team = ticket.assignee = None
    _back_to_queue(ticket, None)
    if ticket.service_id != before["service_id"]:
        sla.recompute(ticket)  # the source institution's service level no longer applies
    ticket.version += 1
    ticket.save()
    _event(ticket, actor, "handed_over", reason, source=source.name, target=institution.name)
    _audit(actor, "ticket.handed_over", ticket, before)
    return ticket


@transaction.atomic
def add_entry(
    *,
    actor: Any,
    ticket: Ticket,
    kind: str,
    body: str,
    minutes: int = 0,
    message_id: str = "",
    author_label: str = "",
) -> TicketEntry:
    """Write to the work log: a public reply (mailed to the reporter), an internal note, or
    a message from the reporter (portal or mail intake with ``actor=None``)."""
    body = _require_text((body or "").replace("\x00", ""), "body", _("Write something first."))
    if kind in (EntryKind.REPLY, EntryKind.NOTE):
        require(actor, "work", ticket)
    elif kind == EntryKind.INCOMING:
        if actor is not None:
            require(actor, "comment", ticket)
    else:
        raise ValidationError({"kind": _("Unknown kind of entry.")})
    if minutes < 0 or minutes > 24 * 60:
        raise ValidationError({"minutes": _("Time spent must be between 0 and 1440 minutes.")})
    ticket = _lock(ticket)
    entry = TicketEntry.objects.create(
        ticket=ticket,
        kind=kind,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        author_label=(author_label or _label(actor) or ticket.reporter_label)[:200],
        body=body,
        minutes=minutes,
        message_id=message_id[:300],
    )
    at = now()
    if kind == EntryKind.REPLY and ticket.responded_at is None:
        ticket.responded_at = at
    ticket.time_spent_minutes += minutes
    resumed = (
        kind == EntryKind.INCOMING
        and ticket.state == State.WAITING
        and ticket.waiting_on == WaitingOn.RECIPIENT
    )
    before = snapshot(ticket) if resumed else None
    if resumed:
        # The reporter answered what we waited for: the clock runs again. (A message while
        # waiting on a third party does not end that wait.)
        sla.resume(ticket, at)
        ticket.state, ticket.waiting_on, ticket.waiting_since = State.IN_PROGRESS, "", None
        ticket.version += 1  # the state moved: forms opened before are stale
        _event(ticket, None, "resume")
    ticket.save()
    if resumed:
        _audit(actor, "ticket.resume", ticket, before)
    record(
        actor=actor,
        verb=f"ticket.{kind}",
        obj=ticket,
        institution=ticket.institution,
        after={"entry": entry.pk, "minutes": minutes},
    )
    if kind == EntryKind.REPLY:
        notifications.replied(ticket, entry)
        # Updates on a master incident reach every reporter of the linked reports.
        for report in ticket.linked_reports.filter(state__in=OPEN_STATES):
            copy = TicketEntry.objects.create(
                ticket=report,
                kind=EntryKind.REPLY,
                author=entry.author,
                author_label=entry.author_label,
                body=body,
                data={"from_master": ticket.pk},
            )
            notifications.replied(report, copy)
    elif kind == EntryKind.INCOMING:
        notifications.reporter_wrote(ticket, entry)
    return entry


# Which kinds each relation joins (source kinds, target kinds); None: any kind.
LINK_KINDS: dict[str, tuple[set[str] | None, set[str] | None]] = {
    LinkKind.CAUSED_BY: (None, {Kind.PROBLEM}),
    LinkKind.FIXED_BY: ({Kind.PROBLEM}, {Kind.CHANGE}),
    LinkKind.ACTION: ({Kind.COMPLAINT, Kind.SUGGESTION}, None),
    LinkKind.RELATED: (None, None),
}


def _fits(relation: str, source_kind: str, target_kind: str) -> bool:
    sources, targets = LINK_KINDS[relation]
    return (sources is None or source_kind in sources) and (
        targets is None or target_kind in targets
    )


@transaction.atomic
def link_tickets(*, actor: User, source: Ticket, target: Ticket, kind: str) -> TicketLink:
    """Link two tickets: incident CAUSED_BY problem, problem FIXED_BY change, a complaint's
    resulting ACTION, or RELATED."""
    require(actor, "work", source)
    require(actor, "staff", target)
    if kind not in LinkKind.values:
        raise ValidationError({"kind": _("Unknown relation.")})
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be linked to itself.")})
    if not _fits(kind, source.kind, target.kind):
        raise ValidationError({"kind": _("This relation does not fit these tickets.")})
    link, created = TicketLink.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"created_by": actor}
    )
    if created:
        _event(source, actor, "linked", relation=kind, target=target.pk)
        _event(target, actor, "linked_from", relation=kind, source=source.pk)
        record(
            actor=actor,
            verb="ticket.linked",
            obj=source,
            institution=source.institution,
            after={"target": target.pk, "relation": kind},
        )
    return link


@transaction.atomic
def unlink_tickets(*, actor: User, link: TicketLink) -> None:
    require(actor, "work", link.source)
    source, target, kind = link.source, link.target, link.kind
    link.delete()
    _event(source, actor, "unlinked", relation=kind, target=target.pk)
    record(
        actor=actor,
        verb="ticket.unlinked",
        obj=source,
        institution=source.institution,
        before={"target": target.pk, "relation": kind},
    )


@transaction.atomic
def set_master(*, actor: User, ticket: Ticket, master: Ticket | None) -> Ticket:
    """Link a report to the master incident of the same interruption (or unlink it)."""
    require(actor, "work", ticket)
    ticket = _lock(ticket)
    if master is not None:
        require(actor, "work", master)
        master = _lock(master)  # its own master and state as they are now, not as passed
        if master.pk == ticket.pk:
            raise ValidationError({"master": _("A ticket cannot be its own master.")})
        if ticket.kind != Kind.INCIDENT or master.kind != Kind.INCIDENT:
            raise ValidationError({"master": _("Only incidents are linked to a master incident.")})
        if master.master_id is not None:
            raise ValidationError({"master": _("That incident is itself linked to a master.")})
        if ticket.linked_reports.exists():
            raise ValidationError({"master": _("This incident is a master of other reports.")})
        if master.state not in OPEN_STATES:
            raise ValidationError({"master": _("The master incident is already finished.")})
    before = snapshot(ticket)
    ticket.master = master
    ticket.version += 1
    ticket.save()
    _event(ticket, actor, "master_set", master=master.pk if master else None)
    if master is not None:
        _event(master, actor, "report_linked", report=ticket.pk)
    _audit(actor, "ticket.master_set", ticket, before)
    return ticket


@transaction.atomic
def merge(*, actor: User, duplicate: Ticket, into: Ticket) -> Ticket:
    """Merge a duplicate into another ticket: the duplicate is cancelled and points to the
    one kept; both histories stay and the kept ticket's timeline shows the duplicate's."""
    require(actor, "work", duplicate)
    require(actor, "work", into)
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    if into.merged_into_id is not None:
        raise ValidationError({"into": _("That ticket was itself merged into another.")})
    if duplicate.state in (State.CLOSED, State.CANCELLED):
        raise ValidationError(_("A closed ticket cannot be merged."))
    duplicate = _lock(duplicate)
    into = _lock(into)
    reports = Ticket.objects.filter(master=duplicate).exclude(pk=into.pk)
    if reports.exists() and into.kind != Kind.INCIDENT:
        raise ValidationError(
            {"into": _("Reports linked to this incident can only move to another incident.")}
        )
    before = snapshot(duplicate)
    duplicate.merged_into = into
    duplicate.state = State.CANCELLED
    duplicate.closed_at = now()
    duplicate.waiting_on, duplicate.waiting_since = "", None
    duplicate.version += 1
    duplicate.save()
    if into.master_id == duplicate.pk:
        # The kept ticket was one of the duplicate's reports: it becomes the master itself.
        into.master = None
        into.version += 1
        into.save(update_fields=["master", "version", "updated_at"])
    # Reports linked to the duplicate follow it to the kept ticket (or to the kept ticket's
    # own master: reports are linked to one master, never to a chain).
    reports.update(master_id=into.master_id or into.pk)
    _event(duplicate, actor, "merged_into", target=into.pk)
    _event(into, actor, "merged", source=duplicate.pk)
    _audit(actor, "ticket.merged", duplicate, before)
    return into


@transaction.atomic
def record_known_error(
    *, actor: User, problem: Ticket, root_cause: str, workaround: str, audience: str = "internal"
) -> Any:
    """Record a problem's known error: its cause and workaround on the problem, and in one
    step a known-error article (created, or a new draft of the one already linked)."""
    from zina.knowledge import operations as kops
    from zina.knowledge.choices import ArticleType, TicketRelation

    require(actor, "work", problem)
    if problem.kind != Kind.PROBLEM:
        raise ValidationError(_("Only problems have known errors."))
    workaround = _require_text(workaround, "workaround", _("Describe the workaround."))
    problem = update_ticket(
        actor=actor,
        ticket=problem,
        data=TicketData(root_cause=root_cause.strip(), workaround=workaround),
    )
    text = kops.ArticleText(
        title=problem.subject,
        symptoms=problem.description,
        environment=", ".join(str(x) for x in (problem.service, problem.resource) if x),
        cause=problem.root_cause,
        resolution=workaround,
    )
    article = problem.known_error_article
    if article is not None and can(actor, "edit", article):
        revision = kops.start_revision(actor=actor, article=article, language=problem.language)
        revision = kops.save_draft(
            actor=actor, revision=revision, text=text, expected_version=revision.version
        )
    else:
        revision = kops.create_article(
            actor=actor,
            institution=problem.institution,
            settings=kops.ArticleSettings(
                type=ArticleType.KNOWN_ERROR,
                audience=audience,
                services=[problem.service] if problem.service else [],
                resources=[problem.resource] if problem.resource else [],
            ),
            text=text,
            language=problem.language if problem.language in ("lv", "en") else "lv",
        )
        article = revision.article
        Ticket.objects.filter(pk=problem.pk).update(known_error_article=article)
        problem.known_error_article = article
        kops.link_ticket(
            actor=actor, article=article, ticket=problem, relation=TicketRelation.CREATED_FROM
        )
    # A known error is recorded from the investigation: a problem not yet started starts now.
    if workflow.find(problem.kind, problem.state, "start") and not workflow.find(
        problem.kind, problem.state, "known_error"
    ):
        problem = transition(actor=actor, ticket=problem, action="start")
    if workflow.find(problem.kind, problem.state, "known_error"):
        problem = transition(actor=actor, ticket=problem, action="known_error")
    return revision


@transaction.atomic
def draft_article(*, actor: User, ticket: Ticket, language: str | None = None) -> Any:
    """KCS capture: a draft article prefilled from the ticket (symptoms, environment,
    resolution), linked "created from" it."""
    from zina.knowledge import operations as kops
    from zina.knowledge.choices import ArticleType, TicketRelation

    require(actor, "work", ticket)
    article_type = ArticleType.KNOWN_ERROR if ticket.kind == Kind.PROBLEM else ArticleType.SOLUTION
    revision = kops.create_article(
        actor=actor,
        institution=ticket.institution,
        settings=kops.ArticleSettings(
            type=article_type,
            services=[ticket.service] if ticket.service else [],
            resources=[ticket.resource] if ticket.resource else [],
        ),
        text=kops.ArticleText(
            title=ticket.subject,
            symptoms=ticket.description,
            environment=", ".join(str(x) for x in (ticket.service, ticket.resource) if x),
            cause=ticket.root_cause,
            resolution=ticket.resolution or ticket.workaround,
        ),
        language=language or (ticket.language if ticket.language in ("lv", "en") else "lv"),
    )
    kops.link_ticket(
        actor=actor, article=revision.article, ticket=ticket, relation=TicketRelation.CREATED_FROM
    )
    _event(ticket, actor, "article_drafted", article=revision.article_id)
    return revision


@transaction.atomic
def use_article(*, actor: User, ticket: Ticket, article: Any) -> Any:
    """KCS reuse: the article was used to resolve this ticket."""
    from zina.knowledge import operations as kops
    from zina.knowledge.choices import TicketRelation

    require(actor, "work", ticket)
    link = kops.link_ticket(
        actor=actor, article=article, ticket=ticket, relation=TicketRelation.USED_TO_RESOLVE
    )
    _event(ticket, actor, "article_used", article=article.pk)
    return link


@transaction.atomic
def record_self_service(
    *,
    institution: Institution,
    subject: str,
    channel: str = Channel.PORTAL,
    service: Service | None = None,
    article: Any = None,
) -> Ticket:
    """A level-0 outcome: the portal or the assistant answered without staff (for reports)."""
    ticket = Ticket.objects.create(
        kind=Kind.REQUEST,
        institution=institution,
        subject=subject.strip()[:300] or "—",
        channel=channel,
        service=service if service and service.institution_id == institution.pk else None,
        level=Level.SELF_SERVICE,
        state=State.CLOSED,
        resolution=str(article) if article is not None else "",
        resolved_at=now(),
        closed_at=now(),
    )
    _event(ticket, None, "self_service", article=getattr(article, "pk", None))
    _audit(None, "ticket.self_service", ticket)
    return ticket


def close_resolved(at: datetime | None = None) -> int:
    """Close tickets resolved more than ZINA_TICKET_AUTOCLOSE_DAYS ago (default 5)."""
    at = at or now()
    days = int(getattr(settings, "ZINA_TICKET_AUTOCLOSE_DAYS", 5))
    closed = 0
    due = Ticket.objects.filter(state=State.RESOLVED, resolved_at__lte=at - timedelta(days=days))
    for ticket in due.exclude(kind__in=[Kind.PROBLEM, Kind.CHANGE]).iterator():
        try:
            transition(actor=None, ticket=ticket, action="close", note=_("Closed automatically."))
            closed += 1
        except ValidationError:
            continue
    return closed


def check_sla(at: datetime | None = None) -> tuple[int, int]:
    """Record warnings before a breach and breaches (once each), and notify. Returns
    (warnings, breaches) recorded now."""
    at = at or now()
    warnings = breaches = 0
    candidates = Ticket.objects.filter(state__in=OPEN_STATES, resolution_due__isnull=False)
    for ticket in candidates.select_related("service", "assignee", "team").iterator():
        for clock in sla.clocks(ticket, at):
            if clock.done_at is not None:
                continue
            event = (
                SlaEvent.BREACH if clock.breached else (SlaEvent.WARNING if clock.warning else None)
            )
            if event is None:
                continue
            with transaction.atomic():
                _, created = SlaEvent.objects.get_or_create(
                    ticket=ticket, metric=clock.metric, event=event, defaults={"due_at": clock.due}
                )
                if created:
                    if event == SlaEvent.BREACH:
                        breaches += 1
                        _event(ticket, None, "sla_breached", metric=clock.metric)
                    else:
                        warnings += 1
                    notifications.sla_event(ticket, clock.metric, event)
    return warnings, breaches


@dataclass
class TeamData:
    """A team's name, support level, shared address and members."""

    name: str
    level: int = Level.FIRST
    email: str = ""
    members: list[User] = field(default_factory=list)


def _save_team(actor: User, team: Team, data: TeamData, verb: str) -> Team:
    from zina.accounts.roles import staff_institutions

    before = snapshot(team) if team.pk else None
    team.name = data.name.replace("\x00", "").strip()
    team.level = data.level
    team.email = data.email.strip()
    errors: dict[str, str] = {}
    if data.level not in (Level.FIRST, Level.SECOND):
        errors["level"] = _("A team works level 1 or level 2.")
    if Team.objects.filter(institution=team.institution, name=team.name).exclude(pk=team.pk):
        errors["name"] = _("The institution already has a team of this name.")
    outsiders = [u for u in data.members if team.institution_id not in staff_institutions(u)]
    if outsiders:
        errors["members"] = _("Members must be staff of the institution: %(names)s") % {
            "names": ", ".join(u.get_username() for u in outsiders)
        }
    try:
        team.clean_fields(exclude=["institution", "members", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages[0])
    if errors:
        raise ValidationError(errors)
    team.save()
    team.members.set(data.members)
    record(
        actor=actor,
        verb=verb,
        obj=team,
        institution=team.institution,
        before=before,
        after={**snapshot(team), "members": sorted(u.pk for u in data.members)},
    )
    return team


@transaction.atomic
def create_team(*, actor: User, institution: Institution, data: TeamData) -> Team:
    """A queue of the institution's level-1 or level-2 support staff."""
    require(actor, "manage_tickets", institution)
    return _save_team(actor, Team(institution=institution), data, "team.created")


@transaction.atomic
def update_team(*, actor: User, team: Team, data: TeamData) -> Team:
    """Rename a team, change its level, address or members."""
    require(actor, "change", team)
    team = Team.objects.select_for_update().get(pk=team.pk)
    return _save_team(actor, team, data, "team.changed")


@transaction.atomic
def attach_file(
    *, actor: Any, ticket: Ticket, upload: Any, internal: bool = False
) -> TicketAttachment:
    """Attach a file to the ticket (a screenshot, a document, a log): the knowledge base's
    allowed types, checked by content, within ATTACHMENT_MAX_BYTES. Staff may mark it
    internal (hidden from the reporter); the reporter may attach to their own ticket."""
    require(actor, "comment", ticket)
    if internal:
        require(actor, "work", ticket)
    name, content_type = checked_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = TicketAttachment(
        ticket=ticket,
        name=name,
        content_type=content_type,
        size=upload.size,
        checksum=digest.hexdigest(),
        internal=internal,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    record(
        actor=actor,
        verb="ticket.file_attached",
        obj=ticket,
        institution=ticket.institution,
        after={
            "attachment": attachment.pk,
            "name": name,
            "size": upload.size,
            "internal": internal,
        },
    )
    return attachment
