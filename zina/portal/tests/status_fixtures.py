"""Fixtures of the status-page tests: public services over a small resource graph, staff who
record incidents and changes through the ticket operations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
)
from zina.tickets import operations as ops
from zina.tickets.models import Ticket


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def staff(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("inga", institution, Role.INCIDENT_MANAGER, email="inga@vra.example.lv")


@pytest.fixture
def graph(institution: Institution) -> dict[str, Any]:
    """Services A (on the database directly) and B (on an application that runs on the
    database), C unrelated, and a non-public service H that also uses the database."""

    def service(identifier: str, name: str, **extra: Any) -> Service:
        s = Service.objects.create(
            institution=institution, identifier=identifier, name=name, **extra
        )
        ServiceLevel.objects.create(service=s, availability_target="99.500")
        return s

    def resource(identifier: str, criticality: str) -> Resource:
        return Resource.objects.create(
            institution=institution,
            identifier=identifier,
            name=f"Iekšējais {identifier}",
            type="server",
            criticality=criticality,
        )

    a = service("S-A", "Uzņēmumu reģistrācija")
    b = service("S-B", "Izziņas par nekustamo īpašumu")
    c = service("S-C", "Dzīvesvietas deklarēšana")
    hidden = service("S-H", "Iekšējā uzskaite", is_public=False)
    db = resource("DB-1", "critical")
    app = resource("APP-1", "medium")
    printer = resource("PRN-1", "low")
    ServiceDependency.objects.create(service=a, resource=db)
    ServiceDependency.objects.create(service=b, resource=app)
    ServiceDependency.objects.create(service=hidden, resource=db)
    ServiceDependency.objects.create(service=c, resource=printer)
    ResourceDependency.objects.create(resource=app, depends_on=db)
    return {"a": a, "b": b, "c": c, "hidden": hidden, "db": db, "app": app, "printer": printer}


@pytest.fixture
def incident(staff: User, institution: Institution) -> Callable[..., Ticket]:
    """``incident(subject, start=…, end=None, impact=1, urgency=1, **fields)``: an
    availability interruption recorded by staff."""

    def make(
        subject: str = "Datubāze nav pieejama",
        start: datetime | None = None,
        end: datetime | None = None,
        impact: int = 1,
        urgency: int = 1,
        **fields: Any,
    ) -> Ticket:
        reporter = fields.pop("reporter", None)
        return ops.open_ticket(
            actor=staff,
            institution=institution,
            kind="incident",
            data=ops.TicketData(
                subject=subject,
                interruption=True,
                interruption_start=start or timezone.now() - timedelta(minutes=30),
                interruption_end=end,
                impact=impact,
                urgency=urgency,
                **fields,
            ),
            reporter=reporter,
        )

    return make


@pytest.fixture
def change(staff: User, institution: Institution) -> Callable[..., Ticket]:
    """``change(start, end, downtime=30, **fields)``: a standard (pre-approved) change."""

    def make(start: datetime, end: datetime, downtime: int = 30, **fields: Any) -> Ticket:
        return ops.open_ticket(
            actor=staff,
            institution=institution,
            kind="change",
            data=ops.TicketData(
                subject=fields.pop("subject", "Datubāzes atjaunināšana"),
                change_type="standard",
                planned_start=start,
                planned_end=end,
                expected_downtime_minutes=downtime,
                **fields,
            ),
        )

    return make


def old_stamp(seconds: float = 60) -> str:
    """A form stamp as if the form had been shown ``seconds`` ago."""
    import time

    from django.core import signing

    from zina.portal import spam

    return signing.dumps(time.time() - seconds, salt=spam.STAMP_SALT)
