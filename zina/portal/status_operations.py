"""Writes of the status page: e-mail subscriptions per service (double opt-in, one-click
unsubscribe) and the notices mailed to confirmed subscribers.

Subscribers are members of the public: their addresses are kept only in
:class:`StatusSubscription` rows (deleted on unsubscribe, or after a week when never
confirmed) and never written to the audit trail, which records the service and the
subscription's id instead.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zina.catalog.models import Service
from zina.core.audit import record
from zina.tickets.choices import Kind, State
from zina.tickets.models import Ticket, TicketEntry
from zina.tickets.notifications import base_url, domain

from . import spam, status
from .models import StatusNotice, StatusSubscription

log = logging.getLogger(__name__)

CONFIRM_SALT = "zina.portal.status-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # a confirmation link works for a week; then the request goes
SUBSCRIBE_PER_HOUR = 10  # subscription requests from one address
CONFIRMATIONS_PER_HOUR = 3  # confirmation mails to one e-mail address
LOOKBACK = timedelta(days=1)  # the notifier looks this far back for news to mail


class RateLimited(Exception):
    """Too many subscription requests from one address, or for one e-mail address."""


@dataclass
class SubscribeResult:
    pending: list[StatusSubscription]
    already: list[StatusSubscription]


def _normalise(email: str) -> str:
    email = (email or "").replace("\x00", "").strip()
    local, _at, host = email.rpartition("@")
    return f"{local}@{host.lower()}" if local else email


def _public(services: Iterable[Service]) -> list[Service]:
    ids = [s.pk for s in services]
    return list(
        status.Service.objects.visible_to(status.AnonymousUser())
        .filter(pk__in=ids)
        .select_related("institution")
    )


@transaction.atomic
def subscribe(
    *, email: str, services: Iterable[Service], language: str, address: spam.AddressLike
) -> SubscribeResult:
    """Ask for status mail about ``services``: records pending subscriptions and mails one
    confirmation link (double opt-in); services already confirmed for the address are left
    as they are. Nothing else is ever sent before the link is used."""
    email = _normalise(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    chosen = _public(services)
    if not chosen:
        raise ValidationError({"services": _("Choose at least one service.")})
    if spam.limited(address, "status_subscribe", SUBSCRIBE_PER_HOUR):
        raise RateLimited
    spam.note(address, "status_subscribe")
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    pending: list[StatusSubscription] = []
    already: list[StatusSubscription] = []
    for service in chosen:
        sub, _created = StatusSubscription.objects.get_or_create(
            service=service, email=email, defaults={"language": language}
        )
        (already if sub.confirmed_at else pending).append(sub)
    if pending:
        mailbox = f"mail:{email.lower()}"
        if spam.limited(mailbox, "status_confirm", CONFIRMATIONS_PER_HOUR):
            raise RateLimited
        spam.note(mailbox, "status_confirm")
        link = confirm_url(email, [s.pk for s in pending])
        names = [s.service.name for s in pending]
        transaction.on_commit(lambda: _send_confirmation(email, language, names, link))
    return SubscribeResult(pending=pending, already=already)


def confirm_url(email: str, ids: list[int]) -> str:
    signed = signing.dumps({"e": email, "ids": ids}, salt=CONFIRM_SALT, compress=True)
    return base_url() + reverse("portal:status_confirm", args=[signed])


def _send_confirmation(email: str, language: str, names: list[str], link: str) -> None:
    with translation.override(language):
        context = {"services": names, "url": link, "days": CONFIRM_MAX_AGE // 86400}
        subject = render_to_string("portal/email/status_confirm_subject.txt", context)
        body = render_to_string("portal/email/status_confirm.txt", context)
    message = EmailMessage(
        subject=" ".join(subject.split())[:250],
        body=body,
        to=[email],
        headers={
            "Message-ID": make_msgid("status-confirm", domain=domain()),
            "Auto-Submitted": "auto-generated",
        },
    )
    try:
        message.send()
    except Exception:  # the request is recorded; the visitor can ask again
        log.exception("could not send a status subscription confirmation")


def read_confirmation(signed: str) -> tuple[str, list[int]]:
    """The address and subscription ids a confirmation link carries (ValidationError when it
    is forged, damaged or older than a week)."""
    try:
        data = signing.loads(signed, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
        email, ids = str(data["e"]), [int(i) for i in data["ids"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(
            _("This confirmation link is not valid or has expired. Subscribe again.")
        ) from None
    return email, ids


@transaction.atomic
def confirm(*, signed: str) -> list[StatusSubscription]:
    """Confirm the subscriptions a confirmation link names (double opt-in's second step).
    Confirming twice is harmless; returns the subscriptions now confirmed by this link."""
    email, ids = read_confirmation(signed)
    subs = list(
        StatusSubscription.objects.select_for_update()
        .filter(pk__in=ids, email=email)
        .select_related("service", "service__institution")
    )
    if not subs:
        raise ValidationError(
            _("This confirmation link is not valid or has expired. Subscribe again.")
        )
    at = timezone.now()
    for sub in subs:
        if sub.confirmed_at is None:
            sub.confirmed_at = at
            sub.save(update_fields=["confirmed_at"])
            record(
                actor=None,
                verb="portal.status_subscription_confirmed",
                obj=sub.service,
                institution=sub.service.institution,
                after={"subscription": sub.pk},
            )
    return subs


def subscriptions_of(token: str) -> list[StatusSubscription]:
    """Every subscription of the address that ``token`` belongs to."""
    sub = StatusSubscription.objects.filter(token=token).first()
    if sub is None:
        return []
    return list(
        StatusSubscription.objects.filter(email=sub.email)
        .select_related("service", "service__institution")
        .order_by("service__name")
    )


@transaction.atomic
def unsubscribe(*, token: str, service_id: int | None = None) -> list[Service]:
    """One-click unsubscribe (RFC 8058): the address of ``token`` stops getting status mail —
    about every service, or only ``service_id``. The rows go; returns the services left."""
    subs = [s for s in subscriptions_of(token) if service_id is None or s.service_id == service_id]
    for sub in subs:
        record(
            actor=None,
            verb="portal.status_unsubscribed",
            obj=sub.service,
            institution=sub.service.institution,
            after={"subscription": sub.pk},
        )
    StatusSubscription.objects.filter(pk__in=[s.pk for s in subs]).delete()
    return [s.service for s in subs]


def prune_unconfirmed(now: datetime | None = None) -> int:
    """Forget requests never confirmed within the link's lifetime (their addresses included)."""
    before = (now or timezone.now()) - timedelta(seconds=CONFIRM_MAX_AGE)
    deleted, _rows = StatusSubscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=before
    ).delete()
    return deleted


