"""The queue: tickets the user sees, filtered, sorted and paged; built-in views per role;
bulk assignment and resolution."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zina.accounts.models import Institution
from zina.accounts.roles import APPROVE_CHANGES, READ_TICKETS, WORK_TICKETS, has_any_capability
from zina.accounts.views import AuthedRequest
from zina.catalog.choices import Priority
from zina.catalog.models import Service
from zina.core.forms import paginate
from zina.search.queries import ranked_ids

from .. import operations as ops
from .. import workflow
from ..choices import OPEN_STATES, Kind, Level, State
from ..forms import BulkForm
from ..models import SlaEvent, Ticket
from ..queries import with_breached
from .common import error_messages, people_of, teams_of

FILTERS = (
    "q",
    "type",
    "state",
    "priority",
    "level",
    "team",
    "assignee",
    "service",
    "institution",
    "sla",
    "sort",
)
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (F("resolution_due").asc(nulls_last=True), "-created_at", "-id"),
    "priority": ("priority", F("resolution_due").asc(nulls_last=True), "-id"),
    "newest": ("-created_at", "-id"),
}
# At risk: a warning was recorded, or a due time is this close (wall-clock).
AT_RISK_WITHIN = timedelta(hours=2)


def saved_views(user: Any) -> list[tuple[Any, str]]:
    """Built-in views as (label, query string), per what the user does."""
    views: list[tuple[Any, str]] = []
    if has_any_capability(user, {WORK_TICKETS, READ_TICKETS}) or user.is_superuser:
        views += [
            (gettext_lazy("My tickets"), "assignee=mine&state=open&sort=due"),
            (gettext_lazy("My team's queue"), "team=mine&state=open&sort=due"),
            (gettext_lazy("Level 1 queue"), "level=1&state=open&sort=due"),
            (gettext_lazy("Level 2 queue"), "level=2&state=open&sort=due"),
            (gettext_lazy("Breached SLA"), "sla=breached&state=open&sort=due"),
            (gettext_lazy("Problems"), "type=problem&state=open&sort=newest"),
        ]
    if has_any_capability(user, {APPROVE_CHANGES}) or user.is_superuser or views:
        views.append(
            (
                gettext_lazy("Changes awaiting approval"),
                "type=change&state=awaiting_approval&sort=newest",
            )
        )
    return views


def filtered(user: Any, f: dict[str, str]) -> QuerySet[Ticket]:
    """The tickets the user sees, narrowed by the filters (unknown values match nothing)."""
    qs: QuerySet[Ticket] = Ticket.objects.visible_to(user)
    now = timezone.now()
    if f["q"]:
        qs = qs.filter(pk__in=ranked_ids(user, f["q"], "ticket"))
    if f["type"]:
        qs = qs.filter(kind=f["type"])
    if f["state"] == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif f["state"]:
        qs = qs.filter(state=f["state"])
    if f["priority"]:
        qs = qs.filter(priority=f["priority"])
    if f["level"]:
        qs = qs.filter(level=int(f["level"])) if f["level"].isdigit() else qs.none()
    if f["team"] == "mine":
        qs = qs.filter(team__members=user)
    elif f["team"]:
        qs = qs.filter(team_id=int(f["team"])) if f["team"].isdigit() else qs.none()
    if f["assignee"] == "mine":
        qs = qs.filter(assignee_id=user.pk)
    elif f["assignee"] == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif f["assignee"]:
        qs = qs.filter(assignee_id=int(f["assignee"])) if f["assignee"].isdigit() else qs.none()
    for name in ("service", "institution"):
        if f[name]:
            qs = qs.filter(**{f"{name}_id": int(f[name])}) if f[name].isdigit() else qs.none()
    if f["sla"] == "breached":
        qs = with_breached(qs.filter(state__in=OPEN_STATES), now)
    elif f["sla"] == "at_risk":
        soon = now + AT_RISK_WITHIN
        warned = SlaEvent.objects.filter(ticket=OuterRef("pk"), event=SlaEvent.WARNING)
        qs = with_breached(qs.filter(state__in=OPEN_STATES), now, breached=False).filter(
            Exists(warned)
            | Q(response_due__lte=soon, responded_at__isnull=True)
            | Q(resolution_due__lte=soon, resolved_at__isnull=True)
        )
    return qs.order_by(*SORTS.get(f["sort"], SORTS["due"])).distinct()


def _options(user: Any) -> dict[str, Any]:
    institutions = list(Institution.objects.visible_to(user).order_by("name"))
    ids = [i.pk for i in institutions]
    return {
        "kinds": Kind.choices,
        "states": [("open", _("Open (any)")), *State.choices],
        "priorities": Priority.choices,
        "levels": [(str(v), label) for v, label in Level.choices],
        "institutions": [(str(i.pk), str(i)) for i in institutions],
        "services": [
            (str(s.pk), s.name)
            for s in Service.objects.visible_to(user).filter(institution_id__in=ids).only("name")
        ],
        "teams": list(teams_of(user, ids)),
        "people": list(people_of(user, ids)),
        "slas": [("breached", _("Breached")), ("at_risk", _("At risk"))],
        "sorts": [("due", _("SLA due")), ("priority", _("Priority")), ("newest", _("Newest"))],
    }


@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    user = request.user
    f = {k: request.GET.get(k, "").strip()[:200] for k in FILTERS}
    if not request.GET:  # a fresh visit shows the work still to do
        f["state"] = "open"
    qs = filtered(user, f).select_related("institution", "service", "team", "assignee")
    page = paginate(request, qs)
    now = timezone.now()
    rows = [(t, _sla_flag(t, now)) for t in page.object_list]
    options = _options(user)
    return render(
        request,
        "tickets/queue.html",
        {
            "page": page,
            "rows": rows,
            "f": f,
            "saved_views": saved_views(user),
            "can_open": has_any_capability(user, {WORK_TICKETS}) or user.is_superuser,
            "new_kinds": Kind.choices,
            **options,
        },
    )


def _sla_flag(ticket: Ticket, now: Any) -> str:
    """ "breached", "met" or "" for a row (the ticket page shows the full clock)."""
    for due, done in (
        (ticket.response_due, ticket.responded_at),
        (ticket.resolution_due, ticket.resolved_at),
    ):
        if due is None:
            continue
        if (done or (now if ticket.is_open else None) or due) > due:
            return "breached"
    return ""


@login_required
@require_POST
def bulk(request: AuthedRequest) -> HttpResponse:
    """Assign or resolve the ticked tickets, each through its own operation: one failing
    ticket is reported and leaves the others done."""
    user = request.user
    visible = Ticket.objects.visible_to(user)
    institution_ids = set(visible.values_list("institution_id", flat=True).distinct())
    form = BulkForm(
        request.POST,
        teams=teams_of(user, institution_ids),
        users=people_of(user, institution_ids),
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, _("Tick some tickets and choose what to do with them."))
        return redirect(back or "tickets:queue")
    c = form.cleaned_data
    done, failed = 0, 0
    for ticket in visible.filter(pk__in=c["ids"][:500]).select_related("institution"):
        try:
            if c["op"] == "assign":
                ops.assign(actor=user, ticket=ticket, team=c["team"], assignee=c["assignee"])
            elif workflow.find(ticket.kind, ticket.state, "resolve"):
                ops.transition(
                    actor=user, ticket=ticket, action="resolve", resolution=c["resolution"]
                )
            else:
                ops.transition(actor=user, ticket=ticket, action="close")
        except ValidationError as exc:
            failed += 1
            messages.error(request, f"{ticket.reference}: {' '.join(error_messages(exc))}")
        except PermissionDenied:
            failed += 1
            messages.error(request, f"{ticket.reference}: {_('You may not work on this ticket.')}")
        else:
            done += 1
    if done:
        messages.success(request, _("Done for %(n)d ticket(s).") % {"n": done})
    if not done and not failed:
        messages.error(request, _("None of the ticked tickets was found."))
    return redirect(back or "tickets:queue")
