"""``zina search-check [--fix]``: compare the search index with the database."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zina.search import indexer, registry


class Command(BaseCommand):
    help = "Compare the search index with the database; --fix re-indexes what differs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="Repair the differences.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not indexer.ensure_index():
            raise CommandError("The index is being rebuilt in the background; try again later.")
        indexer.catch_up(blocking=True)
        report = indexer.compare()
        for kind, (missing, extra, stale) in report.items():
            label = registry.get(kind).label
            self.stdout.write(
                f"{kind} ({label}): {len(missing)} missing, {len(extra)} not in the database, "
                f"{len(stale)} with a different number of languages"
            )
            for name, pks in (("missing", missing), ("extra", extra), ("stale", stale)):
                if pks:
                    self.stdout.write(f"  {name}: {', '.join(map(str, sorted(pks)[:20]))}")
        broken = {k: v for k, v in report.items() if any(v)}
        if not broken:
            self.stdout.write(self.style.SUCCESS("The index matches the database."))
            return
        if options["fix"]:
            refs = {
                f"{kind}:{pk}" for kind, parts in broken.items() for part in parts for pk in part
            }
            fixed = indexer.repair(refs)
            self.stdout.write(self.style.SUCCESS(f"Re-indexed {fixed} rows."))
        else:
            raise CommandError("The index differs from the database; run with --fix to repair.")
