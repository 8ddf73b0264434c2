"""``zina search QUERY [--user USERNAME] [--json]``: ranked results from the command line."""

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zina.search import queries


class Command(BaseCommand):
    help = "Search as a user (anonymous by default) and print the ranked results."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="+")
        parser.add_argument("--user", help="Search as this user (username).")
        parser.add_argument("--kind", action="append", help="Only this kind (repeatable).")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        user: Any = AnonymousUser()
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user {options['user']!r}.") from None
        results = queries.search(
            user, " ".join(options["query"]), kinds=options["kind"], per_page=options["limit"]
        )
        hits = [
            {
                "rank": i,
                "kind": h.kind,
                "id": h.pk,
                "language": h.language,
                "score": h.score,
                "title": h.title,
                "url": h.url,
                "snippet": str(h.snippet),
            }
            for i, h in enumerate(results.hits, 1)
        ]
        if options["json"]:
            payload = {"total": results.total, "did_you_mean": results.did_you_mean, "hits": hits}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(f"{results.total} results")
        if results.did_you_mean:
            self.stdout.write(f"Did you mean: {results.did_you_mean}")
        for hit in hits:
            self.stdout.write(
                f"{hit['rank']:>3}. [{hit['kind']} {hit['id']} {hit['language']}] "
                f"{hit['score']:.2f}  {hit['title']}"
            )
