"""``zina worker``: run background tasks (django.tasks on the database backend)."""

import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker (django-tasks-db)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run queued tasks, then exit.")
        parser.add_argument("--queue-name", default="*")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        from zina.knowledge.tasks import schedule_review_reminders
        from zina.portal.tasks import schedule_status_notifications
        from zina.search import indexer
        from zina.tickets.tasks import schedule_fetch_mail, schedule_housekeeping

        schedule_review_reminders()  # the daily review reminders keep themselves scheduled
        schedule_housekeeping()  # SLA warnings and breaches, auto-closing: every minute
        schedule_fetch_mail()  # incoming mail, when mailboxes are configured (docs/mail.md)
        schedule_status_notifications()  # status page mail to subscribers: every minute
        # This node's search index follows the outbox (each node keeps its own cursor).
        threading.Thread(target=indexer.follow, name="zina-indexer", daemon=True).start()
        call_command(
            "db_worker",
            batch=options["batch"],
            queue_name=options["queue_name"],
            interval=options["interval"],
            reload=False,
            verbosity=options["verbosity"],
        )
