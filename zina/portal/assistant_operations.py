"""Writes of the virtual assistant: a question and its answer (``ask``), "Did this help?"
(``rate``), and turning the conversation into a level-1 request (``escalate``).

Visitors are anonymous: each operation takes the visitor's address only to rate-limit it
(kept as a keyed hash, see ``spam``). The ticket is opened — and audited — by
``tickets.operations.open_ticket``; a "yes" records a level-0 deflection.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zina.accounts.models import Institution
from zina.catalog.models import Service
from zina.knowledge.models import Article
from zina.tickets.choices import Channel, Kind, Level
from zina.tickets.models import Ticket
from zina.tickets.operations import Reporter, TicketData, open_ticket

from . import spam
from .assistant import MAX_QUESTION, answer
from .models import AssistantSession, AssistantTurn, Deflection

ASK_ACTION = "assistant"
REQUEST_ACTION = "assistant_request"
MAX_TURNS = 30  # a longer conversation starts a new session
KINDS = (Kind.REQUEST, Kind.INCIDENT)
Outcome = AssistantSession.Outcome


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def questions_per_hour() -> int:
    return _limit("ZINA_ASSISTANT_QUESTIONS_PER_HOUR", 30)


def requests_per_hour() -> int:
    return _limit("ZINA_ASSISTANT_REQUESTS_PER_HOUR", 5)


class RateLimited(ValidationError):
    """Too many questions (or requests) from one address within the hour."""


def clean_question(text: str) -> str:
    """The question as it is kept: NUL characters dropped, runs of whitespace joined."""
    return " ".join((text or "").replace("\x00", "").split())


@transaction.atomic
def ask(
    *,
    session: AssistantSession | None,
    question: str,
    language: str,
    address: str | None,
    user: Any = None,
) -> AssistantTurn:
    """Answer one question of a conversation (a new one when ``session`` is None, finished,
    or long) from public articles, and record the turn."""
    question = clean_question(question)
    if not question:
        raise ValidationError({"question": _("Type a question.")})
    if len(question) > MAX_QUESTION:
        raise ValidationError(
            {"question": _("At most %(count)d characters, please.") % {"count": MAX_QUESTION}}
        )
    if spam.limited(address, ASK_ACTION, questions_per_hour()):
        raise RateLimited(_("Too many questions from your address. Try again later."))
    spam.note(address, ASK_ACTION)
    if session is not None:  # as it is now: it may have ended since the caller read it
        session = AssistantSession.objects.select_for_update().filter(pk=session.pk).first()
    if (
        session is None
        or session.outcome == Outcome.ESCALATED
        or session.turns.count() >= MAX_TURNS
    ):
        session = AssistantSession.objects.create(
            language=language if language in ("lv", "en") else "lv",
            user=user if getattr(user, "is_authenticated", False) else None,
            address_hash=spam.hashed_address(address),
        )
    reply = answer(question)
    turn = AssistantTurn.objects.create(
        session=session,
        question=question,
        answer=reply.passage,
        article=reply.article,
        alternatives=[{"id": a.pk, "title": a.title} for a in reply.alternatives],
        confident=reply.confident,
    )
    session.save(update_fields=["updated_at"])
    return turn


def _record_deflection(turn: AssistantTurn, address: str | None) -> Deflection | None:
    """A deflection with source "assistant": through the portal's ``record_deflection`` when
    the public-portal part provides it (its checks and limits), else the row directly."""
    article = turn.article
    if article is None:
        return None
    portal_ops = importlib.import_module("zina.portal.operations") if _has_portal_ops() else None
    record = getattr(portal_ops, "record_deflection", None)
    if record is not None:
        try:
            with transaction.atomic():
                deflection: Deflection = record(
                    article=article,
                    source=Deflection.Source.ASSISTANT,
                    query=turn.question,
                    address=address,
                )
        except (PermissionDenied, ValidationError):
            return None  # no longer public, or too many from this address: not counted
        return deflection
    service = Service.objects.visible_to(AnonymousUser()).filter(articles=article).first()
    return Deflection.objects.create(
        source=Deflection.Source.ASSISTANT,
        article=article,
        service=service,
        institution_id=service.institution_id if service else article.institution_id,
        query=turn.question[:300],
    )


def _has_portal_ops() -> bool:
    return importlib.util.find_spec("zina.portal.operations") is not None


@transaction.atomic
def rate(*, turn: AssistantTurn, helpful: bool, address: str | None = None) -> AssistantTurn:
    """ "Did this help?": yes makes the session helped and records a deflection (the request
    that was never needed); no marks it not helped (the page then offers a request). A
    turn is rated once; a session that became a request keeps that outcome."""
    turn = AssistantTurn.objects.select_for_update().select_related("session").get(pk=turn.pk)
    if turn.helpful is not None or turn.article_id is None:
        return turn
    turn.helpful = helpful
    turn.save(update_fields=["helpful"])
    session = turn.session
    if session.outcome != Outcome.ESCALATED:
        session.outcome = Outcome.HELPED if helpful else Outcome.NOT_HELPED
        session.save(update_fields=["outcome", "updated_at"])
    if helpful:
        _record_deflection(turn, address)
    return turn


def _public_titles(turns: list[AssistantTurn]) -> dict[int, str]:
    """Titles of the articles still public (an answer from an article that has since left
    the public is not copied into a ticket)."""
    ids: set[int] = {t.article_id for t in turns if t.article_id}
    ids |= {a["id"] for t in turns for a in t.alternatives if isinstance(a, dict) and a.get("id")}
    public = Article.objects.visible_to(AnonymousUser()).filter(pk__in=ids)
    return {a.pk: str(a) for a in public.prefetch_related("revisions")}


def transcript(session: AssistantSession) -> str:
    """The conversation as plain text, in the session's language, for the ticket."""
    from .assistant import article_url

    turns = list(session.turns.all())
    titles = _public_titles(turns)
    lines: list[str] = []
    with translation.override(session.language):
        lines.append(
            _("Conversation with the virtual assistant, started %(time)s.")
            % {"time": timezone.localtime(session.started_at).strftime("%Y-%m-%d %H:%M")}
        )
        for turn in turns:
            lines += ["", _("Question: %(text)s") % {"text": turn.question}]
            if turn.article_id and turn.article_id in titles:
                lines.append(_("Assistant: %(text)s") % {"text": turn.answer})
                lines.append(
                    _("Article: %(title)s (%(url)s)")
                    % {"title": titles[turn.article_id], "url": article_url(turn.article_id)}
                )
                others = [
                    titles[a["id"]]
                    for a in turn.alternatives
                    if isinstance(a, dict) and a.get("id") in titles
                ]
                if others:
                    lines.append(_("Also offered: %(titles)s") % {"titles": "; ".join(others)})
            elif turn.article_id:
                lines.append(_("Assistant: (the article answered with is no longer public)"))
            else:
                lines.append(_("Assistant: no answer found."))
            if turn.helpful is not None:
                lines.append(
                    _("Did this help? %(answer)s")
                    % {"answer": _("yes") if turn.helpful else _("no")}
                )
    return "\n".join(lines)


