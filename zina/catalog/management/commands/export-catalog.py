"""``zina export-catalog``: write the catalog as CSV files or one JSON file."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zina.accounts.models import User
from zina.catalog import transfer
from zina.catalog.models import Resource, Service


class Command(BaseCommand):
    help = "Export services, resources and dependencies in the import format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--out",
            type=Path,
            required=True,
            help="A directory for CSV (three files) or a .json file.",
        )
        parser.add_argument(
            "--institution",
            action="append",
            default=[],
            help="Institution code (repeatable); default: all you may see.",
        )
        parser.add_argument(
            "--as", dest="username", required=True, help="Export what this user may see."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user “{options['username']}”.")
        services = (
            Service.objects.visible_to(user)
            .select_related("institution")
            .order_by("institution__code", "identifier")
        )
        resources = (
            Resource.objects.visible_to(user)
            .select_related("institution")
            .order_by("institution__code", "identifier")
        )
        if options["institution"]:
            services = services.filter(institution__code__in=options["institution"])
            resources = resources.filter(institution__code__in=options["institution"])
        rows = transfer.export_rows(user, services, resources)
        out: Path = options["out"]
        if options["format"] == "json":
            out.write_text(transfer.to_json(rows), encoding="utf-8")
            self.stdout.write(f"Wrote {out}")
            return
        out.mkdir(parents=True, exist_ok=True)
        for kind in transfer.KINDS:
            path = out / f"{kind}.csv"
            path.write_text(transfer.to_csv(kind, rows[kind]), encoding="utf-8", newline="")
            self.stdout.write(f"Wrote {path} ({len(rows[kind])} rows)")
