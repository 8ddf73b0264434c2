"""The ticket page: header, SLA clocks, timeline, links, suggestions and the action forms the
user may use. Staff see internal notes and the reporter's contact; the reporter sees the
public conversation and may write to it."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from zina.accounts.models import Institution
from zina.accounts.views import AuthedRequest
from zina.catalog.graph import affected_services
from zina.catalog.models import Resource, Service
from zina.core.permissions import can
from zina.knowledge.choices import Audience
from zina.knowledge.models import Article, ArticleTicketLink
from zina.search.queries import suggestions

from .. import sla, workflow
from ..choices import EntryKind, Kind
from ..forms import (
    AssignForm,
    EditTicketForm,
    EntryForm,
    EscalateForm,
    HandOverForm,
    KnownErrorForm,
    MessageForm,
    ReferenceForm,
)
from ..models import Ticket, TicketAttachment, TicketEntry, TicketLink
from .common import people_of, teams_of

log = logging.getLogger(__name__)

# Moves with a form of their own on the page (the known error writes an article too).
OWN_FORM = {"known_error"}


def ticket_for(user: Any, pk: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.visible_to(user).select_related(
            "institution",
            "received_by",
            "service",
            "service__service_level",
            "resource",
            "team",
            "assignee",
            "reporter",
            "master",
            "merged_into",
        ),
        pk=pk,
    )


@login_required
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = ticket_for(user, pk)
    staff = can(user, "staff", ticket)
    work = can(user, "work", ticket)
    context: dict[str, Any] = {
        "ticket": ticket,
        "staff": staff,
        "can_work": work,
        "clocks": sla.clocks(ticket, timezone.now()) if staff else [],
        "timeline": timeline(user, ticket),
        "attachments": TicketAttachment.objects.visible_to(user).filter(ticket=ticket),
        "affected_services": _affected_services(user, ticket) if staff else [],
        "can_attach": can(user, "comment", ticket) and ticket.is_open,
        "nav_current": "tickets",
    }
    if staff:
        context.update(_links(user, ticket))
    if work:
        context.update(_work_forms(request, ticket))
    elif can(user, "comment", ticket):
        context["message_form"] = MessageForm()
    if ticket.kind == Kind.CHANGE and not work and can(user, "approve", ticket):
        context["moves"] = _moves(user, ticket, work=False)
    return render(request, "tickets/detail.html", context)


def _affected_services(user: Any, ticket: Ticket) -> list[Any]:
    """When a resource is interrupted: the services that depend on it (catalog graph)."""
    if not (ticket.interruption and ticket.resource_id):
        return []
    services = affected_services(ticket.resource_id).visible_to(user).order_by("name")
    return list(services.only("pk", "name")[:50])


def timeline(user: Any, ticket: Ticket) -> list[TicketEntry]:
    """The ticket's entries and those of the duplicates merged into it, oldest first."""
    duplicates = list(Ticket.objects.visible_to(user).filter(merged_into=ticket).only("kind"))
    refs = {d.pk: d.reference for d in duplicates}
    out = list(
        TicketEntry.objects.visible_to(user)
        .filter(ticket_id__in=[ticket.pk, *refs])
        .order_by("created_at", "id")
    )
    for entry in out:
        entry.from_ticket = refs.get(entry.ticket_id)  # type: ignore[attr-defined]
    return out


def _links(user: Any, ticket: Ticket) -> dict[str, Any]:
    visible = Ticket.objects.visible_to(user)
    links = (
        TicketLink.objects.visible_to(user)
        .filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source", "target")
    )
    articles = (
        ArticleTicketLink.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Ticket),
            ticket_id=ticket.pk,
            article__in=Article.objects.visible_to(user),
        )
        .select_related("article")
        .order_by("created_at")
    )
    return {
        "links_out": [link for link in links if link.source_id == ticket.pk],
        "links_in": [link for link in links if link.target_id == ticket.pk],
        "master": visible.filter(pk=ticket.master_id).first() if ticket.master_id else None,
        "reports": list(visible.filter(master=ticket)),
        "duplicates": list(visible.filter(merged_into=ticket)),
        "merged_into": visible.filter(pk=ticket.merged_into_id).first()
        if ticket.merged_into_id
        else None,
        "article_links": list(articles),
        "known_error_article": Article.objects.visible_to(user)
        .filter(pk=ticket.known_error_article_id)
        .first()
        if ticket.known_error_article_id
        else None,
    }


