"""Background work of the request management system (django.tasks, run by `zina worker`):
SLA warnings and breaches, and closing tickets resolved long enough ago — every minute."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from . import operations

INTERVAL = timedelta(minutes=1)


@task()
def ticket_housekeeping() -> dict[str, int]:
    """Record SLA warnings and breaches, auto-close resolved tickets, schedule the next run."""
    try:
        warnings, breaches = operations.check_sla()
        closed = operations.close_resolved()
    finally:
        schedule_housekeeping()
    return {"warnings": warnings, "breaches": breaches, "closed": closed}


def schedule_housekeeping() -> None:
    """Make sure exactly one future run is queued."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(
        task_path=ticket_housekeeping.module_path, status="READY"
    ).exists():
        return
    ticket_housekeeping.using(run_after=timezone.now() + INTERVAL).enqueue()
