"""Login rate limiting and API token authentication."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .models import ApiToken, LoginAttempt, User, token_digest

TOKEN_PREFIX = "zina_"  # noqa: S105  (a public marker, not a secret)


def client_address(request: HttpRequest) -> str | None:
    # Behind a proxy, configure it to set REMOTE_ADDR (granian --forwarded-allow-ips);
    # a client-supplied X-Forwarded-For is not trusted here.
    return request.META.get("REMOTE_ADDR") or None


def login_blocked(username: str, address: str | None) -> bool:
    """Too many failed logins for this account from this address, or from this address at all."""
    limits = settings.LOGIN_RATE_LIMIT
    since = timezone.now() - timedelta(seconds=limits["window_seconds"])
    failures = LoginAttempt.objects.filter(at__gte=since, succeeded=False)
    per_account = failures.filter(username__iexact=username, address=address).count()
    if per_account >= limits["per_account"]:
        return True
    return address is not None and failures.filter(address=address).count() >= limits["per_address"]


def note_login_attempt(username: str, address: str | None, succeeded: bool) -> None:
    LoginAttempt.objects.create(username=username[:150], address=address, succeeded=succeeded)
    # Attempts matter only within the rate-limit window; old ones are dropped as new ones come
    # (one indexed delete), so the table cannot grow without bound under a password-guessing bot.
    prune_login_attempts()
    if succeeded:
        # A successful login clears this account's failures from this address.
        LoginAttempt.objects.filter(
            username__iexact=username, address=address, succeeded=False
        ).delete()


def prune_login_attempts(days: int = 30) -> int:
    deleted, _ = LoginAttempt.objects.filter(at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted


def user_for_token(raw: str) -> User | None:
    """The active user a raw ``zina_<prefix>_<secret>`` token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not prefix or not secret:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.digest, token_digest(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