def _suggested(user: Any, ticket: Ticket) -> tuple[list[Any], list[Any]]:
    """Articles and similar tickets for the subject and description. The page works without
    them if the search index cannot answer."""
    text = f"{ticket.subject} {ticket.description}"[:2000]
    try:
        articles, similar = suggestions(user, text)
    except Exception:  # the index is a helper here, never a reason to fail the page
        log.exception("ticket suggestions failed for %s", ticket.pk)
        return [], []
    others = [h for h in (similar.hits if similar else []) if h.pk != ticket.pk]
    return list(articles.hits), others


def _insert_text(user: Any, ticket: Ticket, article_id: str) -> str:
    """The public text of a public article, for a reply."""
    if not article_id.isdigit():
        return ""
    article = (
        Article.objects.visible_to(user)
        .filter(pk=int(article_id), audience=Audience.PUBLIC)
        .prefetch_related("revisions")
        .first()
    )
    live = article.live_revision(ticket.language) if article is not None else None
    if live is None:
        return ""
    parts = [live.title, live.resolution, live.body]
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _moves(user: Any, ticket: Ticket, *, work: bool) -> list[Any]:
    approver = ticket.kind == Kind.CHANGE and can(user, "approve", ticket)
    return [
        m
        for m in workflow.moves(ticket.kind, ticket.state)
        if m.action not in OWN_FORM
        and (
            (approver and m.action in ("approve", "reject"))
            or (work and m.action not in ("approve", "reject"))
        )
    ]


def _work_forms(request: AuthedRequest, ticket: Ticket) -> dict[str, Any]:
    user = request.user
    inst = [ticket.institution_id]
    teams = teams_of(user, inst)
    articles, similar = _suggested(user, ticket)
    inserted = _insert_text(user, ticket, request.GET.get("insert", ""))
    entry_initial: dict[str, Any] = {"kind": EntryKind.NOTE, "minutes": 0}
    if inserted:
        entry_initial.update(kind=EntryKind.REPLY, body=inserted)
    used = {
        link.article_id
        for link in ArticleTicketLink.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Ticket), ticket_id=ticket.pk
        )
    }
    return {
        "moves": _moves(user, ticket, work=True),
        "assign_form": AssignForm(
            teams=teams,
            users=people_of(user, inst),
            initial={"team": ticket.team_id, "assignee": ticket.assignee_id},
        ),
        "edit_form": EditTicketForm(
            ticket=ticket,
            services=Service.objects.visible_to(user).filter(institution_id=ticket.institution_id),
            resources=Resource.objects.visible_to(user).filter(
                institution_id=ticket.institution_id
            ),
        ),
        "escalate_form": EscalateForm(
            teams=teams, initial={"to_level": 2 if ticket.level != 2 else 1}
        ),
        "handover_form": HandOverForm(
            institutions=Institution.objects.visible_to(user)
            .filter(is_active=True)
            .exclude(pk=ticket.institution_id)
            .order_by("name")
        ),
        "entry_form": EntryForm(initial=entry_initial),
        "inserted": bool(inserted),
        "link_form": ReferenceForm(),
        "known_error_form": KnownErrorForm(
            initial={"root_cause": ticket.root_cause, "workaround": ticket.workaround}
        )
        if ticket.kind == Kind.PROBLEM
        else None,
        "suggested_articles": articles,
        "public_articles": set(
            Article.objects.visible_to(user)
            .filter(pk__in=[h.pk for h in articles], audience=Audience.PUBLIC)
            .values_list("pk", flat=True)
        ),
        "similar_tickets": similar,
        "used_articles": used,
    }
