"""Reads of tickets shared by the pages and the API."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, DateTimeField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from . import sla
from .choices import FINISHED_STATES, State, WaitingOn
from .models import Ticket


def _breached() -> Q:
    """Tickets with a breached SLA clock, by the rule of :func:`sla.clocks`: done after it was
    due, or not done and due before now (before the pause began while waiting on the
    recipient; a cancelled or closed ticket is done when it was closed)."""

    def late(done: str, due: str) -> Q:
        return Q(**{f"{done}__isnull": False, f"{done}__gt": F(due)}) | Q(
            **{f"{done}__isnull": True}
        ) & (
            Q(api_ended__isnull=False, api_ended__gt=F(due))
            | Q(api_ended__isnull=True, api_reference__gt=F(due))
        )

    return Q(kind__in=sla.CLOCKED, response_due__isnull=False, resolution_due__isnull=False) & (
        late("responded_at", "response_due") | late("resolved_at", "resolution_due")
    )


def clock_reference(now: datetime) -> Case:
    """The time a ticket's SLA clock reads at ``now``: the moment a wait on the recipient
    began while it lasts (the clock is paused), otherwise ``now`` (as :func:`sla.clocks`)."""
    return Case(
        When(
            state=State.WAITING,
            waiting_on=WaitingOn.RECIPIENT,
            waiting_since__isnull=False,
            then=F("waiting_since"),
        ),
        default=Value(now),
        output_field=DateTimeField(),
    )


def _with_clock_times(qs: QuerySet[Ticket], now: datetime) -> QuerySet[Ticket]:
    ended = [s for s in FINISHED_STATES if s != State.RESOLVED]
    return qs.alias(
        api_reference=clock_reference(now),
        api_ended=Case(
            When(state__in=ended, then=Coalesce("closed_at", "updated_at")),
            default=None,
            output_field=DateTimeField(),
        ),
    )


def with_breached(qs: QuerySet[Ticket], now: datetime, breached: bool = True) -> QuerySet[Ticket]:
    """Tickets whose SLA clock is (or is not) breached at ``now``, by the rule of
    :func:`sla.clocks` (tested against it)."""
    qs = _with_clock_times(qs, now)
    return qs.filter(_breached()) if breached else qs.exclude(_breached())
