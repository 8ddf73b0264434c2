# ruff: noqa: F811  (fixtures imported from public_fixtures)
"""Submitting on the portal: the four forms, deflection instead of submitting, spam refusals,
the portal ticket and its mails with a working private tracking link, replies, and a logged-in
recipient's own requests."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from zina.accounts.models import Institution, User
from zina.catalog.models import Service
from zina.core.models import AuditEvent
from zina.knowledge.choices import Audience
from zina.knowledge.models import Article
from zina.portal import operations as ops
from zina.portal.models import Deflection, PortalHit
from zina.tickets import operations as ticket_ops
from zina.tickets.choices import Channel, EntryKind, Kind
from zina.tickets.models import Ticket, TicketEntry

from .public_fixtures import old_stamp, public_service, publish  # noqa: F401

pytestmark = pytest.mark.django_db


def form_data(service: Service | None = None, **extra: str) -> dict[str, str]:
    data = {
        "subject": "Nevaru pieslēgties e-adresei",
        "description": "Pieslēdzoties rāda kļūdu 500.",
        "name": "Jānis Bērziņš",
        "email": "janis@example.lv",
        "phone": "",
        "website": "",
        "stamp": old_stamp(),
    }
    if service is not None:
        data["service"] = str(service.pk)
    data.update(extra)
    return data


def tracking_url(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://\S+(/portal/requests/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_submission_opens_a_portal_ticket_and_mails_the_tracking_link(
    client: Client,
    public_service: Service,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:submit", args=["question"]), form_data(public_service)
        )
    ticket = Ticket.objects.get()
    assert ticket.kind == Kind.INCIDENT
    assert ticket.channel == Channel.PORTAL
    assert ticket.service == public_service
    assert ticket.reporter_email == "janis@example.lv"
    assert ticket.reporter_name == "Jānis Bērziņš"
    assert response.status_code == 302
    assert response["Location"] == ops.tracking_path(ticket)
    assert AuditEvent.objects.filter(verb="portal.submitted").exists()
    # One confirmation, carrying the private tracking link.
    assert len(mail.outbox) == 1
    tracking = [m for m in mail.outbox if "/portal/requests/" in m.body]
    assert len(tracking) == 1
    assert ticket.reference in tracking[0].subject
    assert tracking[0].to == ["janis@example.lv"]
    page = client.get(tracking_url(tracking[0]))
    assert page.status_code == 200
    assert ticket.subject in page.content.decode()


@pytest.mark.parametrize(
    ("slug", "kind"),
    [("request", Kind.REQUEST), ("complaint", Kind.COMPLAINT), ("suggestion", Kind.SUGGESTION)],
)
def test_other_kinds(client: Client, public_service: Service, slug: str, kind: str) -> None:
    response = client.post(reverse("portal:submit", args=[slug]), form_data(public_service))
    assert response.status_code == 302
    assert Ticket.objects.get().kind == kind


def test_complaint_about_an_institution(client: Client, institution: Institution) -> None:
    url = reverse("portal:submit", args=["complaint"])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(institution=str(institution.pk)))
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.institution == institution
    assert ticket.service is None
    # Neither a service nor an institution: a clear message, nothing opened.
    response = client.post(url, form_data())
    assert response.status_code == 400
    assert Ticket.objects.count() == 1
    # A question needs a service.
    response = client.post(reverse("portal:submit", args=["question"]), form_data())
    assert response.status_code == 400


def test_hidden_service_cannot_be_chosen(
    client: Client, superuser: User, institution: Institution
) -> None:
    from zina.catalog import operations as catalog_ops

    hidden = catalog_ops.create_service(
        actor=superuser,
        institution=institution,
        data=catalog_ops.ServiceData(identifier="X-INT", name="Iekšēja", is_public=False),
    )
    response = client.post(reverse("portal:submit", args=["question"]), form_data(hidden))
    assert response.status_code == 400
    assert "Iekšēja" not in response.content.decode()
    assert not Ticket.objects.exists()


def test_honeypot_and_minimum_fill_time_refuse(client: Client, public_service: Service) -> None:
    url = reverse("portal:submit", args=["question"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(url, form_data(public_service, website="http://spam.example"))
    assert response.status_code == 400
    assert "could not be sent" in response.content.decode()
    response = client.post(url, form_data(public_service, stamp=old_stamp(0)))
    assert response.status_code == 400
    assert "too quickly" in response.content.decode()
    response = client.post(url, form_data(public_service, stamp="forged"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_rate_limit_per_address(client: Client, public_service: Service) -> None:
    url = reverse("portal:submit", args=["question"])
    for _ in range(ops.SUBMISSIONS_PER_HOUR):
        assert client.post(url, form_data(public_service)).status_code == 302
    response = client.post(url, form_data(public_service))
    assert response.status_code == 400
    assert Ticket.objects.count() == ops.SUBMISSIONS_PER_HOUR
    # Another address is not limited; no address is stored in the clear.
    other = client.post(url, form_data(public_service), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302
    assert not PortalHit.objects.filter(address_hash__contains="127.0.0.1").exists()


def test_deflection_is_recorded_instead_of_submitting(
    client: Client, public_service: Service, publish: Callable[..., Article]
) -> None:
    article = publish("Kā pieslēgties e-adresei", body="Ar eParakstu.", services=[public_service])
    internal = publish("Iekšējais e-adreses noslēpums", audience=Audience.INTERNAL)
    html = client.get(
        reverse("portal:suggest"),
        {"subject": "pieslēgties e-adresei", "kind": "incident", "service": public_service.pk},
    ).content.decode()
    assert f'name="article" value="{article.pk}"' in html
    assert "noslēpums" not in html
    response = client.post(
        reverse("portal:deflect"),
        {
            "article": article.pk,
            "kind": "incident",
            "service": public_service.pk,
            "query": "  pieslēgties   e-adresei " + "x" * 400,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:article", args=[article.pk])
    d = Deflection.objects.get()
    assert d.source == Deflection.Source.SUBMIT_FORM
    assert d.article == article
    assert d.service == public_service
    assert d.institution == public_service.institution
    assert d.kind == "incident"
    assert d.query.startswith("pieslēgties e-adresei x")
    assert len(d.query) == 300
    assert not Ticket.objects.exists()
    # An internal article does not count (as if it did not exist).
    assert client.post(reverse("portal:deflect"), {"article": internal.pk}).status_code == 404
    assert client.post(reverse("portal:deflect"), {"article": "x"}).status_code == 302
    assert Deflection.objects.count() == 1


def _ticket_with_history(superuser: User, service: Service) -> Ticket:
    ticket = ops.submit_request(
        actor=None,
        submission=ops.Submission(
            kind=Kind.INCIDENT,
            subject="Kļūda e-adresē",
            description="Nestrādā.",
            email="anna@example.lv",
            service=service,
        ),
        address="10.1.1.1",
    )
    ticket_ops.add_entry(
        actor=superuser, ticket=ticket, kind=EntryKind.NOTE, body="IEKŠĒJĀ PIEZĪME par serveri"
    )
    ticket_ops.add_entry(
        actor=superuser, ticket=ticket, kind=EntryKind.REPLY, body="Lūdzu, mēģiniet vēlreiz."
    )
    return ticket


def test_tracking_page_shows_public_entries_only_and_takes_replies(
    client: Client, superuser: User, public_service: Service
) -> None:
    ticket = _ticket_with_history(superuser, public_service)
    url = ops.tracking_path(ticket)
    html = client.get(url).content.decode()
    assert "Lūdzu, mēģiniet vēlreiz." in html
    assert "IEKŠĒJĀ PIEZĪME" not in html
    assert ticket.reference in html
    response = client.post(url, {"body": "Joprojām nestrādā.", "website": "", "stamp": old_stamp()})
    assert response.status_code == 302
    entry = TicketEntry.objects.filter(ticket=ticket, kind=EntryKind.INCOMING).get()
    assert entry.body == "Joprojām nestrādā."
    assert entry.author is None
    assert "Joprojām nestrādā." in client.get(url).content.decode()
    # The same spam protection as the forms.
    bot = client.post(url, {"body": "spam", "website": "x", "stamp": old_stamp()})
    assert bot.status_code == 400
    fast = client.post(url, {"body": "ātri", "stamp": old_stamp(0)})
    assert fast.status_code == 400
    empty = client.post(url, {"body": "", "stamp": old_stamp()})
    assert empty.status_code == 400
    assert TicketEntry.objects.filter(ticket=ticket, kind=EntryKind.INCOMING).count() == 1


def test_forged_or_foreign_tracking_tokens_are_not_found(
    client: Client, superuser: User, public_service: Service
) -> None:
    ticket = _ticket_with_history(superuser, public_service)
    token = ops.tracking_token(ticket)
    for bad in (token[:-2] + "xx", "abc", f"{ticket.pk}"):
        assert client.get(reverse("portal:track", args=[bad])).status_code == 404


def test_my_requests_for_a_logged_in_recipient(
    client: Client, superuser: User, public_service: Service
) -> None:
    recipient = User.objects.create_user(username="iedzivotajs", email="iedz@example.lv")
    other = _ticket_with_history(superuser, public_service)
    client.force_login(recipient)
    response = client.post(
        reverse("portal:submit", args=["request"]),
        form_data(public_service, email="", name=""),
    )
    assert response.status_code == 302
    mine = Ticket.objects.get(reporter=recipient)
    assert mine.channel == Channel.PORTAL
    listing = client.get(reverse("portal:my_requests")).content.decode()
    assert mine.reference in listing
    assert other.reference not in listing
    assert client.get(reverse("portal:my_request", args=[other.pk])).status_code == 404
    ticket_ops.add_entry(actor=superuser, ticket=mine, kind=EntryKind.NOTE, body="SLEPENA PIEZĪME")
    url = reverse("portal:my_request", args=[mine.pk])
    assert "SLEPENA PIEZĪME" not in client.get(url).content.decode()
    response = client.post(url, {"body": "Paldies!", "stamp": old_stamp()})
    assert response.status_code == 302
    entry = TicketEntry.objects.get(ticket=mine, kind=EntryKind.INCOMING)
    assert entry.author == recipient
    client.logout()
    assert client.get(reverse("portal:my_requests")).status_code == 302


def test_tracking_mail_in_english(
    client: Client,
    public_service: Service,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:submit", args=["question"]), form_data(public_service))
    tracking = next(m for m in mail.outbox if "/portal/requests/" in m.body)
    assert "We received your request" in tracking.subject
    assert "Follow your request and answer us here" in tracking.body
    html = client.get(tracking_url(tracking)).content.decode()
    assert "Conversation" in html


def test_tracking_mail_in_latvian(
    client: Client,
    public_service: Service,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:submit", args=["question"]), form_data(public_service))
    tracking = next(m for m in mail.outbox if "/portal/requests/" in m.body)
    assert Ticket.objects.get().language == "lv"
    assert tracking.to == ["janis@example.lv"]
