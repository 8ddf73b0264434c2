"""``zina import-catalog FILE…``: upsert services, resources and dependencies from CSV/JSON."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zina.accounts.models import User
from zina.catalog import operations as ops
from zina.catalog import transfer


class Command(BaseCommand):
    help = (
        "Import the service and resource catalog from CSV or JSON files (see "
        "docs/catalog-import.md). All or nothing; --dry-run only reports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing.")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The user the import is recorded as (their permissions apply).",
        )
        parser.add_argument("--kind", choices=transfer.KINDS, help="Kind of a CSV file's rows.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user “{options['username']}”.")
        bundle = transfer.Bundle()
        for path in options["files"]:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            try:
                bundle.extend(transfer.read_file(path.name, data, options["kind"]))
            except transfer.FormatError as exc:
                raise CommandError(str(exc)) from None
        show = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False

        def progress(items: Any, desc: str) -> Any:
            return tqdm(items, desc=desc, unit=" rows", disable=not show and len(items) < 2000)

        report = ops.import_catalog(
            actor=user, bundle=bundle, dry_run=options["dry_run"], progress=progress
        )
        for kind, numbers in report.counts.items():
            self.stdout.write(
                f"{kind}: {numbers['created']} new, {numbers['updated']} changed, "
                f"{numbers['unchanged']} unchanged"
            )
        extra = ", ".join(f"{k}: {v}" for k, v in report.summary.items() if v)
        if extra:
            self.stdout.write(f"also: {extra}")
        if report.errors:
            for error in report.errors[:200]:
                self.stderr.write(str(error))
            if len(report.errors) > 200:
                self.stderr.write(f"… and {len(report.errors) - 200} more errors")
            raise CommandError(f"{len(report.errors)} error(s): nothing was imported.")
        if report.dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
