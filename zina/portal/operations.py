"""Every write of the portal. Each runs in one transaction, checks that it touches only what
the public may see, and is audited where it writes domain records (tickets through the
tickets app's own operations, which audit themselves).

Public knowledge and submitting: record_deflection, submit_request, reply_by_tracking_link,
reply_as_reporter; the tracking-link helpers tracking_token / ticket_for_token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from zina.accounts.models import Institution
from zina.catalog.models import Service
from zina.catalog.permissions import PUBLIC_STATUSES
from zina.core.audit import record
from zina.core.permissions import can
from zina.knowledge.models import Article
from zina.tickets import notifications
from zina.tickets import operations as ticket_ops
from zina.tickets.choices import EntryKind, Kind
from zina.tickets.models import Ticket, TicketEntry

from . import spam
from .models import Deflection

# --- Public knowledge and submitting ----------------------------------------------------------

# The kinds of request the public may submit (problems and changes are staff's own records).
PUBLIC_KINDS = (Kind.INCIDENT, Kind.REQUEST, Kind.COMPLAINT, Kind.SUGGESTION)
# Complaints and suggestions may be about an institution as a whole, not one service.
INSTITUTION_KINDS = (Kind.COMPLAINT, Kind.SUGGESTION)
# Entries a reporter sees on the tracking page: what was written to and by them.
PUBLIC_ENTRY_KINDS = (EntryKind.REPLY, EntryKind.INCOMING)

SUBMISSIONS_PER_HOUR = 5
REPLIES_PER_HOUR = 10
DEFLECTIONS_PER_HOUR = 30

TRACKING_SALT = "zina.portal.tracking"


def public_services() -> Any:
    """Active public services, the ones a visitor may ask about."""
    return Service.objects.visible_to(AnonymousUser()).filter(status=PUBLIC_STATUSES[0])


def public_articles() -> Any:
    """Articles anyone may read: public, published, not archived (the knowledge rule)."""
    return Article.objects.visible_to(AnonymousUser())


def tracking_token(ticket: Ticket) -> str:
    """The signed token of a ticket's private tracking link (no expiry: a reporter may come
    back to an old request; whoever holds the link reads its public part)."""
    return signing.Signer(salt=TRACKING_SALT).sign(str(ticket.pk))


def tracking_path(ticket: Ticket) -> str:
    return reverse("portal:track", args=[tracking_token(ticket)])


def tracking_url(ticket: Ticket) -> str:
    """The full private tracking link, for the tickets app's mails to reporters without an
    account."""
    return notifications.base_url() + tracking_path(ticket)


def ticket_for_token(token: str) -> Ticket | None:
    """The ticket of a tracking token, or None when the token is forged or unknown."""
    try:
        value = signing.Signer(salt=TRACKING_SALT).unsign(token)
    except signing.BadSignature:
        return None
    if not value.isdigit() or len(value) > 18:
        return None
    pk = int(value)
    return Ticket.objects.select_related("institution", "service").filter(pk=pk).first()


def public_entries(ticket: Ticket) -> Any:
    """The ticket's replies and the reporter's messages, oldest first — never internal notes
    or events."""
    return TicketEntry.objects.filter(ticket=ticket, kind__in=PUBLIC_ENTRY_KINDS).order_by(
        "created_at", "id"
    )


def _refuse_if_limited(address: str | None, action: str, per_hour: int) -> None:
    if spam.limited(address, action, per_hour):
        raise ValidationError(
            _("Too many messages from your address. Please try again in an hour.")
        )


@transaction.atomic
def record_deflection(
    *,
    article: Article,
    source: str = Deflection.Source.SUBMIT_FORM,
    service: Service | None = None,
    institution: Institution | None = None,
    kind: str = "",
    query: str = "",
    address: str | None = None,
) -> Deflection:
    """Record that a public article answered a visitor's question, so no request was
    submitted (the level-0 success metric). Only public articles and services count."""
    if not public_articles().filter(pk=article.pk).exists():
        raise PermissionDenied
    if service is not None:
        if not Service.objects.visible_to(AnonymousUser()).filter(pk=service.pk).exists():
            raise PermissionDenied
        institution = service.institution
    if institution is None:
        institution = article.institution
    if source not in Deflection.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    _refuse_if_limited(address, "deflect", DEFLECTIONS_PER_HOUR)
    deflection = Deflection.objects.create(
        source=source,
        article=article,
        service=service,
        institution=institution,
        kind=kind if kind in Kind.values else "",
        query=" ".join((query or "").replace("\x00", "").split())[:300],
    )
    spam.note(address, "deflect")
    return deflection


@dataclass
class Submission:
    """What a visitor writes in a portal form."""

    kind: str
    subject: str
    description: str
    name: str = ""
    email: str = ""
    phone: str = ""
    service: Service | None = None
    institution: Institution | None = None
    language: str = "lv"


def _submission_target(submission: Submission) -> tuple[Institution, Service | None]:
    if submission.kind not in PUBLIC_KINDS:
        raise ValidationError({"kind": _("Choose what you want to submit.")})
    service = submission.service
    if service is not None:
        if not public_services().filter(pk=service.pk).exists():
            raise ValidationError({"service": _("Choose a service from the list.")})
        return service.institution, service
    if submission.kind in INSTITUTION_KINDS and submission.institution is not None:
        if not Institution.objects.visible_to(AnonymousUser()).filter(
            pk=submission.institution.pk, is_active=True
        ):
            raise ValidationError({"institution": _("Choose an institution from the list.")})
        return submission.institution, None
    if submission.kind in INSTITUTION_KINDS:
        raise ValidationError({"institution": _("Choose a service or an institution.")})
    raise ValidationError({"service": _("Choose the service your request is about.")})


@transaction.atomic
def submit_request(*, actor: Any, submission: Submission, address: str | None = None) -> Ticket:
    """Open a portal ticket for a visitor (``actor`` None or the logged-in recipient),
    rate-limited per address. The tickets app mails “we received your request” with the
    private tracking link (``tracking_url``, registered in apps.py) after commit."""
    _refuse_if_limited(address, "submit", SUBMISSIONS_PER_HOUR)
    institution, service = _submission_target(submission)
    user = actor if getattr(actor, "is_authenticated", False) else None
    # A logged-in member of staff using the portal submits as a recipient would: the portal
    # is a public surface, so the ticket is a portal ticket with them as its reporter.
    as_actor = user if user is not None and not _is_staff_of(user, institution) else None
    language = submission.language if submission.language in ("lv", "en") else "lv"
    ticket = ticket_ops.open_ticket(
        actor=as_actor,
        institution=institution,
        kind=submission.kind,
        data=ticket_ops.TicketData(
            subject=submission.subject,
            description=submission.description,
            service=service,
            language=language,
        ),
        reporter=ticket_ops.Reporter(
            user=user,
            name=submission.name,
            email=submission.email,
            phone=submission.phone,
        ),
    )
    spam.note(address, "submit")
    record(
        actor=user,
        verb="portal.submitted",
        obj=ticket,
        institution=institution,
        after={"kind": ticket.kind, "service": service.pk if service else None},
    )
    return ticket


def _is_staff_of(user: Any, institution: Institution) -> bool:
    return bool(can(user, "open_ticket", institution))


def reply_by_tracking_link(*, ticket: Ticket, body: str, address: str | None = None) -> TicketEntry:
    """A message from the reporter through the private tracking link (no login)."""
    _refuse_if_limited(address, "reply", REPLIES_PER_HOUR)
    entry = ticket_ops.add_entry(actor=None, ticket=ticket, kind=EntryKind.INCOMING, body=body)
    spam.note(address, "reply")
    return entry


def reply_as_reporter(
    *, actor: Any, ticket: Ticket, body: str, address: str | None = None
) -> TicketEntry:
    """A message from a logged-in recipient on their own request."""
    if not getattr(actor, "is_authenticated", False) or ticket.reporter_id != actor.pk:
        raise PermissionDenied
    _refuse_if_limited(address, "reply", REPLIES_PER_HOUR)
    entry = ticket_ops.add_entry(actor=actor, ticket=ticket, kind=EntryKind.INCOMING, body=body)
    spam.note(address, "reply")
    return entry


# --- end of public knowledge and submitting ---------------------------------------------------
