"""``zina fetchmail``: take in new mail from the institutions' IMAP mailboxes now; with
``--quarantine``, list the messages set aside and why; ``--raw ID`` writes one of them out."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zina.tickets.mail import intake
from zina.tickets.mail.config import mailboxes
from zina.tickets.models import MailMessage


class Command(BaseCommand):
    help = "Read new mail from the configured IMAP mailboxes into tickets (docs/mail.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailbox", action="append", metavar="KEY", help="Only this mailbox (repeatable)."
        )
        parser.add_argument(
            "--quarantine", action="store_true", help="List quarantined messages and why."
        )
        parser.add_argument("--limit", type=int, default=50, help="Rows of --quarantine.")
        parser.add_argument(
            "--raw", type=int, metavar="ID", help="Write a kept message's raw bytes to stdout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["raw"]:
            self.raw(options["raw"])
        elif options["quarantine"]:
            self.quarantine(options["limit"])
        else:
            self.fetch(options["mailbox"])

    def fetch(self, keys: list[str] | None) -> None:
        try:
            configured = mailboxes()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if not configured:
            raise CommandError("No mailboxes: set ZINA_MAILBOXES (see docs/mail.md).")
        unknown = set(keys or ()) - {m.key for m in configured}
        if unknown:
            raise CommandError(f"Unknown mailbox: {', '.join(sorted(unknown))}")
        failed = False
        for summary in intake.fetch_all(keys):
            failed = failed or bool(summary.error)
            self.stdout.write(str(summary), self.style.ERROR if summary.error else None)
        if failed:
            raise CommandError("Some mailboxes could not be read.")

    def quarantine(self, limit: int) -> None:
        rows = MailMessage.objects.filter(status=MailMessage.Status.QUARANTINED).select_related(
            "institution"
        )[: max(limit, 1)]
        if not rows:
            self.stdout.write("No quarantined messages.")
            return
        for row in rows:
            reason = intake.REASONS.get(row.reason, row.reason)
            when = timezone.localtime(row.received_at).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(
                f"#{row.pk} {when} {row.mailbox} uid {row.uid} from {row.sender or '?'}: "
                f"{row.subject or '-'}\n    {reason}: {row.detail}"
            )

    def raw(self, pk: int) -> None:
        row = MailMessage.objects.filter(pk=pk).first()
        if row is None or row.raw is None:
            raise CommandError(f"No kept message #{pk}.")
        self.stdout.flush()
        sys.stdout.buffer.write(bytes(row.raw))
        sys.stdout.buffer.flush()
