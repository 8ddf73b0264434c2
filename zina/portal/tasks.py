"""Background work of the portal (django.tasks, run by `zina worker`): every minute, mail the
status page's news to confirmed subscribers (each update once) and forget subscription
requests never confirmed."""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from . import status_operations

INTERVAL = timedelta(minutes=1)


@task()
def status_notifications() -> dict[str, int]:
    """Send due status notices, prune stale requests, schedule the next run."""
    try:
        mails = status_operations.send_due_notices()
        pruned = status_operations.prune_unconfirmed()
    finally:
        schedule_status_notifications()
    return {"mails": mails, "pruned": pruned}


def schedule_status_notifications() -> None:
    """Make sure exactly one future run is queued."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(
        task_path=status_notifications.module_path, status="READY"
    ).exists():
        return
    status_notifications.using(run_after=timezone.now() + INTERVAL).enqueue()
