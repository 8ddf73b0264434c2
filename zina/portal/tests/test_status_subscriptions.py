# ruff: noqa: F811  (fixtures imported from status_fixtures)
"""Status e-mail: double opt-in, one-click unsubscribe (RFC 8058), rate limits, and notices
mailed once each to confirmed subscribers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zina.accounts.models import User
from zina.core.models import AuditEvent
from zina.portal import status_operations as sops
from zina.portal.models import StatusNotice, StatusSubscription
from zina.portal.tasks import schedule_status_notifications, status_notifications
from zina.tickets import operations as ops
from zina.tickets.models import Ticket

from .status_fixtures import _english, change, graph, incident, old_stamp, staff  # noqa: F401

pytestmark = pytest.mark.django_db


def subscribe(client: Client, email: str, *services: int, **extra: Any) -> Any:
    data = {"email": email, "services": list(services), "stamp": old_stamp(), **extra}
    return client.post(reverse("portal:status_subscribe"), data)


def link_in(message: Any) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match
    return match.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_double_opt_in(
    client: Client, graph: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    a, b = graph["a"], graph["b"]
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, "Anna@Example.LV", a.pk, b.pk)
    assert response.status_code == 302
    subs = StatusSubscription.objects.order_by("service__identifier")
    assert [(s.email, s.confirmed_at) for s in subs] == [("Anna@example.lv", None)] * 2
    (message,) = mail.outbox
    assert message.to == ["Anna@example.lv"]
    assert "Uzņēmumu reģistrācija" in message.body
    url = link_in(message)
    # Following the link (a mail scanner does) confirms nothing; the button does.
    page = client.get(url)
    assert page.status_code == 200
    assert not StatusSubscription.objects.filter(confirmed_at__isnull=False).exists()
    assert client.post(url).status_code == 200
    assert StatusSubscription.objects.filter(confirmed_at__isnull=False).count() == 2
    audit = AuditEvent.objects.filter(verb="portal.status_subscription_confirmed")
    assert audit.count() == 2
    assert not any("example.lv" in (e.object_repr + str(e.after)) for e in audit)


def test_bad_confirmation_link(client: Client, graph: dict[str, Any]) -> None:
    assert client.get(reverse("portal:status_confirm", args=["nonsense"])).status_code == 400
    # A link for another address does not confirm this one's requests.
    sub = StatusSubscription.objects.create(service=graph["a"], email="a@example.lv")
    forged = sops.confirm_url("b@example.lv", [sub.pk]).split("localhost:8000", 1)[1]
    assert client.post(forged).status_code == 400
    sub.refresh_from_db()
    assert sub.confirmed_at is None


def test_subscribe_refuses_hidden_services_bots_and_floods(
    client: Client, graph: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    response = subscribe(client, "x@example.lv", graph["hidden"].pk)
    assert response.status_code == 400
    assert not StatusSubscription.objects.exists()
    bot = subscribe(client, "x@example.lv", graph["a"].pk, website="http://spam")
    assert bot.status_code == 400
    too_fast = client.post(
        reverse("portal:status_subscribe"),
        {"email": "x@example.lv", "services": [graph["a"].pk]},
    )
    assert too_fast.status_code == 400
    assert not StatusSubscription.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        codes = [subscribe(client, "x@example.lv", graph["a"].pk).status_code for _ in range(5)]
    # One address gets at most three confirmation mails an hour.
    assert codes == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3


def test_one_click_unsubscribe(client: Client, graph: dict[str, Any]) -> None:
    now = timezone.now()
    one = StatusSubscription.objects.create(service=graph["a"], email="u@x.lv", confirmed_at=now)
    StatusSubscription.objects.create(service=graph["b"], email="u@x.lv", confirmed_at=now)
    other = StatusSubscription.objects.create(service=graph["a"], email="o@x.lv", confirmed_at=now)
    url = reverse("portal:status_unsubscribe", args=[one.token])
    page = client.get(url)
    assert page.status_code == 200
    assert StatusSubscription.objects.count() == 3
    # RFC 8058: a POST without cookies or CSRF token, body "List-Unsubscribe=One-Click".
    bare = Client(enforce_csrf_checks=True)
    response = bare.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert list(StatusSubscription.objects.all()) == [other]
    assert bare.get(url).status_code == 404
    assert AuditEvent.objects.filter(verb="portal.status_unsubscribed").count() == 2


def test_unsubscribe_one_service(client: Client, graph: dict[str, Any]) -> None:
    now = timezone.now()
    one = StatusSubscription.objects.create(service=graph["a"], email="u@x.lv", confirmed_at=now)
    two = StatusSubscription.objects.create(service=graph["b"], email="u@x.lv", confirmed_at=now)
    response = client.post(
        reverse("portal:status_unsubscribe", args=[one.token]), {"service": graph["a"].pk}
    )
    assert list(StatusSubscription.objects.all()) == [two]
    assert two.token in response.content.decode()  # the page goes on with a valid link


def test_unconfirmed_requests_are_forgotten(graph: dict[str, Any]) -> None:
    sub = StatusSubscription.objects.create(service=graph["a"], email="u@x.lv")
    StatusSubscription.objects.filter(pk=sub.pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    assert sops.prune_unconfirmed() == 1


@pytest.fixture
def subscribers(graph: dict[str, Any]) -> dict[str, StatusSubscription]:
    now = timezone.now()
    return {
        "a": StatusSubscription.objects.create(
            service=graph["a"], email="a@x.lv", confirmed_at=now, language="lv"
        ),
        "ab": StatusSubscription.objects.create(
            service=graph["b"], email="a@x.lv", confirmed_at=now
        ),
        "c": StatusSubscription.objects.create(
            service=graph["c"], email="c@x.lv", confirmed_at=now, language="en"
        ),
        "pending": StatusSubscription.objects.create(service=graph["a"], email="p@x.lv"),
    }


def test_notices_are_sent_once(
    graph: dict[str, Any],
    subscribers: dict[str, StatusSubscription],
    incident: Callable[..., Ticket],
    staff: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def run() -> list[Any]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            sops.send_due_notices()
        return list(mail.outbox)

    ticket = incident(resource=graph["db"], subject="Datubāze nav pieejama")
    (started,) = run()  # one mail for a@x.lv though both its services are affected
    assert started.to == ["a@x.lv"]
    assert "Datubāze nav pieejama" in started.subject
    header = started.extra_headers["List-Unsubscribe"]
    unsubscribe = header.strip("<>")
    assert unsubscribe in {sops.unsubscribe_url(subscribers[k]) for k in ("a", "ab")}
    assert started.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in started.body
    assert run() == []  # nothing new, nothing sent

    ops.add_entry(actor=staff, ticket=ticket, kind="note", body="iekšēji")
    assert run() == []
    ops.add_entry(actor=staff, ticket=ticket, kind="reply", body="Atjaunojam rezerves kopiju.")
    (update,) = run()
    assert "Atjaunojam rezerves kopiju." in update.body
    assert run() == []

    ops.transition(actor=staff, ticket=ticket, action="resolve", resolution="Atjaunots.")
    (ended,) = run()
    assert "Atjaunots." in ended.body
    assert run() == []
    assert set(StatusNotice.objects.filter(ticket=ticket).values_list("key", flat=True)) == {
        "started",
        f"update:{ticket.entries.filter(kind='reply').get().pk}",
        "ended",
    }


def test_maintenance_notice_and_reschedule(
    graph: dict[str, Any],
    subscribers: dict[str, StatusSubscription],
    change: Callable[..., Ticket],
    staff: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    start = timezone.now() + timedelta(days=10)
    ticket = change(start, start + timedelta(hours=1), service=graph["c"])
    with django_capture_on_commit_callbacks(execute=True):
        sops.send_due_notices()
    (scheduled,) = mail.outbox
    assert scheduled.to == ["c@x.lv"]
    assert scheduled.subject.startswith("Planned maintenance")  # the subscriber's language
    with django_capture_on_commit_callbacks(execute=True):
        sops.send_due_notices()
    assert len(mail.outbox) == 1
    ops.update_ticket(
        actor=staff,
        ticket=ticket,
        data=ops.TicketData(
            planned_start=start + timedelta(days=1), planned_end=start + timedelta(days=1, hours=1)
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        sops.send_due_notices()
    assert len(mail.outbox) == 2  # the window moved: subscribers hear again
    ops.transition(actor=staff, ticket=ticket, action="cancel", note="Atcelts")
    with django_capture_on_commit_callbacks(execute=True):
        sops.send_due_notices()
    assert len(mail.outbox) == 3
    assert "cancelled" in mail.outbox[-1].subject.lower()


def test_interruption_that_ended_between_runs_sends_one_mail(
    graph: dict[str, Any],
    subscribers: dict[str, StatusSubscription],
    incident: Callable[..., Ticket],
    django_capture_on_commit_callbacks: Any,
) -> None:
    now = timezone.now()
    incident(service=graph["a"], start=now - timedelta(hours=2), end=now - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        sops.send_due_notices()
    (message,) = mail.outbox
    assert message.to == ["a@x.lv"]
    assert StatusNotice.objects.count() == 2  # started (unsent) and ended


def test_task_runs_and_keeps_one_run_queued(graph: dict[str, Any]) -> None:
    from django_tasks_db.models import DBTaskResult

    schedule_status_notifications()
    schedule_status_notifications()
    queued = DBTaskResult.objects.filter(task_path=status_notifications.module_path, status="READY")
    assert queued.count() == 1
    assert status_notifications.call() == {"mails": 0, "pruned": 0}
