"""The new-ticket page: staff record a ticket of any kind, with the knowledge suggestions
beside the subject and description ("search early")."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zina.accounts.models import Institution
from zina.accounts.views import AuthedRequest
from zina.catalog.models import Resource, Service
from zina.core.forms import add_operation_errors
from zina.core.permissions import can

from .. import operations as ops
from ..choices import Kind
from ..forms import NewTicketForm
from .common import people_of, teams_of


def openable_institutions(user: Any) -> list[Institution]:
    return [
        i
        for i in Institution.objects.visible_to(user).filter(is_active=True).order_by("name")
        if can(user, "open_ticket", i)
    ]


@login_required
def new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    institutions = openable_institutions(user)
    if not institutions:
        raise PermissionDenied
    kind = request.GET.get("kind", "")
    if kind not in Kind.values:
        kind = Kind.INCIDENT
    ids = [i.pk for i in institutions]
    form = NewTicketForm(
        request.POST or None,
        kind=kind,
        institutions=Institution.objects.filter(pk__in=ids).order_by("name"),
        services=Service.objects.visible_to(user).filter(institution_id__in=ids),
        resources=Resource.objects.visible_to(user).filter(institution_id__in=ids),
        teams=teams_of(user, ids),
        users=people_of(user, ids),
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            ticket = ops.open_ticket(
                actor=user,
                institution=c["institution"],
                kind=kind,
                data=form.data_object(),
                reporter=_reporter(c, user),
                team=c["team"],
                assignee=c["assignee"],
            )
        except ValidationError as exc:
            add_operation_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(ref)s opened.") % {"ref": ticket.reference})
            return redirect(ticket)
    return render(
        request,
        "tickets/new.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "kinds": Kind.choices,
            "nav_current": "tickets",
        },
    )


def _reporter(c: dict[str, Any], user: Any) -> ops.Reporter:
    """The person named in the form; without one, the staff member records it themselves."""
    if c["reporter_name"] or c["reporter_email"] or c["reporter_phone"]:
        return ops.Reporter(
            name=c["reporter_name"], email=c["reporter_email"], phone=c["reporter_phone"]
        )
    return ops.Reporter(user=user)
