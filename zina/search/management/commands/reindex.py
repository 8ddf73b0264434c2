"""``zina reindex``: rebuild this node's search index from the database."""

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from zina.search import indexer


class Command(BaseCommand):
    help = "Rebuild the search index from the database (the database is the source of truth)."

    def handle(self, *args: Any, **options: Any) -> None:
        total = indexer.indexable_count()
        with tqdm(total=total, unit="rows", disable=options["verbosity"] == 0) as bar:
            added = indexer.rebuild(bar.update)
        self.stdout.write(f"{added} documents indexed from {total} rows.")
