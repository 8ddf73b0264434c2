"""``zina review-reminders``: send the review reminders now (the worker also runs them daily)."""

from typing import Any

from django.core.management.base import BaseCommand

from zina.knowledge.tasks import send_review_reminders


class Command(BaseCommand):
    help = "E-mail article owners whose articles are overdue or due for review within 14 days."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_review_reminders.call()
        self.stdout.write(f"Reminders sent to {sent} owner(s).")
