"""Queues: what waits now in each team's queue and how old it is, and each team's throughput
over the period. One GROUP BY query per table; team names are read for the few teams found.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zina.tickets import sla
from zina.tickets.choices import OPEN_STATES, Level
from zina.tickets.models import Team

from ..context import ReportContext, metric
from ..tables import Cell, Chart, Column, Table, percent
from .service_levels import (
    by_expression,
    groups_of,
    mean_minutes,
    open_past_due,
    seconds,
    ungrouped,
    with_clock_reference,
)
from .volumes import in_period

AGES = ("age_1", "age_3", "age_7", "age_older")


def _team_names(ids: set[Any]) -> dict[int, str]:
    return dict(Team.objects.filter(pk__in=[i for i in ids if i]).values_list("pk", "name"))


@metric("queues.backlog")
def backlog(ctx: ReportContext) -> Table:
    now = timezone.now()
    day, three, seven = (now - timedelta(days=d) for d in (1, 3, 7))
    rows_q = (
        with_clock_reference(ctx.tickets.filter(state__in=OPEN_STATES), now)
        .order_by()
        # Grouped by expressions so that SQLite reads the open tickets through the state
        # index (see ``service_levels.by_expression``).
        .annotate(**by_expression(("team_id", "level")))
        .values(*groups_of(("team_id", "level")))
        .annotate(
            total=Count("pk"),
            age_1=Count("pk", filter=Q(created_at__gt=day)),
            age_3=Count("pk", filter=Q(created_at__lte=day, created_at__gt=three)),
            age_7=Count("pk", filter=Q(created_at__lte=three, created_at__gt=seven)),
            age_older=Count("pk", filter=Q(created_at__lte=seven)),
            past_due=Count("pk", filter=open_past_due(now)),
        )
    )
    found = [ungrouped(row) for row in rows_q]
    names = _team_names({row["team_id"] for row in found})
    levels = dict(Level.choices)
    rows: list[list[Cell]] = []
    for row in sorted(
        found,
        key=lambda r: (r["team_id"] is None, r["level"], names.get(r["team_id"], "")),
    ):
        team = names.get(row["team_id"], "") if row["team_id"] else _("No team")
        queue = _("%(team)s, level %(level)d") % {"team": team, "level": row["level"]}
        rows.append(
            [
                queue,
                team,
                str(levels.get(row["level"], row["level"])),
                row["total"],
                row["age_1"],
                row["age_3"],
                row["age_7"],
                row["age_older"],
                row["past_due"],
            ]
        )
    return Table(
        key="queues.backlog",
        title=_("Open tickets by queue"),
        columns=[
            Column("queue", _("Queue")),
            Column("team", _("Team")),
            Column("level", _("Support level")),
            Column("total", _("Open"), "int"),
            Column("age_1", _("Under 1 day"), "int"),
            Column("age_3", _("1–3 days"), "int"),
            Column("age_7", _("3–7 days"), "int"),
            Column("age_older", _("Over 7 days"), "int"),
            Column("past_due", _("Past due"), "int"),
        ],
        rows=rows,
        chart=Chart("stacked", "queue", AGES),
        description=_(
            "Tickets open now (whatever the period) by the team and support level they are "
            "with, by age since they were created, and how many are past an SLA due time."
        ),
        note="" if rows else _("No tickets are open."),
    )


@metric("queues.by_team")
def by_team(ctx: ReportContext) -> Table:
    created, resolved = in_period(ctx, "created_at"), in_period(ctx, "resolved_at")
    # The population of the SLA tables (``service_levels.clocked``), as a condition.
    sla_resolved = resolved & Q(kind__in=sla.CLOCKED) & ~Q(level=Level.SELF_SERVICE)
    rows_q = (
        ctx.tickets.filter(created | resolved)
        .order_by()
        .values("team_id")
        .annotate(
            created=Count("pk", filter=created),
            resolved=Count("pk", filter=resolved),
            to_resolve=Sum(seconds("resolved_at"), filter=resolved),
            sla_resolved=Count("pk", filter=sla_resolved),
            sla_met=Count(
                "pk",
                filter=sla_resolved
                & Q(resolution_due__isnull=False, resolved_at__lte=F("resolution_due")),
            ),
        )
    )
    found = list(rows_q)
    names = _team_names({row["team_id"] for row in found})
    rows: list[list[Cell]] = []
    for row in sorted(found, key=lambda r: (r["team_id"] is None, names.get(r["team_id"], ""))):
        rows.append(
            [
                names.get(row["team_id"], "") if row["team_id"] else _("No team"),
                row["created"],
                row["resolved"],
                mean_minutes(row["to_resolve"], row["resolved"]),
                percent(row["sla_met"], row["sla_resolved"]),
            ]
        )
    return Table(
        key="queues.by_team",
        title=_("Teams"),
        columns=[
            Column("team", _("Team")),
            Column("created", _("Created"), "int"),
            Column("resolved", _("Resolved"), "int"),
            Column("to_resolve", _("Mean time to resolve"), "minutes"),
            Column("sla_met", _("Resolution on time"), "percent"),
        ],
        rows=rows,
        chart=Chart("bar", "team", ("created", "resolved")),
        description=_(
            "Per team the ticket is with now: tickets created and resolved in the period, the "
            "mean calendar time to resolve them and the share resolved by the SLA due time "
            "(SLA-clocked tickets at levels 1–2)."
        ),
        note="" if rows else _("No tickets were created or resolved in this period."),
    )
