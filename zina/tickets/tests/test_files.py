"""Files of a ticket: staff and the reporter attach allowed types (checked by content); an
internal file is hidden from the reporter; downloads are permission-checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zina.tickets import operations as ops
from zina.tickets.models import TicketAttachment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def reporter(make_user: Callable[..., Any], other_institution: Any) -> Any:
    return make_user("pilsone", other_institution)


@pytest.fixture
def ticket(institution: Any, service: Any, reporter: Any) -> Any:
    return ops.open_ticket(
        actor=reporter,
        institution=institution,
        kind="incident",
        data=ops.TicketData(subject="Ekrānā kļūda", service=service),
    )


def test_internal_file_hidden_from_the_reporter(
    client: Client, ticket: Any, specialist: Any, reporter: Any, other_institution: Any
) -> None:
    public = ops.attach_file(
        actor=reporter, ticket=ticket, upload=SimpleUploadedFile("ekrans.png", PNG)
    )
    internal = ops.attach_file(
        actor=specialist,
        ticket=ticket,
        upload=SimpleUploadedFile("zurnals.txt", b"kluda 42\n"),
        internal=True,
    )
    assert len(public.checksum) == 64
    assert set(TicketAttachment.objects.visible_to(reporter)) == {public}
    assert set(TicketAttachment.objects.visible_to(specialist)) == {public, internal}
    client.force_login(reporter)
    assert client.get(f"/tickets/files/{public.pk}/").status_code == 200
    assert client.get(f"/tickets/files/{internal.pk}/").status_code == 404
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "ekrans.png" in page
    assert "zurnals.txt" not in page


def test_bad_files_are_refused(ticket: Any, specialist: Any, reporter: Any) -> None:
    with pytest.raises(ValidationError):
        ops.attach_file(actor=specialist, ticket=ticket, upload=SimpleUploadedFile("x.exe", b"MZ"))
    with pytest.raises(ValidationError):
        ops.attach_file(
            actor=specialist, ticket=ticket, upload=SimpleUploadedFile("x.png", b"not a png")
        )
    with pytest.raises(PermissionDenied):
        ops.attach_file(
            actor=reporter, ticket=ticket, upload=SimpleUploadedFile("x.png", PNG), internal=True
        )
    assert not TicketAttachment.objects.exists()


def test_upload_through_the_page(client: Client, ticket: Any, specialist: Any) -> None:
    client.force_login(specialist)
    response = client.post(
        f"/tickets/{ticket.pk}/files/",
        {"upload": SimpleUploadedFile("ekrans.png", PNG), "internal": "on"},
    )
    assert response.status_code == 302
    assert TicketAttachment.objects.get().internal
    response = client.post(
        f"/tickets/{ticket.pk}/files/", {"upload": SimpleUploadedFile("x.exe", b"MZ")}, follow=True
    )
    [error] = [m for m in response.context["messages"] if m.level_tag == "error"]
    assert "pdf" in error.message  # the allowed types are listed
    assert TicketAttachment.objects.count() == 1


def test_interrupted_resource_shows_affected_services(
    client: Client, institution: Any, service: Any, resource: Any, specialist: Any
) -> None:
    from zina.catalog.models import ServiceDependency

    ServiceDependency.objects.create(service=service, resource=resource)
    ticket = ops.open_ticket(
        actor=specialist,
        institution=institution,
        kind="incident",
        data=ops.TicketData(
            subject="Datu bāzes serveris nepieejams",
            resource=resource,
            interruption=True,
            interruption_start=ops.now(),
        ),
    )
    client.force_login(specialist)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert service.get_absolute_url() in page
