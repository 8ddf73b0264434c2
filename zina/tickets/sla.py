"""SLA clocks: when a ticket's response and resolution are due, in the business hours of its
service (or the default hours), with Latvian public holidays, paused while waiting on the
recipient.

Due times are stored on the ticket (queues sort and filter by them) and always computed the
same way: ``start + target + paused`` working minutes, where ``paused`` counts only the
working minutes spent waiting on the recipient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from zina.catalog.calendar import BusinessCalendar, SupportHours

from .choices import FINISHED_STATES, Kind, SlaMetric, State, WaitingOn

# Working minutes (response, resolution) by priority when the service has no SLA of its own.
DEFAULT_TARGETS = {
    "P1": (30, 4 * 60),
    "P2": (60, 8 * 60),
    "P3": (4 * 60, 3 * 8 * 60),
    "P4": (8 * 60, 5 * 8 * 60),
}
# Kinds with an SLA clock: what recipients wait for. Problems and changes are planned work.
CLOCKED = frozenset({Kind.INCIDENT, Kind.REQUEST, Kind.COMPLAINT, Kind.SUGGESTION})


def _service_level(ticket: Any) -> Any:
    service = ticket.service
    if service is None:
        return None
    try:
        return service.service_level
    except Exception:  # RelatedObjectDoesNotExist: the service has no SLA
        return None


def calendar_for(ticket: Any) -> BusinessCalendar:
    level = _service_level(ticket)
    hours = level.support_hours if level is not None else SupportHours()
    return BusinessCalendar(hours, tz=settings.TIME_ZONE)


def targets_for(ticket: Any) -> tuple[int, int] | None:
    """(response, resolution) working minutes for the ticket's priority, or None without a
    clock."""
    if ticket.kind not in CLOCKED:
        return None
    level = _service_level(ticket)
    if level is not None:
        target = level.targets_by_priority().get(ticket.priority)
        if target is not None:
            return target.response_minutes, target.resolution_minutes
    return DEFAULT_TARGETS.get(ticket.priority)


def start(ticket: Any, at: datetime) -> None:
    """Start the clock (when the ticket is opened)."""
    ticket.sla_start = at
    ticket.paused_minutes = 0
    recompute(ticket)


def recompute(ticket: Any) -> None:
    """Due times from the start, the targets and the paused minutes (after a change of
    priority or service, or after a pause)."""
    targets = targets_for(ticket)
    if targets is None or ticket.sla_start is None:
        ticket.response_due = ticket.resolution_due = None
        return
    calendar = calendar_for(ticket)
    response, resolution = targets
    ticket.response_due = calendar.add_working_minutes(
        ticket.sla_start, response + ticket.paused_minutes
    )
    ticket.resolution_due = calendar.add_working_minutes(
        ticket.sla_start, resolution + ticket.paused_minutes
    )


def pauses(ticket: Any) -> bool:
    return ticket.state == State.WAITING and ticket.waiting_on == WaitingOn.RECIPIENT


def resume(ticket: Any, at: datetime) -> None:
    """End a pause: add the working minutes spent waiting on the recipient."""
    if ticket.waiting_since is not None and ticket.waiting_on == WaitingOn.RECIPIENT:
        ticket.paused_minutes += calendar_for(ticket).working_minutes_between(
            ticket.waiting_since, at
        )
        recompute(ticket)


@dataclass
class Clock:
    """One SLA target of a ticket as people see it."""

    metric: str
    due: datetime
    done_at: datetime | None
    target_minutes: int
    remaining_minutes: int  # working minutes; negative once breached
    paused: bool

    @property
    def breached(self) -> bool:
        if self.done_at is not None:
            return self.done_at > self.due
        return self.remaining_minutes < 0

    @property
    def met(self) -> bool:
        return self.done_at is not None and self.done_at <= self.due

    @property
    def warning(self) -> bool:
        return (
            self.done_at is None
            and not self.breached
            and self.remaining_minutes <= self.target_minutes * warning_share()
        )

    @property
    def status(self) -> str:
        if self.met:
            return "met"
        if self.breached:
            return "breached"
        if self.paused:
            return "paused"
        return "warning" if self.warning else "running"

    @property
    def elapsed_percent(self) -> int:
        if self.target_minutes <= 0:
            return 100
        used = self.target_minutes - self.remaining_minutes
        return max(0, min(100, round(100 * used / self.target_minutes)))


def warning_share() -> float:
    """Warn when this share of a target is left (ZINA_SLA_WARNING_PERCENT, default 20)."""
    return float(getattr(settings, "ZINA_SLA_WARNING_PERCENT", 20)) / 100


def clocks(ticket: Any, now: datetime) -> list[Clock]:
    """The ticket's response and resolution clocks at ``now``."""
    targets = targets_for(ticket)
    if targets is None or ticket.response_due is None or ticket.resolution_due is None:
        return []
    calendar = calendar_for(ticket)
    paused = pauses(ticket)
    # While paused, time stands still at the moment the pause began.
    reference = ticket.waiting_since if paused and ticket.waiting_since else now
    out = []
    for metric, due, done, target in (
        (SlaMetric.RESPONSE, ticket.response_due, ticket.responded_at, targets[0]),
        (SlaMetric.RESOLUTION, ticket.resolution_due, ticket.resolved_at, targets[1]),
    ):
        if done is None and ticket.state in FINISHED_STATES:
            # Finished without this step (resolved by the system, cancelled, merged): the
            # clock stopped when the ticket was finished.
            done = ticket.resolved_at or ticket.closed_at or ticket.updated_at
        if done is not None:
            remaining = 0
        elif reference <= due:
            remaining = calendar.working_minutes_between(reference, due)
        else:
            remaining = -max(1, calendar.working_minutes_between(due, reference))
        out.append(Clock(metric, due, done, target, remaining, paused and done is None))
    return out
