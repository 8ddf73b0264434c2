"""The catalog pages' panel of open incidents and known errors: visible tickets only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service
from zina.tickets import operations as ops
from zina.tickets.choices import Kind
from zina.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def page(user: User | None, url: str) -> str:
    client = Client()
    client.cookies["zina_language"] = "en"
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_service_and_resource_pages_list_open_incidents_and_known_errors(
    open_incident: Callable[..., Ticket],
    specialist: User,
    service: Service,
    resource: Resource,
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    incident = open_incident("Pakalpojums nestrādā", resource=resource)
    finished = open_incident("Jau atrisināts")
    ops.transition(actor=specialist, ticket=finished, action="resolve", resolution="Labots")
    problem = open_incident("Atkārtotas kļūmes", kind=Kind.PROBLEM)
    ops.take(actor=specialist, ticket=problem)
    ops.record_known_error(
        actor=specialist, problem=problem, root_cause="Atmiņa", workaround="Restartējiet"
    )
    text = page(specialist, service.get_absolute_url())
    assert "Open incidents and known errors" in text
    assert incident.reference in text
    assert finished.reference not in text
    assert problem.reference in text
    assert "Restartējiet" in text
    assert page(specialist, resource.get_absolute_url()).count(incident.reference) == 1
    # Another institution's staff and anonymous readers see no tickets.
    outsider = make_user("cits", other_institution, Role.SUPPORT_SPECIALIST)
    service.is_public = True
    service.save()
    for user in (outsider, None):
        assert incident.reference not in page(user, service.get_absolute_url())
