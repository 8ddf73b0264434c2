"""The mail parser and mailbox settings on their own (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from zina.tickets.mail import parser
from zina.tickets.mail.config import mailboxes


def test_raw_utf8_headers_and_nul_bytes() -> None:
    raw = "From: Jānis <janis@example.lv>\r\nSubject: Sveiki, ūdens\r\n\r\nTeksts\r\n".encode()
    parsed = parser.parse(raw)
    assert (parsed.subject, parsed.sender_name, parsed.sender) == (
        "Sveiki, ūdens",
        "Jānis",
        "janis@example.lv",
    )
    with pytest.raises(parser.Rejected) as caught:
        parser.parse(b"From: a@example.lv\r\nSubject: a\x00b\r\n\r\nx")
    assert caught.value.reason == parser.HOSTILE


def test_control_characters_and_nul_in_the_body_are_dropped() -> None:
    parsed = parser.parse(b"From: a@example.lv\r\nSubject: x\r\n\r\nvien\x00s\x1b[31m divi\r\n")
    assert parsed.text == "viens[31m divi"


def test_text_parts_in_cp1257_and_html_entities() -> None:
    raw = (
        b"From: a@example.lv\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=windows-1257\r\n\r\n"
        b"<p>\xfe\xe8&lt;script&gt; &amp;</p>"
    )
    assert parser.parse(raw).text == "žč<script> &"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("  .hidden ", "hidden"),
        ("izziņa (1).pdf", "izziņa (1).pdf"),
        ("", "attachment-3.bin"),
        ("a" * 300 + ".pdf", "a" * 96 + ".pdf"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert parser.safe_filename(name, 3, "application/octet-stream") == expected


def test_strip_quoted_keeps_only_the_new_text() -> None:
    text = "Paldies!\n\nOtrdien, 2029. gada 2. janvārī Zina rakstīja:\n> Labdien\n> x"
    assert parser.strip_quoted(text) == "Paldies!"
    outlook = "Jā, derēs.\n\nFrom: Zina <z@x.lv>\nSent: Monday\nSubject: [INC-1] x\n\nLabdien"
    assert parser.strip_quoted(outlook) == "Jā, derēs."
    assert parser.strip_quoted("> tikai citāts") == "> tikai citāts"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Labdien, nevaru pieslēgties", "lv"),
        ("Labdien, nevaru pieslegties portalam, ludzu palidziet un atbildiet", "lv"),
        ("Hello, I cannot log in to the portal. Please help me with this.", "en"),
        ("", "lv"),
    ],
)
def test_guess_language(text: str, language: str) -> None:
    assert parser.guess_language(text) == language


def test_mailbox_settings(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VRA_IMAP_PASSWORD", "s3cret")
    settings.ZINA_MAILBOXES = [
        {
            "institution": "vra",
            "host": "imap.vra.lv",
            "user": "pieteikumi",
            "password_env": "VRA_IMAP_PASSWORD",
        },
        {
            "institution": "spa",
            "host": "mail.spa.lv",
            "user": "x",
            "password": "p",
            "starttls": True,
            "folder": "Pieteikumi",
            "kind": "request",
            "key": "spa",
        },
    ]
    first, second = mailboxes()
    assert (first.port, first.security, first.password, first.key) == (
        993,
        "ssl",
        "s3cret",
        "pieteikumi@imap.vra.lv:993/INBOX",
    )
    assert (second.port, second.security, second.kind, second.folder) == (
        143,
        "starttls",
        "request",
        "Pieteikumi",
    )
    for wrong in (
        [{"institution": "vra", "host": "h"}],
        [{"institution": "vra", "host": "h", "user": "u", "kind": "problem"}],
        [{"institution": "vra", "host": "h", "user": "u", "pasword": "typo"}],
        [{"institution": "vra", "host": "h", "user": "u", "security": "tls"}],
    ):
        settings.ZINA_MAILBOXES = wrong
        with pytest.raises(ImproperlyConfigured):
            mailboxes()
