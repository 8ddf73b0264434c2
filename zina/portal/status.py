"""The service status page's reads (pieejamība): each public service's current state, the
events behind it (availability interruptions and planned maintenance), and 90 days of
availability history.

Where the states come from (docs/portal.md says the same to contributors, the page's help
text to visitors):

- an **incident** flagged as an availability interruption, while its interruption has begun
  and not ended and the incident is open, affects its own service and — through the catalog
  graph (:func:`zina.catalog.graph.affected_services`) — every service that depends on its
  resource, directly or not;
- for a service it names directly, a P1/P2 incident *interrupts* the service, a P3/P4 one
  *degrades* it; through a resource, it interrupts only when it is P1/P2 **and** the resource
  is of high or critical criticality, otherwise the service is *degraded*;
- an approved or in-progress **change** with a planned window and expected downtime is
  *planned maintenance* while its window is upcoming (within :data:`UPCOMING_DAYS`), and
  *interrupts* the service while the window is under way;
- the worst wins: interrupted > degraded > planned maintenance > operational.

Only what staff write for the public is ever shown: see :func:`public_text`. Resources are
never named (they are not public); only public services are listed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zina.catalog.choices import Criticality
from zina.catalog.models import ResourceDependency, Service, ServiceDependency
from zina.tickets.choices import OPEN_STATES, Channel, EntryKind, Kind, LinkKind, State
from zina.tickets.models import Ticket, TicketEntry

HISTORY_DAYS = 90
UPCOMING_DAYS = 7

OPERATIONAL = "operational"
MAINTENANCE = "maintenance"
DEGRADED = "degraded"
INTERRUPTED = "interrupted"

# Worse states sort higher; a service shows the worst of its events.
SEVERITY = {OPERATIONAL: 0, MAINTENANCE: 1, DEGRADED: 2, INTERRUPTED: 3}

STATE_LABELS: dict[str, Promise] = {
    OPERATIONAL: _("Operational"),
    DEGRADED: _("Degraded"),
    INTERRUPTED: _("Interrupted"),
    MAINTENANCE: _("Planned maintenance"),
}

MAJOR_PRIORITIES = frozenset({"P1", "P2"})
CRITICAL_RESOURCES = frozenset({Criticality.HIGH, Criticality.CRITICAL})
# Changes on the status page: scheduled ones, and for history the implemented ones.
SCHEDULED_CHANGE_STATES = frozenset({State.APPROVED, State.IN_PROGRESS})
DONE_CHANGE_STATES = frozenset({State.RESOLVED, State.CLOSED})
# Tickets whose texts were written by staff, not by a member of the public.
STAFF_CHANNELS = frozenset({Channel.STAFF, Channel.MONITORING})

INCIDENT = "incident"
PLANNED = "maintenance"


def public_services() -> list[Service]:
    """The services anyone may see, through the catalog's one visibility rule."""
    return list(
        Service.objects.visible_to(AnonymousUser()).select_related("institution", "service_level")
    )


def public_text(ticket: Ticket) -> bool:
    """May the ticket's own words (subject, description, public replies, resolution) appear on
    the status page? Changes are recorded by staff only. An incident qualifies when staff or
    monitoring recorded it with nobody from outside as its reporter; an incident a citizen
    reported keeps its words private (only the service, the times and a generic title show),
    since its subject, text and replies are addressed to that person."""
    if ticket.kind == Kind.CHANGE:
        return True
    if ticket.channel not in STAFF_CHANNELS:
        return False
    if ticket.reporter_name or ticket.reporter_email or ticket.reporter_phone:
        return False
    return ticket.reporter_id is None or ticket.reporter_id == ticket.created_by_id


