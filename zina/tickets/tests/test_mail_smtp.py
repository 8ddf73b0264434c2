"""Outgoing ticket mail through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

import pytest

from zina.accounts.models import Institution
from zina.tickets import operations as ops

from .mailserver import SmtpSink, smtp_sink  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_notifications_reach_an_smtp_server_with_thread_headers(
    smtp_sink: SmtpSink,  # noqa: F811
    institution: Institution,
    settings: Any,
) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_sink.port, "timeout": 10},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "VRA pieteikumi <pieteikumi@vra.example.lv>"
    settings.ZINA_MAIL_DOMAIN = "zina.vra.example.lv"
    ticket = ops.open_ticket(
        actor=None,
        institution=institution,
        kind="incident",
        data=ops.TicketData(subject="Nevar pieslēgties", description="Kļūda 500", channel="email"),
        reporter=ops.Reporter(name="Jānis", email="janis@example.lv"),
    )

    [(sender, recipients, raw)] = smtp_sink.received
    assert sender == "pieteikumi@vra.example.lv"
    assert recipients == ["janis@example.lv"]
    sent = message_from_bytes(raw, policy=policy.default)
    thread = f"<ticket-{ticket.pk}@zina.vra.example.lv>"
    assert sent["In-Reply-To"] == thread
    assert sent["References"] == thread
    assert str(sent["Message-ID"]).endswith("@zina.vra.example.lv>")
    assert str(sent["Subject"]).startswith(f"[{ticket.reference}] ")
    assert "Nevar pieslēgties" in str(sent["Subject"])
    assert sent["Auto-Submitted"] == "no"
    assert "Bcc" not in sent