# --- Notices -------------------------------------------------------------------------------

STARTED, UPDATE, ENDED, SCHEDULED, CANCELLED = (
    "started",
    "update",
    "ended",
    "scheduled",
    "cancelled",
)


def _scheduled_key(ticket: Ticket) -> str:
    start, end = ticket.planned_start, ticket.planned_end
    return f"{SCHEDULED}:{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}"


@transaction.atomic
def notify(
    *,
    event: status.Event,
    key: str,
    what: str,
    entry: TicketEntry | None = None,
    mail: bool = True,
) -> int:
    """Mail one status update (``what``: started, update, ended, scheduled, cancelled) to the
    confirmed subscribers of the services ``event`` affects, once: the ``StatusNotice`` row
    (ticket, key) is written first, so a second worker or a second run sends nothing.
    Returns the number of mails queued (0 when this update was already sent)."""
    try:
        with transaction.atomic():
            StatusNotice.objects.create(ticket_id=event.pk, key=key[:80])
    except IntegrityError:
        return 0
    subs = list(
        StatusSubscription.objects.filter(
            service_id__in=list(event.impacts), confirmed_at__isnull=False
        )
        .select_related("service")
        .order_by("email", "service__name")
    )
    by_email: dict[str, list[StatusSubscription]] = defaultdict(list)
    for sub in subs:
        by_email[sub.email].append(sub)
    record(
        actor=None,
        verb="portal.status_notice",
        obj=event.ticket,
        institution=event.ticket.institution,
        after={"key": key, "recipients": len(by_email) if mail else 0},
    )
    if not mail:
        return 0
    for email, own in by_email.items():
        transaction.on_commit(functools.partial(_send_notice, email, own, event, what, entry))
    return len(by_email)


def unsubscribe_url(sub: StatusSubscription) -> str:
    return base_url() + reverse("portal:status_unsubscribe", args=[sub.token])