@dataclass
class Event:
    """One ticket as the status page tells it: an interruption or a maintenance window, the
    public services it affects (service id → the state it causes there) and its times."""

    ticket: Ticket
    type: str  # INCIDENT or PLANNED
    impacts: dict[int, str]
    start: datetime
    end: datetime | None  # None: still going on (incidents)
    ongoing: bool
    upcoming: bool
    services: list[Service] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return int(self.ticket.pk)

    @property
    def reference(self) -> str:
        return self.ticket.reference

    @property
    def is_public_text(self) -> bool:
        return public_text(self.ticket)

    @property
    def title(self) -> str:
        if self.is_public_text:
            return self.ticket.subject
        return str(_("Service interruption"))

    @property
    def description(self) -> str:
        return self.ticket.description if self.is_public_text else ""

    @property
    def resolution(self) -> str:
        if not self.is_public_text or self.ongoing or self.upcoming:
            return ""
        return self.ticket.resolution

    @property
    def is_planned(self) -> bool:
        return self.type == PLANNED

    @property
    def ended(self) -> bool:
        return not self.ongoing and not self.upcoming

    @property
    def phase(self) -> str:
        """``ongoing``, ``upcoming`` or ``ended`` (a stable word for feeds)."""
        return "ongoing" if self.ongoing else "upcoming" if self.upcoming else "ended"

    @property
    def phase_label(self) -> Promise:
        if self.is_planned:
            return {
                "ongoing": _("Maintenance under way"),
                "upcoming": _("Scheduled"),
                "ended": _("Completed"),
            }[self.phase]
        return {
            "ongoing": _("Ongoing"),
            "upcoming": _("Scheduled"),
            "ended": _("Resolved"),
        }[self.phase]

    @property
    def type_label(self) -> Promise:
        return _("Planned maintenance") if self.is_planned else _("Availability interruption")

    @property
    def worst(self) -> str:
        return max(self.impacts.values(), key=SEVERITY.__getitem__, default=OPERATIONAL)

    @property
    def badge_state(self) -> str:
        """The state colour of the event's badge: its worst impact until it has ended."""
        return OPERATIONAL if self.ended else self.worst

    @property
    def expected_downtime_minutes(self) -> int | None:
        return self.ticket.expected_downtime_minutes if self.is_planned else None

    @property
    def updated_at(self) -> datetime:
        return self.ticket.updated_at

    def minutes(self, now: datetime) -> int:
        return int(((self.end or now) - self.start).total_seconds() // 60)


def updates(event: Event) -> list[TicketEntry]:
    """The progress updates staff wrote for the public (public replies), newest first; none
    when the ticket's words are not public."""
    if not event.is_public_text:
        return []
    return list(
        TicketEntry.objects.filter(ticket_id=event.pk, kind=EntryKind.REPLY).order_by(
            "-created_at", "-id"
        )
    )


def cause_articles(event: Event) -> list[Any]:
    """The public knowledge articles on the cause: the known-error articles of the problems
    the incident is CAUSED_BY, when they are public (a problem's own analysis stays internal)."""
    from zina.knowledge.models import Article

    if event.is_planned:
        return []
    article_ids = Ticket.objects.filter(
        kind=Kind.PROBLEM,
        links_in__source_id=event.pk,
        links_in__kind=LinkKind.CAUSED_BY,
        known_error_article__isnull=False,
    ).values_list("known_error_article_id", flat=True)
    return list(
        Article.objects.visible_to(AnonymousUser())
        .filter(pk__in=list(article_ids))
        .prefetch_related("revisions")
    )


def _incident_end(ticket: Ticket) -> datetime | None:
    if ticket.interruption_end is not None:
        return ticket.interruption_end
    if ticket.state not in OPEN_STATES:
        return ticket.resolved_at or ticket.closed_at or ticket.updated_at
    return None


def _incident_impact(ticket: Ticket, direct: bool) -> str:
    if ticket.priority not in MAJOR_PRIORITIES:
        return DEGRADED
    if direct:
        return INTERRUPTED
    resource = ticket.resource
    return INTERRUPTED if resource and resource.criticality in CRITICAL_RESOURCES else DEGRADED


class _Graph:
    """Services of interest (the public ones on the status page) behind each resource, as
    :func:`zina.catalog.graph.affected_services` finds them, walked once per snapshot; many
    resources at once with :meth:`preload` (a query per level of the graph for all of them)."""

    def __init__(self, public_ids: set[int]) -> None:
        self.public_ids = public_ids
        self._known: dict[int, frozenset[int]] = {}

    def services_of(self, resource_id: int) -> frozenset[int]:
        if resource_id not in self._known:
            self.preload([resource_id])
        return self._known[resource_id]

    def preload(self, resource_ids: Iterable[int]) -> None:
        todo = set(resource_ids) - set(self._known)
        if not todo:
            return
        dependents: dict[int, set[int]] = defaultdict(set)
        seen, frontier = set(todo), set(todo)
        while frontier:
            edges = ResourceDependency.objects.filter(depends_on_id__in=frontier).values_list(
                "depends_on_id", "resource_id"
            )
            step = set()
            for depends_on, resource in edges:
                dependents[depends_on].add(resource)
                step.add(resource)
            frontier = step - seen
            seen |= frontier
        direct: dict[int, set[int]] = defaultdict(set)
        for resource, service in ServiceDependency.objects.filter(
            resource_id__in=seen, service_id__in=self.public_ids
        ).values_list("resource_id", "service_id"):
            direct[resource].add(service)
        for rid in todo:
            closure, stack = {rid}, [rid]
            while stack:
                for d in dependents.get(stack.pop(), ()):
                    if d not in closure:
                        closure.add(d)
                        stack.append(d)
            self._known[rid] = frozenset().union(*(direct.get(r, ()) for r in closure))


def _affected(ticket: Ticket, graph: _Graph) -> dict[int, bool]:
    """Public services the ticket touches → whether it names the service directly."""
    out: dict[int, bool] = {}
    if ticket.resource_id:
        out.update(dict.fromkeys(graph.services_of(ticket.resource_id), False))
    if ticket.service_id and ticket.service_id in graph.public_ids:
        out[ticket.service_id] = True
    return out


def _incident_event(ticket: Ticket, graph: _Graph, now: datetime) -> Event | None:
    start = ticket.interruption_start
    if start is None or start > now:
        return None
    end = _incident_end(ticket)
    affected = _affected(ticket, graph)
    if not affected:
        return None
    ongoing = ticket.state in OPEN_STATES and (end is None or end > now)
    if not ongoing and end is None:
        end = now
    impacts = {sid: _incident_impact(ticket, direct) for sid, direct in affected.items()}
    return Event(ticket, INCIDENT, impacts, start, end, ongoing=ongoing, upcoming=False)


def _change_event(ticket: Ticket, graph: _Graph, now: datetime) -> Event | None:
    start, end = ticket.planned_start, ticket.planned_end
    if start is None or end is None:
        return None
    affected = _affected(ticket, graph)
    if not affected:
        return None
    scheduled = ticket.state in SCHEDULED_CHANGE_STATES
    ongoing = scheduled and start <= now < end
    upcoming = scheduled and start > now
    if not scheduled and start > now:
        return None  # implemented ahead of its window: nothing to announce
    impact = INTERRUPTED if ongoing else MAINTENANCE
    impacts = dict.fromkeys(affected, impact)
    return Event(ticket, PLANNED, impacts, start, end, ongoing=ongoing, upcoming=upcoming)


def _candidates(
    since: datetime | None, tickets: QuerySet[Ticket] | None = None
) -> QuerySet[Ticket]:
    """Tickets that are status events (all of them, or those that touch ``since`` → now),
    among ``tickets`` (default: every ticket; the reports pass the viewer's own)."""
    incidents = Q(
        kind=Kind.INCIDENT,
        interruption=True,
        interruption_start__isnull=False,
        master__isnull=True,  # reports linked to a master incident: the master tells it
        merged_into__isnull=True,
    )
    changes = Q(
        kind=Kind.CHANGE,
        expected_downtime_minutes__gt=0,
        planned_start__isnull=False,
        planned_end__isnull=False,
        state__in=SCHEDULED_CHANGE_STATES | DONE_CHANGE_STATES,
    )
    if since is not None:
        incidents &= (
            Q(interruption_end__gt=since)
            | Q(interruption_end__isnull=True, state__in=OPEN_STATES)
            | Q(interruption_end__isnull=True, updated_at__gt=since)
        )
        changes &= Q(planned_end__gt=since)
    return (
        (Ticket.objects.all() if tickets is None else tickets)
        .filter(incidents | changes)
        .exclude(state=State.CANCELLED)
        .select_related("resource", "institution")
        .order_by("-id")
    )


@dataclass
class Availability:
    """A service's availability over a window: unplanned interruption minutes against the
    window's length; degraded time and planned maintenance are reported, not counted."""

    days: int
    window_minutes: int
    interrupted_minutes: int
    degraded_minutes: int
    maintenance_minutes: int
    maintenance_windows: int
    target: Decimal | None

    @property
    def percent(self) -> float:
        if self.window_minutes <= 0:
            return 100.0
        return round(100.0 * (1 - self.interrupted_minutes / self.window_minutes), 3)

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.percent >= float(self.target)


def union_minutes(
    intervals: Iterable[tuple[datetime, datetime | None]], start: datetime, end: datetime
) -> int:
    """Whole minutes covered by the union of ``intervals`` (an open end runs to ``end``),
    each clipped to [start, end]: overlapping interruptions are not counted twice."""
    clipped = sorted(
        (max(a, start), min(b or end, end)) for a, b in intervals if a < end and (b or end) > start
    )
    total = timedelta(0)
    current_start: datetime | None = None
    current_end: datetime | None = None
    for a, b in clipped:
        if b <= a:
            continue
        if current_end is None or a > current_end:
            if current_start is not None and current_end is not None:
                total += current_end - current_start
            current_start, current_end = a, b
        else:
            current_end = max(current_end, b)
    if current_start is not None and current_end is not None:
        total += current_end - current_start
    return int(total.total_seconds() // 60)


@dataclass
class ServiceStatus:
    """One public service on the status page."""

    service: Service
    state: str
    events: list[Event]  # current: ongoing and upcoming, worst first
    history: list[Event]  # everything in the window, newest first

    @property
    def state_label(self) -> Promise:
        return STATE_LABELS[self.state]

    @property
    def target(self) -> Decimal | None:
        level = getattr(self.service, "service_level", None)
        return level.availability_target if level is not None else None

    def availability(self, now: datetime, days: int = HISTORY_DAYS) -> Availability:
        return service_availability(
            self.history, self.service.pk, now - timedelta(days=days), now, now, self.target
        )


def service_availability(
    history: Iterable[Event],
    service_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    target: Decimal | None,
) -> Availability:
    """One service's availability over [start, end), cut at ``now``, from its events (those
    of :func:`events_between` that touch it): the status page's 90 days and the reports'
    periods count alike."""
    # In UTC: Python subtracts two times of one zone by their wall clocks, and a period in
    # Riga may contain a clock change.
    start, until = start.astimezone(UTC), min(end, now).astimezone(UTC)
    events = [e for e in history if service_id in e.impacts]
    incidents = [e for e in events if not e.is_planned]
    planned = [e for e in events if e.is_planned and start <= e.start < until]
    interrupted = [(e.start, e.end) for e in incidents if e.impacts[service_id] == INTERRUPTED]
    degraded = [(e.start, e.end) for e in incidents if e.impacts[service_id] == DEGRADED]
    return Availability(
        days=(until - start).days if until > start else 0,
        window_minutes=max(0, int((until - start).total_seconds() // 60)),
        interrupted_minutes=union_minutes(interrupted, start, until),
        degraded_minutes=union_minutes(degraded, start, until),
        maintenance_minutes=sum(
            min(e.ticket.expected_downtime_minutes or 0, e.minutes(now)) for e in planned
        ),
        maintenance_windows=len(planned),
        target=target,
    )


@dataclass
class Snapshot:
    """Every public service's state at ``now`` and the events of the last 90 days and the
    scheduled maintenance ahead."""

    now: datetime
    services: list[ServiceStatus]
    events: dict[int, Event]

    def service(self, pk: int) -> ServiceStatus | None:
        return next((s for s in self.services if s.service.pk == pk), None)

    @property
    def current(self) -> list[Event]:
        """Ongoing events first (worst first), then upcoming maintenance by start."""
        ongoing = sorted(
            (e for e in self.events.values() if e.ongoing),
            key=lambda e: (-SEVERITY[e.worst], e.start),
        )
        upcoming = sorted((e for e in self.events.values() if e.upcoming), key=lambda e: e.start)
        return ongoing + upcoming

    @property
    def recent(self) -> list[Event]:
        """Ended events, newest first."""
        return sorted(
            (e for e in self.events.values() if e.ended),
            key=lambda e: e.end or e.start,
            reverse=True,
        )

    @property
    def affected(self) -> list[ServiceStatus]:
        return sorted(
            (s for s in self.services if s.state != OPERATIONAL),
            key=lambda s: -SEVERITY[s.state],
        )


def snapshot(now: datetime | None = None, days: int = HISTORY_DAYS) -> Snapshot:
    """Compute the status page: a few queries for the tickets and one graph walk per
    resource with events."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    services = public_services()
    by_id = {s.pk: s for s in services}
    events: dict[int, Event] = {}
    for event in events_between(set(by_id), since, None, now):
        event.services = [by_id[sid] for sid in sorted(event.impacts, key=_order(services))]
        events[event.pk] = event
    per_service: dict[int, list[Event]] = {sid: [] for sid in by_id}
    for event in sorted(events.values(), key=lambda e: e.start, reverse=True):
        for sid in event.impacts:
            per_service[sid].append(event)
    statuses = []
    for service in services:
        history = per_service[service.pk]
        current = [e for e in history if e.ongoing or _soon(e, now)]
        state = OPERATIONAL
        for e in current:
            impact = e.impacts[service.pk]
            if SEVERITY[impact] > SEVERITY[state]:
                state = impact
        current.sort(key=lambda e: (not e.ongoing, -SEVERITY[e.impacts[service.pk]], e.start))
        statuses.append(ServiceStatus(service, state, current, history))
    return Snapshot(now, statuses, events)


def events_between(
    service_ids: set[int],
    start: datetime,
    end: datetime | None,
    now: datetime,
    tickets: QuerySet[Ticket] | None = None,
) -> list[Event]:
    """The status events (interruptions and maintenance windows, newest first) that touch
    [start, end) (no ``end``: also every scheduled window ahead) and any of ``service_ids``,
    directly or through the resource graph; ``impacts`` name only those services. Reads
    ``tickets`` (default: every ticket)."""
    graph = _Graph(service_ids)
    candidates = _candidates(start, tickets)
    # (Unordered: ordered by id, SQLite would walk the kind index to spare the sort.)
    incidents = candidates.filter(kind=Kind.INCIDENT).order_by()
    changes = candidates.filter(kind=Kind.CHANGE).order_by()
    if end is not None:
        incidents = incidents.filter(interruption_start__lt=end)
        changes = changes.filter(planned_start__lt=end)
    # Incidents and changes apart: each kind's conditions can then be read through an index
    # (one query over their OR reads the whole ticket table); newest first, as one would be.
    tickets_ = sorted([*incidents, *changes], key=lambda t: -t.pk)
    graph.preload(t.resource_id for t in tickets_ if t.resource_id)
    out = []
    for ticket in tickets_:
        make = _incident_event if ticket.kind == Kind.INCIDENT else _change_event
        found = make(ticket, graph, now)
        if found is None or (found.end is not None and found.end <= start):
            continue
        out.append(found)
    return out


def event(pk: int, now: datetime | None = None) -> Event | None:
    """One status event by its ticket id, however old; None when the ticket is not one (or
    touches no public service)."""
    now = now or timezone.now()
    ticket = _candidates(None).filter(pk=pk).first()
    if ticket is None:
        return None
    services = public_services()
    by_id = {s.pk: s for s in services}
    graph = _Graph(set(by_id))
    make = _incident_event if ticket.kind == Kind.INCIDENT else _change_event
    found = make(ticket, graph, now)
    if found is not None:
        found.services = [by_id[sid] for sid in sorted(found.impacts, key=_order(services))]
    return found


def _soon(event: Event, now: datetime) -> bool:
    return event.upcoming and event.start <= now + timedelta(days=UPCOMING_DAYS)


def _order(services: list[Service]) -> Any:
    position = {s.pk: i for i, s in enumerate(services)}
    return position.__getitem__
