"""``zina import-articles FILE_OR_FOLDER…``: bulk import of articles from JSON Lines files and
folders of Markdown files, all or nothing (see zina/knowledge/importer.py for the format)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zina.accounts.models import User
from zina.catalog.transfer.formats import FormatError
from zina.knowledge import importer

MAX_ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = (
        "Import knowledge articles from JSON Lines files (one article per line) and folders of "
        "Markdown files (one article per .md file, optional front matter). All or nothing; "
        "--dry-run only reports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            metavar="FILE_OR_FOLDER",
            help="JSON Lines files (.jsonl), Markdown files (.md) or folders of Markdown files.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The user the import is recorded as (their permissions apply); the default "
            "owner of the articles.",
        )
        parser.add_argument(
            "--institution",
            metavar="CODE",
            help="Code of the institution of articles that name none.",
        )
        parser.add_argument(
            "--audience", help="Audience of articles that name none (default: internal)."
        )
        parser.add_argument(
            "--language", help="Language of articles that name none: lv (default) or en."
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish every imported article (otherwise they stay drafts).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user “{options['username']}”.")
        try:
            defaults = importer.resolve_options(
                institution=options["institution"],
                audience=options["audience"],
                language=options["language"],
                publish=options["publish"],
            )
        except FormatError as exc:
            raise CommandError(str(exc)) from None
        batch = importer.read_paths(options["paths"])
        show = self.stdout.isatty() if hasattr(self.stdout, "isatty") else False

        def progress(items: Any, desc: str) -> Any:
            return tqdm(items, desc=desc, unit=" articles", disable=not show and len(items) < 2000)

        report = importer.import_articles(
            actor=user,
            batch=batch,
            options=defaults,
            dry_run=options["dry_run"],
            progress=progress,
        )
        if report.dry_run and not report.errors and options["verbosity"] >= 1:
            for item in report.planned:
                self.stdout.write(str(item))
        self.stdout.write(f"articles: {report.to_create} to create, {report.to_publish} to publish")
        if report.errors:
            for error in report.errors[:MAX_ERRORS_SHOWN]:
                self.stderr.write(str(error))
            if len(report.errors) > MAX_ERRORS_SHOWN:
                self.stderr.write(f"… and {len(report.errors) - MAX_ERRORS_SHOWN} more errors")
            raise CommandError(f"{len(report.errors)} error(s): nothing was imported.")
        if report.dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        else:
            published = sum(1 for r in report.created if r.is_live)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {len(report.created)} articles, {published} published."
                )
            )
