"""``zina demo``: migrate and load the Latvian demo data, then print the logins."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from zina.core.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Create the database tables and load the Latvian demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = load_demo(progress=self.stdout)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded. Logins (password for all: {DEMO_PASSWORD}):")
        )
        width = max(len(u) for u, _ in logins)
        for username, description in logins:
            self.stdout.write(f"  {username.ljust(width)}  {description}")
