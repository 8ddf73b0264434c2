"""Mail about tickets: to the reporter when a ticket is opened (not when staff record it
without an address), answered and resolved; to staff when assigned or when the reporter
writes. The reference is in the subject, the thread's id in In-Reply-To and References, and
the mail is written in the reporter's language. Mail leaves only after commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import translation

from zina.accounts.models import Institution, User
from zina.tickets import notifications
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind, Kind
from zina.tickets.models import Ticket

from . import _factories

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
make_ticket = _factories.make_ticket


@pytest.fixture
def languages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(template, active language) of every mail rendered."""
    seen: list[tuple[str, str]] = []
    render = notifications.render_to_string

    def spy(name: str, context: Any = None) -> str:
        seen.append((name.split("/")[-1], translation.get_language()))
        return render(name, context)

    monkeypatch.setattr(notifications, "render_to_string", spy)
    return seen


@pytest.fixture
def sent(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """``with sent(): …`` runs the on-commit callbacks (mail) of what happens inside."""

    def capture() -> Any:
        mail.outbox.clear()
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def _portal_ticket(institution: Institution, **reporter: Any) -> Ticket:
    return ops.open_ticket(
        actor=reporter.pop("actor", None),
        institution=institution,
        kind=reporter.pop("kind", Kind.INCIDENT),
        data=ops.TicketData(subject="Nevaru pieteikties", language=reporter.pop("language", None)),
        reporter=ops.Reporter(**reporter) if reporter else None,
    )


def test_opened_mail_to_the_reporter(institution: Institution, sent: Any) -> None:
    with sent():
        ticket = _portal_ticket(institution, email="pilsonis@example.lv")
    [message] = mail.outbox
    assert message.to == ["pilsonis@example.lv"]
    assert message.subject.startswith(f"[INC-{ticket.pk}] ")
    # In the reporter's language: Latvian unless they chose English.
    assert message.subject == f"[{ticket.reference}] Saņēmām jūsu pieteikumu: Nevaru pieteikties"
    thread = notifications.thread_id(ticket)
    assert thread == f"<ticket-{ticket.pk}@zina.localhost>"
    assert message.extra_headers["In-Reply-To"] == thread
    assert message.extra_headers["References"] == thread
    assert message.extra_headers["Message-ID"] != thread
    assert ticket.reference in message.body


def test_no_mail_before_commit(institution: Institution) -> None:
    mail.outbox.clear()
    _portal_ticket(institution, email="pilsonis@example.lv")
    assert mail.outbox == []  # the test's transaction never commits


def test_staff_record_without_an_address_sends_nothing(
    make_ticket: Callable[..., Ticket], sent: Any
) -> None:
    with sent():
        make_ticket(reporter=ops.Reporter(name="Zvanītājs", phone="+37120000000"))
        make_ticket(reporter=ops.Reporter(name="Sistēma"), channel="monitoring")
    assert mail.outbox == []
    with sent():
        ticket = make_ticket(reporter=ops.Reporter(name="Zvanītāja", email="z@example.lv"))
    assert [m.to for m in mail.outbox] == [["z@example.lv"]]
    assert mail.outbox[0].subject.startswith(f"[{ticket.reference}]")


def test_reply_and_resolution_mails(
    make_ticket: Callable[..., Ticket], specialist: User, sent: Any
) -> None:
    ticket = make_ticket()
    with sent():
        ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.NOTE, body="Iekšēji.")
    assert mail.outbox == []  # internal notes are not mailed
    with sent():
        ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.REPLY, body="Lūdzu, kodu.")
    [reply] = mail.outbox
    assert reply.to == ["pilsonis@example.lv"]
    assert reply.subject.startswith(f"[{ticket.reference}] ")
    assert "Lūdzu, kodu." in reply.body
    assert reply.extra_headers["In-Reply-To"] == notifications.thread_id(ticket)
    assert reply.extra_headers["References"] == notifications.thread_id(ticket)
    with sent():
        ops.transition(actor=specialist, ticket=ticket, action="resolve", resolution="Gatavs.")
    [resolved] = mail.outbox
    assert resolved.to == ["pilsonis@example.lv"]
    assert resolved.subject.startswith(f"[{ticket.reference}] ")
    assert resolved.extra_headers["References"] == notifications.thread_id(ticket)
    assert resolved.extra_headers["Message-ID"] != reply.extra_headers["Message-ID"]