def _send_notice(
    email: str,
    subs: list[StatusSubscription],
    event: status.Event,
    what: str,
    entry: TicketEntry | None,
) -> None:
    first = subs[0]
    unsubscribe = unsubscribe_url(first)
    with translation.override(first.language or settings.LANGUAGE_CODE):
        context: dict[str, Any] = {
            "event": event,
            "what": what,
            "entry": entry,
            "services": [s.service for s in subs],
            "url": base_url() + reverse("portal:status_event", args=[event.pk]),
            "status_url": base_url() + reverse("portal:status"),
            "unsubscribe_url": unsubscribe,
        }
        subject = render_to_string("portal/email/status_notice_subject.txt", context)
        body = render_to_string("portal/email/status_notice.txt", context)
    message = EmailMessage(
        subject=" ".join(subject.split())[:250],
        body=body,
        to=[email],
        headers={
            "Message-ID": make_msgid(f"status{event.pk}", domain=domain()),
            "References": f"<status-{event.pk}@{domain()}>",
            "List-Id": f"<status.{domain()}>",
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    try:
        message.send()
    except Exception:  # a failed mail must not stop the others; it is logged
        log.exception("could not send status notice %s for ticket %s", what, event.pk)


def _due(event: status.Event, now: datetime) -> list[tuple[str, str, TicketEntry | None]]:
    """(key, what, entry) of the updates this event has that subscribers should hear about."""
    recent = now - LOOKBACK
    fresh = event.ticket.updated_at >= recent
    if event.is_planned:
        if event.ended or not fresh:
            return []
        return [(_scheduled_key(event.ticket), SCHEDULED, None)]
    due: list[tuple[str, str, TicketEntry | None]] = []
    if event.ongoing and fresh:
        due.append((STARTED, STARTED, None))
    for entry in reversed(status.updates(event)):
        if entry.created_at >= recent:
            due.append((f"{UPDATE}:{entry.pk}", UPDATE, entry))
    if event.ended and event.end is not None and (event.end >= recent or fresh):
        due.append((STARTED, STARTED, None))  # recorded unsent when it ended unannounced
        due.append((ENDED, ENDED, None))
    return due


def send_due_notices(now: datetime | None = None) -> int:
    """Mail what changed lately on the status page, each update once: interruptions that
    started, their public updates and their end; maintenance scheduled (again when the
    window moves) or cancelled. Returns the number of mails queued."""
    now = now or timezone.now()
    snap = status.snapshot(now)
    cancelled_ids = _cancelled_ids(now)
    sent_keys: dict[int, set[str]] = defaultdict(set)
    for ticket_id, key in StatusNotice.objects.filter(
        ticket_id__in=[*snap.events, *cancelled_ids]
    ).values_list("ticket_id", "key"):
        sent_keys[ticket_id].add(key)
    mails = 0
    for event in snap.events.values():
        due = [d for d in _due(event, now) if d[0] not in sent_keys[event.pk]]
        keys = {key for key, _what, _entry in due}
        for key, what, entry in due:
            # An interruption that started and ended between two runs: one mail, "ended".
            silent = what == STARTED and ENDED in keys
            mails += notify(event=event, key=key, what=what, entry=entry, mail=not silent)
    for ticket_id in cancelled_ids:
        announced = any(k.startswith(f"{SCHEDULED}:") for k in sent_keys[ticket_id])
        if announced and CANCELLED not in sent_keys[ticket_id]:
            cancelled = _cancelled_event(ticket_id, now)
            if cancelled is not None:
                mails += notify(event=cancelled, key=CANCELLED, what=CANCELLED)
    return mails


def _cancelled_ids(now: datetime) -> list[int]:
    return list(
        Ticket.objects.filter(
            kind=Kind.CHANGE,
            state=State.CANCELLED,
            updated_at__gte=now - LOOKBACK,
            planned_end__gt=now,
        ).values_list("pk", flat=True)
    )


def _cancelled_event(ticket_id: int, now: datetime) -> status.Event | None:
    ticket = Ticket.objects.select_related("resource", "institution").get(pk=ticket_id)
    services = status.public_services()
    graph = status._Graph({s.pk for s in services})
    affected = status._affected(ticket, graph)
    if not affected or ticket.planned_start is None:
        return None
    by_id = {s.pk: s for s in services}
    event = status.Event(
        ticket,
        status.PLANNED,
        dict.fromkeys(affected, status.MAINTENANCE),
        ticket.planned_start,
        ticket.planned_end,
        ongoing=False,
        upcoming=False,
    )
    event.services = [by_id[sid] for sid in affected]
    return event
