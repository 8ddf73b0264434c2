"""The ticket page's forms: one POST endpoint per action, each calling one operation (or a
few in one transaction) and coming back to the page with a message. Bad input is a message,
never an error page; a user who may not act gets 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zina.accounts.models import Institution
from zina.accounts.views import AuthedRequest
from zina.catalog.models import Resource, Service
from zina.core.permissions import can, require
from zina.knowledge.models import Article

from .. import operations as ops
from ..choices import PREFIXES, EntryKind
from ..forms import (
    AssignForm,
    EditTicketForm,
    EntryForm,
    EscalateForm,
    HandOverForm,
    KnownErrorForm,
    MessageForm,
    MoveForm,
    ReferenceForm,
)
from ..models import Ticket, TicketLink
from .common import flash_form, flash_validation, people_of, teams_of
from .detail import ticket_for

Handler = Callable[[AuthedRequest, Ticket], HttpResponse | None]


def _valid(request: AuthedRequest, form: forms.BaseForm) -> bool:
    if form.is_valid():
        return True
    flash_form(request, form)
    return False


def _other(request: AuthedRequest, form: ReferenceForm, *, required: bool = True) -> Ticket | None:
    """The ticket named in a reference form, among those the user sees; raises ValidationError."""
    parsed = form.cleaned_data["target"]
    if parsed is None:
        if required:
            raise ValidationError(_("Write a ticket reference such as INC-12."))
        return None
    prefix, pk = parsed
    other = Ticket.objects.visible_to(request.user).filter(pk=pk).first()
    if other is None or (prefix and PREFIXES.get(other.kind) != prefix):  # type: ignore[call-overload]
        raise ValidationError(_("Ticket %(ref)s was not found.") % {"ref": f"{prefix}-{pk}"})
    return other


def _take(request: AuthedRequest, ticket: Ticket) -> None:
    ops.take(actor=request.user, ticket=ticket)
    messages.success(request, _("You took the ticket."))


def _assign(request: AuthedRequest, ticket: Ticket) -> None:
    inst = [ticket.institution_id]
    form = AssignForm(
        request.POST, teams=teams_of(request.user, inst), users=people_of(request.user, inst)
    )
    if _valid(request, form):
        c = form.cleaned_data
        ops.assign(actor=request.user, ticket=ticket, team=c["team"], assignee=c["assignee"])
        messages.success(request, _("Assignment saved."))


def _move(request: AuthedRequest, ticket: Ticket) -> HttpResponse | None:
    form = MoveForm(request.POST)
    if not _valid(request, form):
        return None
    c = form.cleaned_data
    revision = None
    with transaction.atomic():
        ops.transition(
            actor=request.user,
            ticket=ticket,
            action=c["action"],
            note=c["note"],
            resolution=c["resolution"],
            waiting_on=c["waiting_on"],
            version=c["version"],
        )
        if c["action"] == "resolve" and c["article"]:
            ops.use_article(actor=request.user, ticket=ticket, article=_article(request, c))
        if c["action"] == "resolve" and c["draft"]:
            revision = ops.draft_article(
                actor=request.user, ticket=Ticket.objects.get(pk=ticket.pk)
            )
    messages.success(request, _("Saved."))
    if revision is not None:
        return redirect("knowledge:revision_edit", pk=revision.article_id, rid=revision.pk)
    return None


def _article(request: AuthedRequest, c: dict[str, Any]) -> Article:
    article = Article.objects.visible_to(request.user).filter(pk=int(c["article"])).first()
    if article is None:
        raise ValidationError(_("The article was not found."))
    return article


def _edit(request: AuthedRequest, ticket: Ticket) -> None:
    user = request.user
    form = EditTicketForm(
        request.POST,
        ticket=ticket,
        services=Service.objects.visible_to(user).filter(institution_id=ticket.institution_id),
        resources=Resource.objects.visible_to(user).filter(institution_id=ticket.institution_id),
    )
    if _valid(request, form):
        ops.update_ticket(
            actor=user,
            ticket=ticket,
            data=form.data_object(),
            version=form.cleaned_data["version"],
        )
        messages.success(request, _("Details saved."))


def _escalate(request: AuthedRequest, ticket: Ticket) -> None:
    form = EscalateForm(request.POST, teams=teams_of(request.user, [ticket.institution_id]))
    if _valid(request, form):
        c = form.cleaned_data
        ops.escalate(
            actor=request.user,
            ticket=ticket,
            to_level=c["to_level"],
            reason=c["reason"],
            team=c["team"],
        )
        messages.success(request, _("Ticket escalated."))


def _hand_over(request: AuthedRequest, ticket: Ticket) -> HttpResponse | None:
    form = HandOverForm(
        request.POST,
        institutions=Institution.objects.visible_to(request.user).filter(is_active=True),
    )
    if not _valid(request, form):
        return None
    c = form.cleaned_data
    ops.hand_over(
        actor=request.user, ticket=ticket, institution=c["institution"], reason=c["reason"]
    )
    messages.success(request, _("Ticket handed over to %(name)s.") % {"name": c["institution"]})
    if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
        return redirect("tickets:queue")
    return None


def _entry(request: AuthedRequest, ticket: Ticket) -> None:
    form = EntryForm(request.POST)
    if _valid(request, form):
        c = form.cleaned_data
        ops.add_entry(
            actor=request.user,
            ticket=ticket,
            kind=c["kind"],
            body=c["body"],
            minutes=c["minutes"] or 0,
        )
        messages.success(
            request, _("Reply sent.") if c["kind"] == EntryKind.REPLY else _("Note saved.")
        )


def _message(request: AuthedRequest, ticket: Ticket) -> None:
    require(request.user, "comment", ticket)
    form = MessageForm(request.POST)
    if _valid(request, form):
        ops.add_entry(
            actor=request.user,
            ticket=ticket,
            kind=EntryKind.INCOMING,
            body=form.cleaned_data["body"],
        )
        messages.success(request, _("Your message was sent."))


def _link(request: AuthedRequest, ticket: Ticket) -> None:
    form = ReferenceForm(request.POST)
    if _valid(request, form):
        target = _other(request, form)
        assert target is not None
        relation = form.cleaned_data["relation"]
        if not relation:
            raise ValidationError(_("Choose the relation."))
        ops.link_tickets(actor=request.user, source=ticket, target=target, kind=relation)
        messages.success(request, _("Tickets linked."))


def _unlink(request: AuthedRequest, ticket: Ticket) -> None:
    raw = request.POST.get("link", "")
    link = (
        TicketLink.objects.visible_to(request.user)
        .filter(pk=int(raw), source=ticket)
        .select_related("source", "target")
        .first()
        if raw.isdigit()
        else None
    )
    if link is None:
        raise ValidationError(_("The link was not found."))
    ops.unlink_tickets(actor=request.user, link=link)
    messages.success(request, _("Link removed."))


def _master(request: AuthedRequest, ticket: Ticket) -> None:
    form = ReferenceForm(request.POST)
    if _valid(request, form):
        master = _other(request, form, required=False)
        ops.set_master(actor=request.user, ticket=ticket, master=master)
        messages.success(request, _("Master incident saved."))


def _merge(request: AuthedRequest, ticket: Ticket) -> HttpResponse | None:
    form = ReferenceForm(request.POST)
    if not _valid(request, form):
        return None
    into = _other(request, form)
    assert into is not None
    kept = ops.merge(actor=request.user, duplicate=ticket, into=into)
    messages.success(request, _("Merged into %(ref)s.") % {"ref": kept.reference})
    return redirect(kept)


def _known_error(request: AuthedRequest, ticket: Ticket) -> None:
    form = KnownErrorForm(request.POST)
    if _valid(request, form):
        c = form.cleaned_data
        ops.record_known_error(
            actor=request.user,
            problem=ticket,
            root_cause=c["root_cause"],
            workaround=c["workaround"],
            audience=c["audience"],
        )
        messages.success(request, _("Known error recorded, with its article."))


def _draft_article(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    revision = ops.draft_article(actor=request.user, ticket=ticket)
    messages.success(request, _("Article drafted from this ticket. Edit it and submit it."))
    return redirect("knowledge:revision_edit", pk=revision.article_id, rid=revision.pk)


def _use_article(request: AuthedRequest, ticket: Ticket) -> None:
    raw = request.POST.get("article", "")
    article = _article(request, {"article": int(raw) if raw.isdigit() else 0})
    ops.use_article(actor=request.user, ticket=ticket, article=article)
    messages.success(request, _("Article marked as used to resolve this ticket."))


HANDLERS: dict[str, Handler] = {
    "take": _take,
    "assign": _assign,
    "move": _move,
    "edit": _edit,
    "escalate": _escalate,
    "hand_over": _hand_over,
    "entry": _entry,
    "message": _message,
    "link": _link,
    "unlink": _unlink,
    "master": _master,
    "merge": _merge,
    "known_error": _known_error,
    "draft_article": _draft_article,
    "use_article": _use_article,
}


@login_required
@require_POST
def action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    handler = HANDLERS.get(name)
    if handler is None:
        raise Http404
    ticket = ticket_for(request.user, pk)
    # Approvers act on changes through "move" (the operation checks which move); the
    # reporter writes a message; everything else is work on the ticket.
    approver = name == "move" and can(request.user, "approve", ticket)
    if name != "message" and not approver:
        require(request.user, "work", ticket)
    try:
        response = handler(request, ticket)
    except ValidationError as exc:
        flash_validation(request, exc)
        response = None
    return response or redirect(ticket)
