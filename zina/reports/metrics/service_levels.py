"""Service levels: SLA compliance, mean times to acknowledge and resolve, first-contact and
level-1 resolution, escalation to level 2, and the breaches themselves.

Whose clocks count: tickets of the kinds with an SLA clock (incidents, service requests,
complaints, suggestions — ``tickets.sla.CLOCKED``) handled by staff (support level 1 or 2;
level-0 self-service outcomes never had a clock). All figures are conditional aggregates in
one query per table.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zina.catalog.choices import Priority
from zina.tickets import sla
from zina.tickets.choices import OPEN_STATES, EntryKind, Level, SlaMetric
from zina.tickets.models import SlaEvent, Ticket, TicketEntry
from zina.tickets.queries import clock_reference

from ..context import ReportContext, metric
from ..tables import Cell, Chart, Column, Table, percent
from .volumes import in_period, memo, service_names

BREACHES_SHOWN = 200


def clocked(ctx: ReportContext) -> QuerySet[Ticket]:
    """The dashboard's tickets that run SLA clocks: clocked kinds, at a staff support level."""
    return ctx.tickets.filter(kind__in=sla.CLOCKED).exclude(level=Level.SELF_SERVICE)


def with_clock_reference(qs: QuerySet[Ticket], now: datetime) -> QuerySet[Ticket]:
    """Alias ``clock_at``: the time the clock reads now (``tickets.queries.clock_reference``)."""
    return qs.alias(clock_at=clock_reference(now))


def open_past_due(now: datetime, metric_: str | None = None) -> Q:
    """Open tickets whose response (or resolution, or either) is past due at ``now``.
    Needs :func:`with_clock_reference`; ``now`` only narrows what the index reads."""
    response = Q(responded_at__isnull=True, response_due__lt=now) & Q(
        response_due__lt=F("clock_at")
    )
    resolution = Q(resolution_due__lt=now) & Q(resolution_due__lt=F("clock_at"))
    if metric_ == SlaMetric.RESPONSE:
        late = response
    elif metric_ == SlaMetric.RESOLUTION:
        late = resolution
    else:
        late = response | resolution
    return Q(state__in=OPEN_STATES) & late


def mean_minutes(seconds: int | float | Decimal | None, count: int) -> float | None:
    """A mean in minutes (one decimal) from a sum of whole seconds; None over nothing."""
    if not count or seconds is None:
        return None
    return round(float(seconds) / count / 60, 1)


class SecondsBetween(Func):
    """Whole seconds from ``start`` to ``end`` (each cut to the second), in SQL, with the same
    integers on SQLite and PostgreSQL.

    (Django's portable ``ExpressionWrapper(F(end) - F(start), DurationField())`` runs a Python
    function per row on SQLite — too slow for a million tickets.)"""

    arity = 2
    output_field = BigIntegerField()

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            sql = (
                f"(CAST(strftime('%%s', {end}) AS INTEGER)"
                f" - CAST(strftime('%%s', {start}) AS INTEGER))"
            )
        else:
            sql = (
                f"(EXTRACT(EPOCH FROM date_trunc('second', {end}))::bigint"
                f" - EXTRACT(EPOCH FROM date_trunc('second', {start}))::bigint)"
            )
        return sql, (*end_params, *start_params)


def seconds(end: str, start: str = "created_at") -> SecondsBetween:
    """Whole seconds from ``start`` to ``end``."""
    return SecondsBetween(F(end), F(start))


# --- SLA compliance -------------------------------------------------------------------------


def by_expression(fields: tuple[str, ...]) -> dict[str, Any]:
    """``g_<field>``: the field as an expression (see the use), NULL read as 0 or ""."""
    return {
        f"g_{f}": Coalesce(f, Value(0 if f.endswith("_id") or f == "level" else "")) for f in fields
    }


def groups_of(fields: tuple[str, ...]) -> list[str]:
    return [f"g_{f}" for f in fields]


def ungrouped(row: dict[str, Any]) -> dict[str, Any]:
    """A row grouped by :func:`by_expression` with its fields under their own names again."""
    out = {}
    for name, value in row.items():
        if name.startswith("g_"):
            name, value = name[2:], (None if value in (0, "") and name.endswith("_id") else value)
        out[name] = value
    return out