@dataclass
class RequestData:
    """What the visitor gives to turn the conversation into a request."""

    institution: Institution
    subject: str
    details: str = ""
    kind: str = Kind.REQUEST
    name: str = ""
    email: str = ""
    phone: str = ""


def default_subject(session: AssistantSession) -> str:
    """The question the request is about: the latest one."""
    last = session.turns.order_by("-created_at", "-id").first()
    return last.question[:300] if last else ""


def default_institution(session: AssistantSession) -> Institution | None:
    """The institution of the article that last answered, if it takes tickets."""
    last = session.turns.filter(article__isnull=False).order_by("-created_at", "-id").first()
    if last is None or last.article is None:
        return None
    institution = last.article.institution
    return institution if institution.is_active else None


@transaction.atomic
def escalate(*, session: AssistantSession, data: RequestData, address: str | None) -> Ticket:
    """Turn the conversation into a level-1 ticket (channel: virtual assistant) carrying the
    whole transcript; the session's outcome becomes escalated and links the ticket."""
    session = AssistantSession.objects.select_for_update().get(pk=session.pk)
    if session.outcome == Outcome.ESCALATED:
        raise ValidationError(_("This conversation has already become a request."))
    if not session.turns.exists():
        raise ValidationError(_("Ask a question first."))
    if data.kind not in KINDS:
        raise ValidationError({"kind": _("Unknown type of request.")})
    if spam.limited(address, REQUEST_ACTION, requests_per_hour()):
        raise RateLimited(_("Too many requests from your address. Try again later."))
    spam.note(address, REQUEST_ACTION)
    details = (data.details or "").replace("\x00", "").strip()
    description = transcript(session)
    if details:
        with translation.override(session.language):
            heading = _("Conversation with the virtual assistant")
        description = f"{details}\n\n— {heading} —\n{description}"
    last = session.turns.filter(article__isnull=False).order_by("-created_at", "-id").first()
    service = None
    if last is not None:
        service = (
            Service.objects.visible_to(AnonymousUser())
            .filter(articles=last.article_id, institution=data.institution)
            .first()
        )
    ticket = open_ticket(
        actor=None,
        institution=data.institution,
        kind=data.kind,
        data=TicketData(
            subject=clean_question(data.subject)[:300] or default_subject(session),
            description=description,
            service=service,
            channel=Channel.ASSISTANT,
            level=Level.FIRST,
            language=session.language,
        ),
        reporter=Reporter(name=data.name, email=data.email, phone=data.phone),
    )
    session.outcome = Outcome.ESCALATED
    session.ticket = ticket
    session.save(update_fields=["outcome", "ticket", "updated_at"])
    return ticket
