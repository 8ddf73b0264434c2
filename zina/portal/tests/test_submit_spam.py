"""The portal's spam protection: rate limits per keyed address, minimum fill time, honeypot."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core import signing
from django.test import RequestFactory
from django.utils import timezone

from zina.portal import spam
from zina.portal.models import PortalHit

pytestmark = pytest.mark.django_db


def test_limited_counts_per_address_and_action() -> None:
    for _ in range(3):
        assert not spam.limited("10.0.0.1", "submit", 3)
        spam.note("10.0.0.1", "submit")
    assert spam.limited("10.0.0.1", "submit", 3)
    assert not spam.limited("10.0.0.2", "submit", 3)
    assert not spam.limited("10.0.0.1", "reply", 3)
    # Only a keyed hash is stored, never the address itself.
    assert not PortalHit.objects.filter(address_hash__contains="10.0.0.1").exists()


def test_limited_accepts_a_request() -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.9")
    spam.note(request, "submit")
    assert spam.limited("10.0.0.9", "submit", 1)


def test_old_hits_do_not_count_and_are_pruned() -> None:
    spam.note("10.0.0.1", "submit")
    PortalHit.objects.update(at=timezone.now() - timedelta(hours=2))
    assert not spam.limited("10.0.0.1", "submit", 1)
    PortalHit.objects.update(at=timezone.now() - timedelta(days=2))
    spam.note("10.0.0.1", "submit")
    assert PortalHit.objects.count() == 1


def test_fill_time(monkeypatch: Any) -> None:
    stamp = spam.form_stamp()
    assert spam.filled_too_fast(stamp)
    later = time.time() + spam.MIN_FILL_SECONDS + 1
    monkeypatch.setattr(spam.time, "time", lambda: later)
    assert not spam.filled_too_fast(stamp)
    assert spam.filled_too_fast("")
    assert spam.filled_too_fast("forged:stamp")
    assert spam.filled_too_fast(signing.dumps(0.0, salt="other"))


def test_honeypot() -> None:
    assert spam.honeypot_filled({spam.HONEYPOT_FIELD: "http://spam.example"})
    assert not spam.honeypot_filled({spam.HONEYPOT_FIELD: " "})
    assert not spam.honeypot_filled({})