def _sla_groups(ctx: ReportContext) -> list[dict[str, Any]]:
    """Per (service, priority): the tickets whose response or resolution clock ended in the
    period, the open ones past due now, and the sums behind the mean times — for the
    compliance tables and the mean times alike.

    Three GROUP BY queries, each over one indexed condition (responded in the period,
    resolved in the period, open now), rather than one over their OR, which SQLite reads as
    a scan of the whole table."""
    now = timezone.now()
    base = clocked(ctx).order_by()
    groups = ("service_id", "priority")
    responded = (
        base.filter(in_period(ctx, "responded_at"))
        .values(*groups)
        .annotate(
            responses=Count("pk"),
            responses_met=Count(
                "pk", filter=Q(response_due__isnull=False, responded_at__lte=F("response_due"))
            ),
            acknowledged=Count("pk"),
            to_acknowledge=Sum(seconds("responded_at")),
        )
    )
    # A ticket resolved without a reply of its own (a report resolved with its master
    # incident) answered its reporter with the resolution: its response clock ended then.
    unanswered = Q(responded_at__isnull=True)
    resolved = (
        base.filter(in_period(ctx, "resolved_at"))
        .values(*groups)
        .annotate(
            resolutions=Count("pk"),
            resolutions_met=Count(
                "pk", filter=Q(resolution_due__isnull=False, resolved_at__lte=F("resolution_due"))
            ),
            to_resolve=Sum(seconds("resolved_at")),
            responses=Count("pk", filter=unanswered),
            responses_met=Count(
                "pk",
                filter=unanswered
                & Q(response_due__isnull=False, resolved_at__lte=F("response_due")),
            ),
        )
    )
    late = (
        with_clock_reference(base.filter(state__in=OPEN_STATES), now)
        # Grouped by expressions: grouped by the bare columns, SQLite walks the whole table
        # along the service (or priority) index to save a sort, instead of reading the few
        # open tickets through the state index.
        .annotate(**by_expression(groups))
        .values(*groups_of(groups))
        .annotate(
            responses_late=Count("pk", filter=open_past_due(now, SlaMetric.RESPONSE)),
            resolutions_late=Count("pk", filter=open_past_due(now, SlaMetric.RESOLUTION)),
        )
    )
    merged: dict[tuple[Any, Any], dict[str, Any]] = {}
    for rows in (responded, resolved, late):
        for row in rows:
            row = ungrouped(row)
            key = (row["service_id"], row["priority"])
            into = merged.setdefault(key, {"service_id": key[0], "priority": key[1]})
            for name, value in row.items():
                if name not in groups:
                    into[name] = into.get(name, 0) + (value or 0)
    return list(merged.values())


