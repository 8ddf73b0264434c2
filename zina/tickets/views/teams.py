"""Teams: the level-1 and level-2 queues of each institution, and who works them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from zina.accounts.models import Institution
from zina.accounts.views import AuthedRequest
from zina.core.forms import add_operation_errors
from zina.core.permissions import can

from .. import operations as ops
from ..forms import TeamForm
from ..models import Team
from .common import people_of


def _managed(user: Any) -> list[Institution]:
    return [
        i
        for i in Institution.objects.visible_to(user).filter(is_active=True).order_by("name")
        if can(user, "manage_tickets", i)
    ]


@login_required
def teams(request: AuthedRequest) -> HttpResponse:
    visible = (
        Team.objects.visible_to(request.user)
        .select_related("institution")
        .prefetch_related("members")
        .order_by("institution__name", "level", "name")
    )
    managed = {i.pk for i in _managed(request.user)}
    return render(
        request,
        "tickets/teams.html",
        {"teams": visible, "managed": managed, "nav_current": "tickets"},
    )


@login_required
def team_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    team = get_object_or_404(Team.objects.visible_to(user), pk=pk) if pk else None
    if team is not None and not can(user, "change", team):
        raise PermissionDenied
    institutions = [team.institution] if team else _managed(user)
    if not institutions:
        raise PermissionDenied
    ids = [i.pk for i in institutions]
    form = TeamForm(
        request.POST or None,
        instance_team=team,
        institutions=Institution.objects.filter(pk__in=ids).order_by("name"),
        users=people_of(user, ids),
    )
    if request.method == "POST" and form.is_valid():
        data = form.data_object()
        try:
            if team is None:
                team = ops.create_team(
                    actor=user, institution=form.cleaned_data["institution"], data=data
                )
            else:
                team = ops.update_team(actor=user, team=team, data=data)
        except ValidationError as exc:
            add_operation_errors(form, exc)
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
            return redirect("tickets:teams")
    return render(
        request,
        "tickets/team_form.html",
        {"form": form, "team": team, "nav_current": "tickets"},
    )
