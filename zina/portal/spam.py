"""Spam protection for the portal's public forms, without third-party services: a honeypot
field, a minimum fill time (a signed timestamp carried in the form) and per-address rate
limits. Addresses are kept only as keyed hashes (``PortalHit``), pruned after a day.

Other portal parts (the assistant) use :func:`limited` and :func:`note` with their own
action names."""

from __future__ import annotations

import time
from datetime import timedelta

from django.core import signing
from django.http import HttpRequest
from django.utils import timezone

from zina.accounts.security import client_address
from zina.knowledge.operations import address_hash

from .models import PortalHit

HONEYPOT_FIELD = "website"  # a field no person fills in: hidden from sight and from assistive tech
MIN_FILL_SECONDS = 3
STAMP_SALT = "zina.portal.form-stamp"
STAMP_MAX_AGE = 24 * 3600  # an older form is refused like a too-fast one: reload, try again
KEEP_HITS = timedelta(days=1)

AddressLike = HttpRequest | str | None


def hashed_address(request_or_address: AddressLike) -> str:
    """The keyed hash of a request's client address (or of an address given as text).
    Requests without an address share one bucket, so they are limited together."""
    if isinstance(request_or_address, HttpRequest):
        address = client_address(request_or_address)
    else:
        address = request_or_address
    return address_hash(address) or "-"


def limited(request_or_address: AddressLike, action: str, per_hour: int) -> bool:
    """True when this address already did ``action`` ``per_hour`` times in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    count = PortalHit.objects.filter(
        action=action, address_hash=hashed_address(request_or_address), at__gte=since
    ).count()
    return count >= per_hour


def note(request_or_address: AddressLike, action: str) -> None:
    """Count one ``action`` from this address, and drop this action's hits older than a day
    (one indexed delete), so the table cannot grow without bound under a bot."""
    PortalHit.objects.create(action=action[:20], address_hash=hashed_address(request_or_address))
    PortalHit.objects.filter(action=action[:20], at__lt=timezone.now() - KEEP_HITS).delete()


def prune() -> int:
    """Drop every hit older than a day (for a periodic task); returns how many went."""
    deleted, _ = PortalHit.objects.filter(at__lt=timezone.now() - KEEP_HITS).delete()
    return deleted


def form_stamp() -> str:
    """A signed timestamp to put in a form when it is shown."""
    return signing.dumps(time.time(), salt=STAMP_SALT)


def filled_too_fast(stamp: str | None, min_seconds: float = MIN_FILL_SECONDS) -> bool:
    """True when the form came back sooner than a person could fill it in, or the stamp is
    missing, forged or older than a day."""
    if not stamp:
        return True
    try:
        shown = float(signing.loads(stamp, salt=STAMP_SALT, max_age=STAMP_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return True
    return time.time() - shown < min_seconds


def honeypot_filled(data: object) -> bool:
    """True when the hidden honeypot field came back with something in it."""
    get = getattr(data, "get", None)
    return bool(get and (get(HONEYPOT_FIELD) or "").strip())