def _sum_by(ctx: ReportContext, group: str, keys: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
    """The SLA groups added up by ``group`` (service_id or priority)."""
    out: dict[Any, dict[str, Any]] = {}
    for row in memo(ctx, "sla", lambda: _sla_groups(ctx)):
        sums = out.setdefault(row[group], dict.fromkeys(keys, 0))
        for k in keys:
            sums[k] += row.get(k) or 0
    return out


def _compliance(ctx: ReportContext, group: str) -> dict[Any, dict[str, int]]:
    return _sum_by(ctx, group, COMPLIANCE_KEYS)


COMPLIANCE_KEYS = (
    "responses",
    "responses_met",
    "responses_late",
    "resolutions",
    "resolutions_met",
    "resolutions_late",
)


def _compliance_row(label: str, c: dict[str, int]) -> list[Cell]:
    return [
        label,
        c["responses"],
        percent(c["responses_met"], c["responses"]),
        c["responses_late"],
        c["resolutions"],
        percent(c["resolutions_met"], c["resolutions"]),
        c["resolutions_late"],
    ]


def _compliance_table(
    key: str, title: str, label: str, items: list[tuple[str, dict[str, int]]]
) -> Table:
    total = {k: sum(c[k] for _label, c in items) for k in COMPLIANCE_KEYS}
    rows = [_compliance_row(name, c) for name, c in items]
    if items:
        rows.append(_compliance_row(_("All"), total))
    return Table(
        key=key,
        title=title,
        columns=[
            Column("label", label),
            Column("responses", _("Responses"), "int"),
            Column("response_met", _("Response on time"), "percent"),
            Column("responses_late", _("Open, response overdue"), "int"),
            Column("resolutions", _("Resolutions"), "int"),
            Column("resolution_met", _("Resolution on time"), "percent"),
            Column("resolutions_late", _("Open, resolution overdue"), "int"),
        ],
        rows=rows,
        chart=Chart("bar", "label", ("response_met", "resolution_met")),
        description=_(
            "Share of the responses and resolutions given in the period that came by their "
            "SLA due time (a ticket without a due time counts as late), and the open tickets "
            "past due now; incidents, service requests, complaints and suggestions at "
            "levels 1–2."
        ),
        note=""
        if any(total.values())
        else _("No SLA clock ended in this period and none is overdue."),
    )


@metric("sla.compliance_by_service")
def compliance_by_service(ctx: ReportContext) -> Table:
    counts = _compliance(ctx, "service_id")
    none = counts.pop(None, None)
    names = service_names(counts)
    items = sorted(((names.get(pk, str(pk)), c) for pk, c in counts.items()), key=lambda i: i[0])
    if none is not None:
        items.append((_("No service"), none))
    return _compliance_table(
        "sla.compliance_by_service", _("SLA compliance by service"), _("Service"), items
    )


@metric("sla.compliance_by_priority")
def compliance_by_priority(ctx: ReportContext) -> Table:
    counts = _compliance(ctx, "priority")
    zero = dict.fromkeys(COMPLIANCE_KEYS, 0)
    return _compliance_table(
        "sla.compliance_by_priority",
        _("SLA compliance by priority"),
        _("Priority"),
        [(str(p.label), counts.get(p.value, zero)) for p in Priority] if counts else [],
    )


# --- Mean times -----------------------------------------------------------------------------


@metric("sla.mean_times")
def mean_times(ctx: ReportContext) -> Table:
    keys = ("acknowledged", "to_acknowledge", "resolutions", "to_resolve")
    by_priority = {
        p: sums
        for p, sums in _sum_by(ctx, "priority", keys).items()
        if sums["acknowledged"] or sums["resolutions"]
    }
    zero = dict.fromkeys(keys, 0)
    items = [(str(p.label), by_priority.get(p.value, zero)) for p in Priority]
    all_ = {k: sum(row[k] for row in by_priority.values()) for k in keys}
    rows: list[list[Cell]] = [
        [
            label,
            row["acknowledged"],
            mean_minutes(row["to_acknowledge"], row["acknowledged"]),
            row["resolutions"],
            mean_minutes(row["to_resolve"], row["resolutions"]),
        ]
        for label, row in [*items, (_("All"), all_)]
    ]
    return Table(
        key="sla.mean_times",
        title=_("Mean time to acknowledge and to resolve"),
        columns=[
            Column("label", _("Priority")),
            Column("acknowledged", _("Acknowledged"), "int"),
            Column("to_acknowledge", _("Mean time to acknowledge"), "minutes"),
            Column("resolved", _("Resolved"), "int"),
            Column("to_resolve", _("Mean time to resolve"), "minutes"),
        ],
        rows=rows if by_priority else [],
        chart=Chart("bar", "label", ("to_acknowledge", "to_resolve")),
        description=_(
            "Mean calendar time from a ticket's creation to its first response and to its "
            "resolution, for responses and resolutions in the period (incidents, service "
            "requests, complaints and suggestions at levels 1–2)."
        ),
        note="" if by_priority else _("No ticket was acknowledged or resolved in this period."),
    )


# --- Resolution rates -----------------------------------------------------------------------

# Work-log events that mean a ticket was not settled at the first contact.
NOT_FIRST_CONTACT = ("escalated", "handed_over", "wait", "reopen")


@metric("sla.resolution_rates")
def resolution_rates(ctx: ReportContext) -> Table:
    events = TicketEntry.objects.filter(ticket=OuterRef("pk"), kind=EntryKind.EVENT)
    escalated = events.filter(verb="escalated")
    to_level_2 = escalated.filter(data__to_level=Level.SECOND.value)
    followed_up = TicketEntry.objects.filter(ticket=OuterRef("pk")).filter(
        Q(kind=EntryKind.EVENT, verb__in=NOT_FIRST_CONTACT)
        | Q(kind=EntryKind.INCOMING, created_at__gt=OuterRef("responded_at"))
    )
    resolved = (
        clocked(ctx)
        .filter(in_period(ctx, "resolved_at"))
        .aggregate(
            n=Count("pk"),
            first_contact=Count("pk", filter=Q(Q(level=Level.FIRST), ~Exists(followed_up))),
            level_1=Count("pk", filter=Q(Q(level=Level.FIRST), ~Exists(escalated))),
        )
    )
    created = ctx.created_in(clocked(ctx)).aggregate(
        n=Count("pk"), escalated=Count("pk", filter=Exists(to_level_2))
    )
    rows: list[list[Cell]] = [
        [
            _("First-contact resolution"),
            _(
                "Resolved in the period at level 1 with no escalation, hand-over, wait or "
                "reopening and no message from the reporter after the first response, of "
                "all resolved in the period."
            ),
            resolved["first_contact"],
            resolved["n"],
            percent(resolved["first_contact"], resolved["n"]),
        ],
        [
            _("Level-1 resolution"),
            _(
                "Resolved in the period at level 1 and never escalated, of all resolved in "
                "the period."
            ),
            resolved["level_1"],
            resolved["n"],
            percent(resolved["level_1"], resolved["n"]),
        ],
        [
            _("Escalation to level 2"),
            _(
                "Created in the period and escalated to level 2 since, of all created in the "
                "period."
            ),
            created["escalated"],
            created["n"],
            percent(created["escalated"], created["n"]),
        ],
    ]
    return Table(
        key="sla.resolution_rates",
        title=_("First-contact and level-1 resolution, escalation"),
        columns=[
            Column("label", _("Measure")),
            Column("definition", _("Definition")),
            Column("count", _("Tickets"), "int"),
            Column("base", _("Out of"), "int"),
            Column("rate", _("Rate"), "percent"),
        ],
        rows=rows,
        chart=Chart("bar", "label", ("rate",)),
        description=_(
            "How much support levels 1–2 settle without passing tickets on, from the work "
            "log's escalation, hand-over, wait and reopening events (incidents, service "
            "requests, complaints and suggestions)."
        ),
        note=""
        if resolved["n"] or created["n"]
        else _("No ticket was created or resolved in this period."),
    )


# --- Breaches -------------------------------------------------------------------------------


@metric("sla.breaches")
def breaches(ctx: ReportContext) -> Table:
    visible = Exists(ctx.tickets.filter(pk=OuterRef("ticket_id")))
    qs = SlaEvent.objects.filter(in_period(ctx, "at"), visible, event=SlaEvent.BREACH).order_by(
        "-at", "-id"
    )
    total = qs.count()
    shown = list(
        qs[:BREACHES_SHOWN].values_list(
            "ticket_id",
            "ticket__kind",
            "ticket__subject",
            "ticket__service_id",
            "metric",
            "due_at",
            "at",
        )
    )
    names = service_names({row[3] for row in shown if row[3]})
    metrics = dict(SlaMetric.choices)
    rows: list[list[Cell]] = []
    for pk, kind, subject, service_id, metric_, due, at in shown:
        ticket = Ticket(pk=pk, kind=kind)
        rows.append(
            [
                (ticket.reference, ticket.get_absolute_url()),
                subject,
                names.get(service_id, "") if service_id else "",
                str(metrics.get(metric_, metric_)),
                due,
                at,
            ]
        )
    if not total:
        note = _("No SLA was breached in this period.")
    elif total > len(rows):
        note = ngettext(
            "Showing the latest %(shown)d of %(total)d breach.",
            "Showing the latest %(shown)d of %(total)d breaches.",
            total,
        ) % {
            "shown": len(rows),
            "total": total,
        }
    else:
        note = ""
    return Table(
        key="sla.breaches",
        title=_("SLA breaches"),
        columns=[
            Column("ticket", _("Ticket"), "link"),
            Column("subject", _("Subject")),
            Column("service", _("Service")),
            Column("metric", _("Clock")),
            Column("due", _("Due"), "date"),
            Column("at", _("Breach recorded"), "date"),
        ],
        rows=rows,
        description=_(
            "Response and resolution clocks recorded as breached in the period, newest first."
        ),
        note=note,
    )
