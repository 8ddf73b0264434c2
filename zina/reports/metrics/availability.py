"""Availability: each service's availability over the period against its SLA target, and the
interruptions and maintenance windows behind it.

The same rules as the public status page (:mod:`zina.portal.status`), so the two never
disagree: an incident flagged as an availability interruption affects its service directly and
every service that depends on its resource through the catalog graph; it *interrupts* (counts
against availability) when it is P1/P2 on the service itself or P1/P2 on a high or critical
resource, otherwise it *degrades*; approved changes with expected downtime are planned
maintenance, reported beside availability and not counted against it.

Interruption records are few (tens per period), so they are handled in Python; they are read
from the viewer's own tickets in the dashboard's institutions, along the dependency graph of
the dashboard's services (an incident on a database the service runs on counts for the
service even on a dashboard narrowed to services).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zina.portal import status

from ..context import ReportContext, metric
from ..scope import Scope, scoped_tickets
from ..tables import Cell, Chart, Column, Table
from .volumes import memo, service_names

INTERRUPTIONS_SHOWN = 200


def _events(ctx: ReportContext, service_ids: set[int], now: datetime) -> list[status.Event]:
    """The status events of the dashboard's services in the period (both tables share them)."""

    def compute() -> list[status.Event]:
        tickets = scoped_tickets(ctx.user, Scope(ctx.scope.institutions))
        return status.events_between(service_ids, ctx.period.start, ctx.period.end, now, tickets)

    return list(memo(ctx, f"availability:{sorted(service_ids)}", compute))


@metric("availability.by_service")
def by_service(ctx: ReportContext) -> Table:
    now = timezone.now()
    services = list(ctx.services.select_related("service_level").order_by("name", "pk"))
    names = service_names(s.pk for s in services)
    started = ctx.period.start < now
    events = _events(ctx, {s.pk for s in services}, now) if services and started else []
    rows: list[list[Cell]] = []
    for service in services:
        level = getattr(service, "service_level", None)
        target = level.availability_target if level is not None else None
        figures = status.service_availability(
            events, service.pk, ctx.period.start, ctx.period.end, now, target
        )
        interruptions = sum(
            1
            for e in events
            if not e.is_planned and e.impacts.get(service.pk) == status.INTERRUPTED
        )
        met = figures.meets_target
        rows.append(
            [
                names.get(service.pk, service.name),
                float(target) if target is not None else None,
                figures.percent,
                "" if met is None else (_("Yes") if met else _("No")),
                interruptions,
                figures.interrupted_minutes,
                figures.degraded_minutes,
                figures.maintenance_windows,
                figures.maintenance_minutes,
            ]
        )
    if not services:
        note = _("No services in this view.")
    elif not started:
        note = _("The period has not begun yet.")
        rows = []
    else:
        note = ""
    return Table(
        key="availability.by_service",
        title=_("Availability by service"),
        columns=[
            Column("service", _("Service")),
            Column("target", _("Target"), "percent"),
            Column("availability", _("Availability"), "percent"),
            Column("met", _("Target met")),
            Column("interruptions", _("Interruptions"), "int"),
            Column("unplanned", _("Unplanned interruption"), "minutes"),
            Column("degraded", _("Degraded"), "minutes"),
            Column("planned_windows", _("Planned maintenance windows"), "int"),
            Column("planned", _("Planned maintenance"), "minutes"),
        ],
        rows=rows,
        chart=Chart("bar", "service", ("availability", "target")),
        description=_(
            "Share of the period so far in which each service was not interrupted by an "
            "unplanned interruption (on the service or on a resource it depends on), as on "
            "the status page; planned maintenance is shown beside it and not counted."
        ),
        note=note,
    )


@metric("availability.interruptions")
def interruptions(ctx: ReportContext) -> Table:
    now = timezone.now()
    services = list(ctx.services.values_list("pk", flat=True))
    events = _events(ctx, set(services), now) if services else []
    events.sort(key=lambda e: (e.start, e.pk), reverse=True)
    names = service_names({sid for e in events[:INTERRUPTIONS_SHOWN] for sid in e.impacts})
    order = {pk: i for i, pk in enumerate(sorted(names, key=lambda pk: (names[pk], pk)))}
    rows: list[list[Cell]] = []
    for e in events[:INTERRUPTIONS_SHOWN]:
        ticket = e.ticket
        effect = status.MAINTENANCE if e.is_planned else e.worst
        rows.append(
            [
                (ticket.reference, ticket.get_absolute_url()),
                _("Planned") if e.is_planned else _("Unplanned"),
                str(status.STATE_LABELS[effect]),
                ", ".join(names[sid] for sid in sorted(e.impacts, key=order.__getitem__)),
                ticket.resource.name if ticket.resource else "",
                e.start,
                e.end,
                e.minutes(now),
            ]
        )
    if not events:
        note = _("No interruption or planned maintenance in this period.")
    elif len(events) > len(rows):
        note = ngettext(
            "Showing the latest %(shown)d of %(total)d entry.",
            "Showing the latest %(shown)d of %(total)d entries.",
            len(events),
        ) % {
            "shown": len(rows),
            "total": len(events),
        }
    else:
        note = ""
    return Table(
        key="availability.interruptions",
        title=_("Interruptions and planned maintenance"),
        columns=[
            Column("ticket", _("Ticket"), "link"),
            Column("type", _("Type")),
            Column("effect", _("Effect")),
            Column("services", _("Services")),
            Column("resource", _("Resource")),
            Column("start", _("From"), "date"),
            Column("end", _("Until"), "date"),
            Column("duration", _("Duration"), "minutes"),
        ],
        rows=rows,
        description=_(
            "Availability interruptions (incidents) and planned maintenance windows (changes) "
            "that touched the period and the services in this view, newest first; an open "
            "interruption has no end yet."
        ),
        note=note,
    )
