"""Fixtures of the tickets tests: a service with an SLA, support staff, a reporter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service, ServiceLevel, ServiceLevelTarget
from zina.tickets import operations as ops
from zina.tickets.models import Team, Ticket


@pytest.fixture
def service(institution: Institution) -> Service:
    service = Service.objects.create(
        institution=institution, identifier="VRA-001", name="Uzņēmumu reģistrācija"
    )
    level = ServiceLevel.objects.create(service=service)
    for priority, response, resolution in (
        ("P1", 30, 240),
        ("P2", 60, 480),
        ("P3", 240, 1440),
        ("P4", 480, 2400),
    ):
        ServiceLevelTarget.objects.create(
            service_level=level,
            priority=priority,
            response_minutes=response,
            resolution_minutes=resolution,
        )
    return service


@pytest.fixture
def resource(institution: Institution) -> Resource:
    return Resource.objects.create(
        institution=institution,
        identifier="VRA-IS-1",
        name="Reģistru informācijas sistēma",
        type="information_system",
    )


@pytest.fixture
def specialist(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("anna", institution, Role.SUPPORT_SPECIALIST, email="anna@vra.example.lv")


@pytest.fixture
def expert(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("janis", institution, Role.SUPPORT_EXPERT, email="janis@vra.example.lv")


@pytest.fixture
def teams(institution: Institution, specialist: User, expert: User) -> dict[int, Team]:
    first = Team.objects.create(institution=institution, name="1. līmeņa atbalsts", level=1)
    first.members.add(specialist)
    second = Team.objects.create(institution=institution, name="IS eksperti", level=2)
    second.members.add(expert)
    return {1: first, 2: second}


@pytest.fixture
def open_incident(
    institution: Institution, service: Service, specialist: User
) -> Callable[..., Ticket]:
    def make(subject: str = "Nevar pieslēgties e-pakalpojumam", **data: Any) -> Ticket:
        return ops.open_ticket(
            actor=specialist,
            institution=institution,
            kind=data.pop("kind", "incident"),
            data=ops.TicketData(subject=subject, service=service, **data),
            reporter=ops.Reporter(name="Pilsonis", email="pilsonis@example.lv"),
        )

    return make
