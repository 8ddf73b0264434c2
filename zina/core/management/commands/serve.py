"""``zina serve``: run Zina under granian (static files by whitenoise)."""

import os
import shutil
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Zina with granian (WSGI). Port from --port or PORT (default 8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "1")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or shutil.which(
            "granian"
        )
        if granian is None:
            self.stderr.write("granian is not installed in this environment")
            raise SystemExit(1)
        argv = [
            granian,
            "--interface",
            "wsgi",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--blocking-threads",
            str(options["threads"]),
            "--no-ws",
            "zina.wsgi:application",
        ]
        self.stdout.write(f"Zina: http://{options['host']}:{options['port']}/", ending="\n")
        self.stdout.flush()
        os.execv(granian, argv)  # noqa: S606  (replace this process with the server)
