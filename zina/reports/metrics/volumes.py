"""Volumes: how many tickets of each type, channel, support level and service arrive and are
resolved, and how arrivals spread over the period.

Every figure is one GROUP BY query over the dashboard's tickets (``ctx.tickets``), counted
with conditional aggregates; only the handful of groups comes back to Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zina.catalog.models import Service
from zina.tickets.choices import Channel, Kind, Level

from ..context import ReportContext, metric
from ..tables import Cell, Chart, Column, Table, percent

RIGA = ZoneInfo(settings.TIME_ZONE)
TOP_SERVICES = 10


def in_period(ctx: ReportContext, field: str) -> Q:
    """``field`` falls in the period (start inclusive, end exclusive)."""
    return Q(**{f"{field}__gte": ctx.period.start, f"{field}__lt": ctx.period.end})


def service_names(ids: Iterable[int]) -> dict[int, str]:
    """Names of a few services, in English when the page is in English and one is given."""
    english = (get_language() or "").startswith("en")
    return {
        pk: (name_en if english and name_en else name)
        for pk, name, name_en in Service.objects.filter(pk__in=list(ids)).values_list(
            "pk", "name", "name_en"
        )
    }


def _buckets(ctx: ReportContext) -> list[tuple[date | datetime, datetime]]:
    """Every bucket of the period, first to last: (its label, the instant it begins)."""
    period, bucket = ctx.period, ctx.period.bucket
    if bucket == "hour":
        # Hours step in UTC (Riga's offset is whole hours): the day the clocks go back has 25
        # of them, with 03:00 twice; the spring day has 23.
        out: list[tuple[date | datetime, datetime]] = []
        at = period.start.astimezone(UTC)
        while at < period.end:
            out.append((at.astimezone(RIGA), at))
            at += timedelta(hours=1)
        return out
    if bucket == "day":
        first = period.first_day
    elif bucket == "week":
        first = period.first_day - timedelta(days=period.first_day.weekday())
    else:
        first = period.first_day.replace(day=1)
    days: list[tuple[date | datetime, datetime]] = []
    day = first
    while day <= period.last_day:
        days.append((day, datetime.combine(day, time.min, tzinfo=RIGA)))
        if bucket == "day":
            day += timedelta(days=1)
        elif bucket == "week":
            day += timedelta(days=7)
        else:
            day = (day + timedelta(days=32)).replace(day=1)
    return days


def bucket_index(field: str, starts: list[datetime]) -> Case | Value:
    """The number of the bucket ``field`` falls in (``starts``: when each bucket begins),
    as nested CASEs that halve the buckets at each level: a handful of comparisons per row,
    in SQL. (``Trunc`` with a time zone runs a Python function per row on SQLite, and
    truncating to hours in Riga would fold the repeated autumn hour into one.)"""

    def node(lo: int, hi: int) -> Case | Value:
        if hi - lo <= 1:
            return Value(lo)
        mid = (lo + hi) // 2
        return Case(
            When(**{f"{field}__lt": starts[mid]}, then=node(lo, mid)),
            default=node(mid, hi),
            output_field=IntegerField(),
        )

    return node(0, len(starts))


@metric("volumes.over_time")
def over_time(ctx: ReportContext) -> Table:
    kinds = list(Kind)
    buckets = _buckets(ctx)
    counts: dict[tuple[int, str], int] = {}
    rows_q = (
        ctx.created_in()
        .order_by()
        .annotate(bucket=bucket_index("created_at", [start for _label, start in buckets]))
        .values("bucket", "kind")
        .annotate(n=Count("pk"))
    )
    for row in rows_q:
        counts[(row["bucket"], row["kind"])] = row["n"]
    rows: list[list[Cell]] = []
    for i, (label, _start) in enumerate(buckets):
        values = [counts.get((i, k.value), 0) for k in kinds]
        rows.append([label, *values, sum(values)])
    total = sum(counts.values())
    unit = {
        "hour": _("Hour"),
        "day": _("Day"),
        "week": _("Week beginning"),
        "month": _("Month"),
    }[ctx.period.bucket]
    return Table(
        key="volumes.over_time",
        title=_("Tickets over time"),
        columns=[
            Column("bucket", unit, "date"),
            *(Column(k.value, k.label, "int") for k in kinds),
            Column("total", _("Total"), "int"),
        ],
        rows=rows,
        chart=Chart("stacked", "bucket", tuple(k.value for k in kinds)),
        description=_("Tickets created in each part of the period (Riga time), by type of ticket."),
        note="" if total else _("No tickets were created in this period."),
    )


def memo[T](ctx: ReportContext, key: str, compute: Callable[[], T]) -> T:
    """Compute once per dashboard request: metrics of one dashboard share a grouped query
    (the four volume tables one scan of the tickets, the SLA tables another)."""
    return ctx.memo(key, compute)


GROUPS = ("kind", "channel", "level", "service_id")


def _volume_groups(ctx: ReportContext) -> list[dict[str, Any]]:
    """Created and resolved in the period per (kind, channel, level, service): one GROUP BY
    query that all four volume tables add up (a few thousand groups at most)."""
    created, resolved = in_period(ctx, "created_at"), in_period(ctx, "resolved_at")
    return list(
        ctx.tickets.filter(created | resolved)
        .order_by()
        .values(*GROUPS)
        .annotate(created=Count("pk", filter=created), resolved=Count("pk", filter=resolved))
    )


def _created_and_resolved(ctx: ReportContext, field: str) -> dict[Any, tuple[int, int]]:
    """{value of ``field``: (created in the period, resolved in the period)}."""
    out: dict[Any, tuple[int, int]] = {}
    for row in memo(ctx, "volumes", lambda: _volume_groups(ctx)):
        created, resolved = out.get(row[field], (0, 0))
        out[row[field]] = (created + row["created"], resolved + row["resolved"])
    return out


def _volume_table(
    key: str,
    title: str,
    label: str,
    description: str,
    items: list[tuple[str, tuple[int, int]]],
) -> Table:
    total = sum(created for _label, (created, _resolved) in items)
    any_resolved = any(resolved for _label, (_created, resolved) in items)
    return Table(
        key=key,
        title=title,
        columns=[
            Column("label", label),
            Column("created", _("Created"), "int"),
            Column("share", _("Share of created"), "percent"),
            Column("resolved", _("Resolved"), "int"),
        ],
        rows=[
            [name, created, percent(created, total), resolved]
            for name, (created, resolved) in items
        ],
        chart=Chart("bar", "label", ("created", "resolved")),
        description=description,
        note=""
        if total or any_resolved
        else _("No tickets were created or resolved in this period."),
    )


@metric("volumes.by_kind")
def by_kind(ctx: ReportContext) -> Table:
    counts = _created_and_resolved(ctx, "kind")
    return _volume_table(
        "volumes.by_kind",
        _("Tickets by type"),
        _("Type"),
        _(
            "Tickets created and resolved in the period by type, with each type's share of "
            "those created."
        ),
        [(str(k.label), counts.get(k.value, (0, 0))) for k in Kind],
    )


@metric("volumes.by_channel")
def by_channel(ctx: ReportContext) -> Table:
    counts = _created_and_resolved(ctx, "channel")
    return _volume_table(
        "volumes.by_channel",
        _("Tickets by channel"),
        _("Channel"),
        _("Tickets created and resolved in the period by the channel they came through."),
        [(str(c.label), counts.get(c.value, (0, 0))) for c in Channel],
    )


@metric("volumes.by_level")
def by_level(ctx: ReportContext) -> Table:
    counts = _created_and_resolved(ctx, "level")
    return _volume_table(
        "volumes.by_level",
        _("Tickets by support level"),
        _("Support level"),
        _(
            "Tickets created and resolved in the period by the support level they are at now "
            "(level 0: answered by self-service)."
        ),
        [(str(lv.label), counts.get(lv.value, (0, 0))) for lv in Level],
    )


@metric("volumes.by_service")
def by_service(ctx: ReportContext) -> Table:
    counts = _created_and_resolved(ctx, "service_id")
    none = counts.pop(None, (0, 0))
    ranked = sorted(counts.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    top, rest = ranked[:TOP_SERVICES], ranked[TOP_SERVICES:]
    names = service_names(pk for pk, _counts in top)
    items = [(names.get(pk, str(pk)), figures) for pk, figures in top]
    if rest:
        items.append(
            (
                _("Other services (%(count)d)") % {"count": len(rest)},
                (sum(c for _pk, (c, _r) in rest), sum(r for _pk, (_c, r) in rest)),
            )
        )
    items.append((_("No service"), none))
    return _volume_table(
        "volumes.by_service",
        _("Tickets by service"),
        _("Service"),
        _(
            "Tickets created and resolved in the period for the services with the most "
            "tickets; the rest are added up in one row."
        ),
        items,
    )
