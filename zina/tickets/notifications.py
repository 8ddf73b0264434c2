"""Mail about tickets: to reporters (opened, replies, resolved) and to staff (assigned,
the reporter wrote, SLA warnings and breaches). Sent after commit, in the recipient's
language, with Message-ID / References headers and the reference in the subject, so replies
thread back onto the ticket (mail intake reads them)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)


def domain() -> str:
    return str(getattr(settings, "ZINA_MAIL_DOMAIN", "zina.localhost"))


def thread_id(ticket: Any) -> str:
    """The Message-ID every mail about the ticket refers to (the thread's root)."""
    return f"<ticket-{ticket.pk}@{domain()}>"


def base_url() -> str:
    return str(getattr(settings, "ZINA_BASE_URL", "http://localhost:8000")).rstrip("/")


def _reporter_address(ticket: Any) -> str:
    if ticket.reporter_id and ticket.reporter.email and ticket.reporter.is_active:
        return str(ticket.reporter.email)
    return str(ticket.reporter_email or "")


_muted: ContextVar[bool] = ContextVar("zina_ticket_mail_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """No ticket mail inside this block (loading demo data, replaying history)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _send(template: str, to: list[str], language: str, context: dict[str, Any]) -> None:
    to = [a for a in dict.fromkeys(to) if a]
    if not to or _muted.get():
        return
    ticket = context["ticket"]

    def send() -> None:
        with translation.override(language or settings.LANGUAGE_CODE):
            full = {**context, "url": base_url() + ticket.get_absolute_url()}
            subject = render_to_string(f"tickets/email/{template}_subject.txt", full)
            body = render_to_string(f"tickets/email/{template}.txt", full)
        message = EmailMessage(
            subject=f"[{ticket.reference}] {' '.join(subject.split())}"[:250],
            body=body,
            to=to,
            headers={
                "Message-ID": make_msgid(f"t{ticket.pk}", domain=domain()),
                "In-Reply-To": thread_id(ticket),
                "References": thread_id(ticket),
                "Auto-Submitted": "auto-generated" if template.startswith("sla") else "no",
            },
        )
        try:
            message.send()
        except Exception:  # mail must not undo the committed work; it is logged
            log.exception("could not send %s mail for ticket %s", template, ticket.pk)

    transaction.on_commit(send)


def _reporter_language(ticket: Any) -> str:
    if ticket.reporter_id and getattr(ticket.reporter, "language", ""):
        return str(ticket.reporter.language)
    return str(ticket.language or "lv")


def _staff(ticket: Any) -> list[tuple[str, str]]:
    """(address, language) of the assignee, or of the team when nobody is assigned."""
    if ticket.assignee_id and ticket.assignee.email and ticket.assignee.is_active:
        return [(ticket.assignee.email, ticket.assignee.language)]
    if ticket.team_id:
        if ticket.team.email:
            return [(ticket.team.email, "lv")]
        return [
            (u.email, u.language) for u in ticket.team.members.filter(is_active=True) if u.email
        ]
    return []


# Where a reporter without an account follows their ticket (the portal registers its private
# tracking page); reporters with an account follow it on the ticket page itself.
_reporter_links: list[Callable[[Any], str]] = []


def register_reporter_link(link: Callable[[Any], str]) -> None:
    if link not in _reporter_links:
        _reporter_links.append(link)


def reporter_url(ticket: Any) -> str:
    if ticket.reporter_id and ticket.reporter.is_active:
        return base_url() + ticket.get_absolute_url()
    for link in _reporter_links:
        url = link(ticket)
        if url:
            return url
    return ""


def _to_reporter(template: str, ticket: Any, **context: Any) -> None:
    _send(
        template,
        [_reporter_address(ticket)],
        _reporter_language(ticket),
        {"ticket": ticket, "reporter_url": reporter_url(ticket), **context},
    )


def opened(ticket: Any) -> None:
    if ticket.channel in ("staff", "monitoring") and not ticket.reporter_email:
        return
    _to_reporter("opened", ticket)


def replied(ticket: Any, entry: Any) -> None:
    _to_reporter("reply", ticket, entry=entry)


def resolved(ticket: Any) -> None:
    _to_reporter("resolved", ticket)


def assigned(ticket: Any) -> None:
    for address, language in _staff(ticket):
        _send("assigned", [address], language, {"ticket": ticket})


def reporter_wrote(ticket: Any, entry: Any) -> None:
    for address, language in _staff(ticket):
        _send("incoming", [address], language, {"ticket": ticket, "entry": entry})


def sla_event(ticket: Any, metric: str, event: str) -> None:
    for address, language in _staff(ticket):
        _send(
            "sla_breach" if event == "breach" else "sla_warning",
            [address],
            language,
            {"ticket": ticket, "metric": metric},
        )
