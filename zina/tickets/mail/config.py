"""Intake mailboxes, from ``settings.ZINA_MAILBOXES`` (a JSON list in the environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..choices import Kind

SECURITY = ("ssl", "starttls", "none")
# Kinds someone without an account may open (operations.open_ticket refuses the others).
KINDS = (Kind.INCIDENT, Kind.REQUEST, Kind.COMPLAINT, Kind.SUGGESTION)
KEYS = {
    "key",
    "institution",
    "host",
    "port",
    "user",
    "password",
    "password_env",
    "security",
    "ssl",
    "starttls",
    "folder",
    "kind",
    "move_to",
}


@dataclass(frozen=True)
class Mailbox:
    """One IMAP folder whose messages become tickets of one institution."""

    key: str
    institution: str
    host: str
    port: int
    user: str
    password: str
    security: str = "ssl"
    folder: str = "INBOX"
    kind: str = Kind.INCIDENT
    move_to: str = ""  # move handled messages here instead of only marking them \Seen

    def __str__(self) -> str:
        return self.key


def _mailbox(item: Any, index: int) -> Mailbox:
    where = f"ZINA_MAILBOXES[{index}]"
    if not isinstance(item, dict):
        raise ImproperlyConfigured(f"{where} must be an object")
    unknown = set(item) - KEYS
    if unknown:
        raise ImproperlyConfigured(f"{where}: unknown keys {sorted(unknown)}")
    for name in ("institution", "host", "user"):
        if not isinstance(item.get(name), str) or not item[name].strip():
            raise ImproperlyConfigured(f"{where}: '{name}' is required")
    security = item.get("security")
    if security is None:
        security = (
            "starttls" if item.get("starttls") else "ssl" if item.get("ssl", True) else "none"
        )
    if security not in SECURITY:
        raise ImproperlyConfigured(f"{where}: 'security' must be one of {', '.join(SECURITY)}")
    password = item.get("password", "")
    if item.get("password_env"):
        password = os.environ.get(str(item["password_env"]), "")
    kind = item.get("kind", Kind.INCIDENT)
    if kind not in KINDS:
        raise ImproperlyConfigured(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    folder = str(item.get("folder") or "INBOX")
    port = int(item.get("port") or (993 if security == "ssl" else 143))
    key = str(item.get("key") or f"{item['user']}@{item['host']}:{port}/{folder}")[:200]
    return Mailbox(
        key=key,
        institution=item["institution"].strip(),
        host=item["host"].strip(),
        port=port,
        user=item["user"],
        password=str(password),
        security=security,
        folder=folder,
        kind=kind,
        move_to=str(item.get("move_to") or ""),
    )


def mailboxes() -> list[Mailbox]:
    """The configured mailboxes; raises ImproperlyConfigured on a mistake in the settings."""
    items = getattr(settings, "ZINA_MAILBOXES", None) or []
    result = [_mailbox(item, i) for i, item in enumerate(items)]
    keys = [m.key for m in result]
    if len(keys) != len(set(keys)):
        raise ImproperlyConfigured("ZINA_MAILBOXES: two mailboxes have the same key")
    return result