def test_mail_in_the_reporters_language(
    institution: Institution, languages: list[tuple[str, str]], sent: Any, specialist: User
) -> None:
    english_user = User.objects.create_user("john", email="john@example.com", language="en")
    latvian_user = User.objects.create_user("janis2", email="janis2@example.lv", language="lv")
    with sent():
        _portal_ticket(institution, actor=english_user)
        _portal_ticket(institution, actor=latvian_user, language="en")  # the account decides
        _portal_ticket(institution, email="anon@example.com", language="en")
        plain = _portal_ticket(institution, email="anon@example.lv")
    assert [lang for name, lang in languages if name == "opened.txt"] == ["en", "lv", "en", "lv"]
    assert [m.to[0] for m in mail.outbox] == [
        "john@example.com",
        "janis2@example.lv",
        "anon@example.com",
        "anon@example.lv",
    ]
    languages.clear()
    with sent():
        ops.add_entry(actor=specialist, ticket=plain, kind=EntryKind.REPLY, body="Labdien!")
    assert set(languages) == {("reply_subject.txt", "lv"), ("reply.txt", "lv")}


def test_an_inactive_reporters_address_falls_back_to_the_ticket(
    institution: Institution, superuser: User, sent: Any, specialist: User
) -> None:
    user = User.objects.create_user("aiziet", email="aiziet@example.lv")
    ticket = ops.open_ticket(
        actor=None,
        institution=institution,
        kind=Kind.INCIDENT,
        data=ops.TicketData(subject="X"),
        reporter=ops.Reporter(user=user, email="cits@example.lv"),
    )
    User.objects.filter(pk=user.pk).update(is_active=False)
    ticket = Ticket.objects.get(pk=ticket.pk)
    with sent():
        ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.REPLY, body="Atbilde.")
    assert [m.to for m in mail.outbox] == [["cits@example.lv"]]


def test_staff_mails(
    make_ticket: Callable[..., Ticket],
    specialist: User,
    expert: User,
    teams: dict[int, Any],
    sent: Any,
) -> None:
    ticket = make_ticket()
    with sent():
        ops.take(actor=specialist, ticket=ticket)  # assigning oneself: no mail
    assert mail.outbox == []
    with sent():
        ops.assign(actor=specialist, ticket=ticket, assignee=expert)
    assert [m.to for m in mail.outbox] == [["janis@vra.example.lv"]]
    assert mail.outbox[0].subject.startswith(f"[{ticket.reference}]")
    with sent():
        ops.add_entry(actor=None, ticket=ticket, kind=EntryKind.INCOMING, body="Vēl kas.")
    assert [m.to for m in mail.outbox] == [["janis@vra.example.lv"]]
    # Nobody assigned: the team's members hear of it.
    unassigned = make_ticket(team=teams[1])
    with sent():
        ops.add_entry(actor=None, ticket=unassigned, kind=EntryKind.INCOMING, body="Sveiki.")
    assert [m.to for m in mail.outbox] == [["anna@vra.example.lv"]]


def test_a_failing_mail_server_does_not_undo_the_work(
    make_ticket: Callable[..., Ticket],
    specialist: User,
    sent: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = make_ticket()

    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with sent():
        entry = ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.REPLY, body="Jā.")
    assert entry.pk is not None
    assert mail.outbox == []


def test_muted_sends_nothing(institution: Institution, sent: Any) -> None:
    with sent(), notifications.muted():
        _portal_ticket(institution, email="pilsonis@example.lv")
    assert mail.outbox == []
    with sent():
        _portal_ticket(institution, email="pilsonis@example.lv")
    assert len(mail.outbox) == 1  # the switch does not outlive its block
