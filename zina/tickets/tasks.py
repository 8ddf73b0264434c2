"""Background work of the request management system (django.tasks, run by `zina worker`):
SLA warnings and breaches, and closing tickets resolved long enough ago — every minute;
incoming mail from the institutions' mailboxes — every ``ZINA_MAIL_POLL_SECONDS``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
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


@task()
def fetch_mail() -> dict[str, int]:
    """Take in new mail from every configured mailbox, schedule the next run."""
    from .mail import intake

    totals: dict[str, int] = {}
    try:
        for summary in intake.fetch_all():
            for status, count in summary.counts.items():
                totals[status] = totals.get(status, 0) + count
            if summary.error:
                totals["failed_mailboxes"] = totals.get("failed_mailboxes", 0) + 1
    finally:
        schedule_fetch_mail()
    return totals


def schedule_fetch_mail() -> None:
    """Keep exactly one future mail run queued while mailboxes are configured."""
    from django_tasks_db.models import DBTaskResult

    if not getattr(settings, "ZINA_MAILBOXES", None):
        return
    if DBTaskResult.objects.filter(task_path=fetch_mail.module_path, status="READY").exists():
        return
    interval = timedelta(seconds=int(getattr(settings, "ZINA_MAIL_POLL_SECONDS", 60)))
    fetch_mail.using(run_after=timezone.now() + interval).enqueue()
