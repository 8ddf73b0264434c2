"""Mail intake against a real IMAP server (Dovecot on loopback): new tickets, replies,
automatic mail, quarantine, interrupted runs and duplicates."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from zina.accounts.models import Institution
from zina.tickets import operations as ops
from zina.tickets.choices import Channel, EntryKind
from zina.tickets.mail import intake
from zina.tickets.mail.config import mailboxes
from zina.tickets.mail.imap import Connection
from zina.tickets.models import MailMessage, Ticket, TicketAttachment

from .mailserver import ImapServer, TestMailbox, imap_server  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

Status = MailMessage.Status


def message(
    subject: str = "Nevar pieslēgties e-pakalpojumam",
    body: str = "Labdien! Es nevaru pieslēgties, lūdzu palīdziet.",
    sender: str = "Jānis Bērziņš <janis@example.lv>",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "pieteikumi@vra.example.lv"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.lv")
    for name, value in (headers or {}).items():
        del msg[name]
        msg[name] = value
    if html is not None and not body:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    for name, content_type, data in attachments or []:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def nested(depth: int) -> bytes:
    """A message of ``depth`` multiparts inside each other (a parser bomb)."""
    body = b"Content-Type: text/plain\r\n\r\nx\r\n"
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="'
            + boundary
            + b'"\r\n\r\n--'
            + boundary
            + b"\r\n"
            + body
            + b"--"
            + boundary
            + b"--\r\n"
        )
    return b"From: a@example.lv\r\nSubject: Ligzda\r\nMIME-Version: 1.0\r\n" + body


def raw_message(lines: list[str], body: bytes = b"Labdien!\r\n") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.fixture
def box(imap_server: ImapServer, institution: Institution, settings: Any) -> TestMailbox:  # noqa: F811
    mailbox = imap_server.mailbox()
    settings.ZINA_MAILBOXES = [mailbox.config(institution.code)]
    return mailbox


@pytest.fixture
def fetch() -> Callable[[], dict[str, int]]:
    def run() -> dict[str, int]:
        [summary] = intake.fetch_all()
        assert not summary.error, summary.error
        return summary.counts

    return run


def test_new_message_opens_ticket_and_tells_reporter(
    box: TestMailbox, fetch: Callable[[], dict[str, int]], institution: Institution
) -> None:
    pdf = b"%PDF-1.4 " + bytes(range(256)) * 4
    raw = message(attachments=[("izziņa.pdf", "application/pdf", pdf)])
    box.append(raw)

    assert fetch() == {"processed": 1}

    ticket = Ticket.objects.get()
    assert ticket.kind == "incident"
    assert ticket.institution == institution
    assert ticket.channel == Channel.EMAIL
    assert ticket.subject == "Nevar pieslēgties e-pakalpojumam"
    assert ticket.reporter_name == "Jānis Bērziņš"
    assert ticket.reporter_email == "janis@example.lv"
    assert "nevaru pieslēgties" in ticket.description
    assert ticket.language == "lv"
    entry = ticket.entries.get(kind=EntryKind.INCOMING)
    record = MailMessage.objects.get()
    assert record.status == Status.PROCESSED
    assert (record.ticket, record.entry, record.raw) == (ticket, entry, None)
    assert entry.message_id == record.message_id
    assert record.sha256 == hashlib.sha256(re.sub(rb"\r?\n", b"\r\n", raw)).hexdigest()
    attachment = TicketAttachment.objects.get()
    assert (attachment.ticket, attachment.entry) == (ticket, entry)
    assert attachment.name == "izziņa.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(pdf)
    assert attachment.checksum == hashlib.sha256(pdf).hexdigest()
    assert attachment.file.read() == pdf
    assert not attachment.internal

    [notice] = mail.outbox
    assert notice.to == ["janis@example.lv"]
    assert notice.subject.startswith(f"[{ticket.reference}] ")
    assert box.flags() == {1: {"\\Seen"}}

    assert fetch() == {}  # nothing twice
    assert Ticket.objects.count() == 1


def test_html_only_message_becomes_safe_text_in_english(
    box: TestMailbox, fetch: Callable[[], dict[str, int]]
) -> None:
    html = (
        "<html><head><title>t</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body>"
        "<p onclick=\"alert('y')\">Hello, I cannot log in to the portal.</p>"
        "<p>Please help &amp; thank you.<br>Anna</p>"
        '<a href="javascript:alert(\'z\')">click</a> <a href="https://example.org/x">docs</a>'
        '<iframe src="https://evil.example">frame text</iframe></body></html>'
    )
    box.append(message(subject="Login problem", body="", html=html, sender="anna@example.org"))

    assert fetch() == {"processed": 1}
    ticket = Ticket.objects.get()
    text = ticket.description
    assert "Hello, I cannot log in to the portal." in text
    assert "Please help & thank you.\nAnna" in text
    assert "docs (https://example.org/x)" in text
    for bad in ("alert", "<", "color:red", "javascript", "frame text"):
        assert bad not in text
    assert ticket.language == "en"
    assert ticket.reporter_name == ""


def test_reply_threads_by_in_reply_to(
    box: TestMailbox, fetch: Callable[[], dict[str, int]]
) -> None:
    first = message()
    box.append(first)
    fetch()
    ticket = Ticket.objects.get()
    [notice] = mail.outbox
    ours = notice.message()["Message-ID"]

    reply = message(
        subject=f"Re: [{ticket.reference}] Mēs saņēmām jūsu pieteikumu",
        body="Paldies, pievienoju ekrānuzņēmumu.\n\nOn Mon, Zina wrote:\n> Labdien,\n> mēs saņēmām",
        headers={"In-Reply-To": ours, "References": f"<ticket-{ticket.pk}@zina.localhost> {ours}"},
    )
    # A colleague answering the reporter's own first message threads too (its id is known).
    first_id = MailMessage.objects.get().message_id
    colleague = message(
        subject="Papildu informācija",
        body="Arī man neizdodas.",
        sender="kolega@example.lv",
        headers={"In-Reply-To": first_id},
    )
    box.append(reply, colleague)

    assert fetch() == {"processed": 2}
    assert Ticket.objects.count() == 1
    entries = list(ticket.entries.filter(kind=EntryKind.INCOMING).order_by("id"))
    assert len(entries) == 3
    assert entries[1].body == "Paldies, pievienoju ekrānuzņēmumu."  # quoted history dropped
    assert entries[1].author_label == "Jānis Bērziņš"
    assert entries[2].body == "Arī man neizdodas."
    assert {r.ticket_id for r in MailMessage.objects.all()} == {ticket.pk}


def test_guessable_thread_ids_need_the_reporter(
    box: TestMailbox, fetch: Callable[[], dict[str, int]]
) -> None:
    box.append(message())
    fetch()
    ticket = Ticket.objects.get()
    stranger = message(
        subject="Re: jūsu pieteikums",
        sender="svesinieks@example.com",
        headers={"In-Reply-To": f"<ticket-{ticket.pk}@zina.localhost>"},
    )
    box.append(stranger)
    assert fetch() == {"processed": 1}
    assert Ticket.objects.count() == 2  # a new ticket, not an entry on someone else's


def test_reply_threads_by_reference_in_subject(
    box: TestMailbox,
    fetch: Callable[[], dict[str, int]],
    institution: Institution,
    other_institution: Institution,
) -> None:
    box.append(message())
    fetch()
    ticket = Ticket.objects.get()
    elsewhere = ops.open_ticket(
        actor=None,
        institution=other_institution,
        kind="incident",
        data=ops.TicketData(subject="Cits", description="x"),
        reporter=ops.Reporter(email="janis@example.lv"),
    )
    box.append(
        message(subject=f"RE: [{ticket.reference}] vēl kas", body="Vēl viena lieta."),
        message(subject=f"[{ticket.reference}] arī es", sender="cits@example.lv"),
        message(subject=f"[{elsewhere.reference}] citai iestādei"),
        message(subject=f"[PRB-{ticket.pk}] nepareizs prefikss"),
    )

    assert fetch() == {"processed": 4}
    assert ticket.entries.filter(kind=EntryKind.INCOMING).count() == 2
    assert ticket.entries.filter(body="Vēl viena lieta.").exists()
    assert Ticket.objects.filter(institution=institution).count() == 4
    assert elsewhere.entries.filter(kind=EntryKind.INCOMING).count() == 0


AUTOMATIC = [
    ["Auto-Submitted: auto-replied"],
    ["X-Autoreply: yes"],
    ["Precedence: bulk"],
    ["Precedence: auto_reply"],
    ["Return-Path: <>"],
]


def test_auto_replies_and_bounces_are_ignored(
    box: TestMailbox, fetch: Callable[[], dict[str, int]]
) -> None:
    common = ["From: Anna <anna@example.lv>", "Subject: Prombūtnē", "Message-ID: <{n}@x.lv>"]
    messages = [
        raw_message([*(line.format(n=n) for line in common), *extra])
        for n, extra in enumerate(AUTOMATIC)
    ]
    messages.append(
        raw_message(
            [
                "From: Mail Delivery System <MAILER-DAEMON@mx.example.lv>",
                "Subject: Undelivered Mail Returned to Sender",
                "Message-ID: <bounce1@mx.example.lv>",
            ]
        )
    )
    messages.append(
        raw_message(
            [
                "From: postmaster@example.lv",
                "Subject: Delivery Status Notification (Failure)",
                "Message-ID: <bounce2@example.lv>",
                "MIME-Version: 1.0",
                'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
            ],
            b"--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
            b"Reporting-MTA: dns; mx.example.lv\r\n\r\nFinal-Recipient: rfc822; x@y.lv\r\n"
            b"Action: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n",
        )
    )
    # Our own notification coming back (a forwarding loop).
    messages.append(
        raw_message(
            ["From: x@example.lv", "Subject: [INC-1] x", "Message-ID: <1.t1@zina.localhost>"]
        )
    )
    box.append(*messages)

    assert fetch() == {"ignored": len(messages)}
    assert not Ticket.objects.exists()
    assert not mail.outbox
    reasons = list(MailMessage.objects.order_by("uid").values_list("reason", flat=True))
    assert reasons == ["auto_reply"] * 4 + ["bounce"] * 3 + ["loop"]
    assert all(flags == {"\\Seen"} for flags in box.flags().values())


def test_bad_messages_are_quarantined_and_the_rest_goes_on(
    box: TestMailbox, fetch: Callable[[], dict[str, int]], settings: Any, capsys: Any
) -> None:
    settings.ZINA_MAIL_MAX_BYTES = 20_000
    good = message(subject="Labs", body="Viss kārtībā.")
    bad = [
        message(subject="Liels", body="x" * 30_000),
        raw_message(
            [
                "From: a@example.lv",
                "Subject: Bez robežas",
                "MIME-Version: 1.0",
                'Content-Type: multipart/mixed; boundary="nav"',
            ],
            b"--cits\r\nContent-Type: text/plain\r\n\r\nteksts\r\n",
        ),
        raw_message(
            [
                "From: a@example.lv",
                "Subject: Klingon",
                "Content-Type: text/plain; charset=x-klingon",
            ]
        ),
        raw_message(
            [
                "From: a@example.lv",
                "Subject: Slikts UTF-8",
                "Content-Type: text/plain; charset=utf-8",
            ],
            b"Labdien \xff\xfe\xe2 bojats\r\n",
        ),
        raw_message(["From: nav adreses", "Subject: Bez sūtītāja"]),
        nested(30),
    ]
    box.append(bad[0], bad[1], good, *bad[2:])

    assert fetch() == {"processed": 1, "quarantined": 6}
    assert Ticket.objects.get().subject == "Labs"
    rows = {r.subject: r for r in MailMessage.objects.filter(status=Status.QUARANTINED)}
    assert rows["Liels"].reason == "oversized"
    assert rows["Liels"].raw is not None
    assert len(rows["Liels"].raw) < 2000
    assert rows["Bez robežas"].reason == "malformed"
    assert rows["Klingon"].reason == "charset"
    assert rows["Slikts UTF-8"].reason == "charset"
    assert rows["Bez sūtītāja"].reason == "no_sender"
    assert any(r.reason == "hostile" for r in rows.values())
    assert all(r.raw for r in rows.values())
    flags = box.flags()
    assert sorted(flags[uid] == {"\\Seen", "\\Flagged"} for uid in flags).count(True) == 6

    call_command("fetchmail", "--quarantine")
    listing = capsys.readouterr().out
    assert "Klingon" in listing
    assert "unknown character set" in listing
    assert fetch() == {}


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def test_attachments_are_kept_within_limits(
    box: TestMailbox, fetch: Callable[[], dict[str, int]], settings: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    box.append(
        message(
            attachments=[
                ("../../etc/passwd.txt", "text/plain", b"root:x:0:0"),
                ("liels.pdf", "application/pdf", b"%PDF-" + b"z" * 5000),
                ("C:\\Users\\x\\..\\evil<script>.png", "text/html", PNG),
                ("programma.exe", "application/octet-stream", b"MZ\x90\x00"),
                ("viltots.pdf", "application/pdf", b"<html><script>alert(1)</script>"),
            ]
        )
    )

    assert fetch() == {"processed": 1}
    kept = sorted(TicketAttachment.objects.values_list("name", "content_type"))
    assert kept == [("evil_script_.png", "image/png"), ("passwd.txt", "text/plain; charset=utf-8")]
    ticket = Ticket.objects.get()
    # The note is written in the installation's language (Latvian).
    assert "“liels.pdf” (5005 baiti) netika saglabāts" in ticket.description
    assert "“programma.exe” netika saglabāts" in ticket.description
    assert "“viltots.pdf” netika saglabāts" in ticket.description
    record = MailMessage.objects.get()
    assert record.reason == "attachments"
    assert record.raw  # the whole message is kept
    for attachment in TicketAttachment.objects.all():
        assert ".." not in attachment.file.name


def test_too_many_attachments(
    box: TestMailbox, fetch: Callable[[], dict[str, int]], settings: Any
) -> None:
    settings.ZINA_MAIL_MAX_ATTACHMENTS = 2
    box.append(message(attachments=[(f"{n}.png", "image/png", PNG) for n in range(4)]))
    assert fetch() == {"processed": 1}
    assert TicketAttachment.objects.count() == 2
    assert "“2.png” netika saglabāts: no vienas vēstules saglabā ne vairāk kā 2 failus" in (
        Ticket.objects.get().description
    )


def test_hostile_headers_do_not_reach_outgoing_mail(
    box: TestMailbox, fetch: Callable[[], dict[str, int]]
) -> None:
    raw = raw_message(
        [
            "From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40example=2Ecom?= <evil@example.com>",
            "Subject: =?utf-8?q?Sveiki=0D=0ABcc=3A_victim=40example=2Ecom=0D=0A=0D=0Abody?=",
            "Reply-To: victim@example.com",
            "Message-ID: <hostile@example.com>",
        ]
    )
    box.append(raw)

    assert fetch() == {"processed": 1}
    ticket = Ticket.objects.get()
    assert "\n" not in ticket.subject
    assert "\r" not in ticket.subject
    assert ticket.subject == "Sveiki Bcc: victim@example.com body"
    assert "\n" not in ticket.reporter_name
    assert ticket.reporter_email == "evil@example.com"
    [notice] = mail.outbox
    assert notice.to == ["evil@example.com"]
    assert not notice.bcc
    assert not notice.cc
    sent = notice.message()
    assert sent["Bcc"] is None
    assert "victim" not in str(sent["To"])


def test_a_failing_message_is_quarantined_and_the_next_ones_processed(
    box: TestMailbox, fetch: Callable[[], dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ops.open_ticket

    def open_ticket(**kwargs: Any) -> Ticket:
        if kwargs["data"].subject == "BOOM":
            raise RuntimeError("database said no")
        return real(**kwargs)

    monkeypatch.setattr(ops, "open_ticket", open_ticket)
    box.append(message(subject="Pirmais"), message(subject="BOOM"), message(subject="Trešais"))

    assert fetch() == {"processed": 2, "quarantined": 1}
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Pirmais", "Trešais"]
    failed = MailMessage.objects.get(status=Status.QUARANTINED)
    assert (failed.reason, failed.subject) == ("error", "BOOM")
    assert "database said no" in failed.detail
    assert failed.ticket is None
    assert failed.raw
    assert not TicketAttachment.objects.exists()
    assert len(mail.outbox) == 2  # the rolled-back ticket sent nothing


def test_interrupted_run_loses_and_repeats_nothing(
    box: TestMailbox, fetch: Callable[[], dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    box.append(*(message(subject=f"Ziņa {n}") for n in range(1, 6)))
    real_process = intake.process
    calls = []

    def crash_on_third(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process is killed half-way through message 3
        real_process(*args, **kwargs)

    monkeypatch.setattr(intake, "process", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        intake.fetch_all()
    assert Ticket.objects.count() == 2
    assert MailMessage.objects.count() == 2

    # Then the connection drops after message 3 is committed but before it is marked.
    monkeypatch.setattr(intake, "process", real_process)
    real_dispose = Connection.dispose
    disposals = []

    def drop(self: Connection, uids: list[int], *, flag: bool = False) -> None:
        if uids:
            disposals.append(uids)
            if len(disposals) == 1:
                raise OSError("connection reset")
        real_dispose(self, uids, flag=flag)

    monkeypatch.setattr(Connection, "dispose", drop)
    [summary] = intake.fetch_all()
    assert "connection reset" in summary.error
    assert MailMessage.objects.count() == 3
    assert "\\Seen" not in box.flags()[3]

    monkeypatch.setattr(Connection, "dispose", real_dispose)
    assert fetch() == {"processed": 2}
    subjects = sorted(Ticket.objects.values_list("subject", flat=True))
    assert subjects == [f"Ziņa {n}" for n in range(1, 6)]
    assert MailMessage.objects.count() == 5
    assert all(flags == {"\\Seen"} for flags in box.flags().values())
    assert len(mail.outbox) == 5


def test_the_same_message_twice_is_taken_in_once(
    box: TestMailbox,
    fetch: Callable[[], dict[str, int]],
    imap_server: ImapServer,  # noqa: F811
    institution: Institution,
    settings: Any,
) -> None:
    raw = message()
    box.append(raw, raw)
    # The same message also reached a second address of the institution, with other headers.
    second = imap_server.mailbox()
    second.append(b"Received: from mx by mx2; Mon, 1 Jan 2029 10:00:00 +0200\r\n" + raw)
    settings.ZINA_MAILBOXES = [box.config(institution.code), second.config(institution.code)]

    summaries = intake.fetch_all()
    assert [s.counts for s in summaries] == [{"processed": 1, "duplicate": 1}, {"duplicate": 1}]
    ticket = Ticket.objects.get()
    assert ticket.entries.filter(kind=EntryKind.INCOMING).count() == 1
    assert set(MailMessage.objects.values_list("ticket", flat=True)) == {ticket.pk}
    assert len(mail.outbox) == 1


def test_handled_messages_can_be_moved_to_a_folder(
    box: TestMailbox, fetch: Callable[[], dict[str, int]], institution: Institution, settings: Any
) -> None:
    box.create("Zina")
    settings.ZINA_MAILBOXES = [box.config(institution.code, move_to="Zina", key="vra")]
    box.append(
        message(), raw_message(["From: a@x.lv", "Subject: x", "Auto-Submitted: auto-replied"])
    )

    assert fetch() == {"processed": 1, "ignored": 1}
    assert box.flags() == {}
    assert len(box.flags("Zina")) == 2
    assert set(MailMessage.objects.values_list("mailbox", flat=True)) == {"vra"}


def test_fetchmail_command_and_worker_task(
    box: TestMailbox, institution: Institution, capsys: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from zina.tickets.tasks import fetch_mail

    box.append(message())
    call_command("fetchmail")
    assert "1 processed" in capsys.readouterr().out
    box.append(message(subject="Otrā"))
    assert fetch_mail.call() == {"processed": 1}
    assert (
        DBTaskResult.objects.filter(task_path=fetch_mail.module_path, status="READY").count() == 1
    )
    assert Ticket.objects.count() == 2
    assert [m.key for m in mailboxes()] == [f"{box.user}@127.0.0.1:{box.server.port}/INBOX"]


def test_a_mailbox_that_cannot_be_read_does_not_stop_the_others(
    box: TestMailbox, institution: Institution, settings: Any
) -> None:
    broken = {**box.config(institution.code), "password": "wrong", "key": "broken"}
    settings.ZINA_MAILBOXES = [broken, box.config(institution.code)]
    box.append(message())
    first, second = intake.fetch_all()
    assert first.error
    assert second.counts == {"processed": 1}
