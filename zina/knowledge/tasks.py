"""Background work of the knowledge base (django.tasks, run by `zina worker`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Article
from .operations import due_for_review

REMINDER_HOUR = time(7, 0)  # Europe/Riga


@task()
def send_review_reminders() -> int:
    """Daily: e-mail every owner the articles that are overdue or due within 14 days, then
    schedule tomorrow's run. Returns how many owners were written to."""
    by_owner: dict[int, list[Article]] = defaultdict(list)
    for article in due_for_review().order_by("review_by"):
        by_owner[article.owner_id].append(article)
    sent = 0
    today = timezone.localdate()
    for articles in by_owner.values():
        owner = articles[0].owner
        if not owner.email or not owner.is_active:
            continue
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            context = {"owner": owner, "articles": articles, "today": today}
            send_mail(
                render_to_string("knowledge/email/review_subject.txt", context).strip(),
                render_to_string("knowledge/email/review.txt", context),
                None,
                [owner.email],
            )
        sent += 1
    schedule_review_reminders()
    return sent


def schedule_review_reminders() -> None:
    """Make sure exactly one future reminder run is queued (tomorrow at 07:00 Riga time)."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(
        task_path=send_review_reminders.module_path, status="READY"
    ).exists():
        return
    tomorrow = timezone.localdate() + timedelta(days=1)
    run_after = timezone.make_aware(datetime.combine(tomorrow, REMINDER_HOUR))
    send_review_reminders.using(run_after=run_after).enqueue()
