# ruff: noqa: F811  (fixtures imported from status_fixtures)
"""The status page: states derived from incidents and changes through the catalog graph,
event pages that show only public words, availability, and the feeds."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zina.accounts.models import User
from zina.portal import status
from zina.portal.status_feeds import ical_escape, ical_fold
from zina.tickets import operations as ops
from zina.tickets.models import Ticket

from .status_fixtures import _english, change, graph, incident, staff  # noqa: F401

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def states(snap: status.Snapshot) -> dict[str, str]:
    return {s.service.identifier: s.state for s in snap.services}


def test_all_operational_without_events(graph: dict[str, Any]) -> None:
    snap = status.snapshot()
    assert states(snap) == {"S-A": "operational", "S-B": "operational", "S-C": "operational"}


def test_resource_interruption_reaches_services_through_the_graph(
    graph: dict[str, Any], incident: Callable[..., Ticket]
) -> None:
    incident(resource=graph["db"])  # P1 on a critical resource
    snap = status.snapshot()
    # A uses the database; B uses an application that runs on it; C does not; H is not public.
    assert states(snap) == {"S-A": "interrupted", "S-B": "interrupted", "S-C": "operational"}
    (event,) = snap.current
    assert {s.identifier for s in event.services} == {"S-A", "S-B"}
    assert graph["hidden"].pk not in event.impacts


def test_degraded_for_low_priority_or_non_critical_resource(
    graph: dict[str, Any], incident: Callable[..., Ticket]
) -> None:
    incident(service=graph["a"], impact=2, urgency=2)  # P3 on the service
    incident(resource=graph["printer"])  # P1, but a low-criticality resource
    assert states(status.snapshot()) == {
        "S-A": "degraded",
        "S-B": "operational",
        "S-C": "degraded",
    }


def test_ended_or_resolved_interruptions_are_history(
    graph: dict[str, Any], incident: Callable[..., Ticket], staff: User
) -> None:
    now = timezone.now()
    incident(service=graph["a"], start=now - timedelta(hours=3), end=now - timedelta(hours=2))
    ticket = incident(service=graph["b"])
    ops.transition(actor=staff, ticket=ticket, action="resolve", resolution="Restartēts.")
    snap = status.snapshot()
    assert set(states(snap).values()) == {"operational"}
    assert len(snap.recent) == 2
    assert snap.current == []


def test_cancelled_incidents_do_not_count(
    graph: dict[str, Any], incident: Callable[..., Ticket], staff: User
) -> None:
    ops.transition(actor=staff, ticket=incident(service=graph["a"]), action="cancel", note="Kļūda")
    assert states(status.snapshot())["S-A"] == "operational"


def test_planned_maintenance_from_an_approved_change(
    graph: dict[str, Any], change: Callable[..., Ticket]
) -> None:
    now = timezone.now()
    ticket = change(now + timedelta(days=2), now + timedelta(days=2, hours=2), resource=graph["db"])
    assert ticket.state == "approved"
    change(now + timedelta(days=20), now + timedelta(days=20, hours=1), service=graph["c"])
    change(now + timedelta(days=1), now + timedelta(days=1, hours=1), 0, service=graph["c"])
    snap = status.snapshot()
    # Within a week: maintenance; three weeks ahead or without downtime: not yet a state.
    assert states(snap) == {"S-A": "maintenance", "S-B": "maintenance", "S-C": "operational"}
    assert len([e for e in snap.current if e.is_planned]) == 2  # both windows with downtime


def test_maintenance_window_under_way_interrupts(
    graph: dict[str, Any], change: Callable[..., Ticket], incident: Callable[..., Ticket]
) -> None:
    now = timezone.now()
    change(now - timedelta(minutes=10), now + timedelta(hours=1), service=graph["c"])
    incident(service=graph["a"], impact=2, urgency=2)
    snap = status.snapshot()
    assert states(snap)["S-C"] == "interrupted"
    assert states(snap)["S-A"] == "degraded"
    assert [s.service.identifier for s in snap.affected] == ["S-C", "S-A"]


def test_status_page_lists_public_services_and_advertises_feeds(
    client: Client, graph: dict[str, Any], incident: Callable[..., Ticket]
) -> None:
    incident(resource=graph["db"], subject="Reģistru datubāzes pārtraukums")
    response = client.get(reverse("portal:status"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Uzņēmumu reģistrācija" in html
    assert "Iekšējā uzskaite" not in html  # not public
    assert "Iekšējais DB-1" not in html  # resources are never named
    assert "Reģistru datubāzes pārtraukums" in html
    head = html.split("</head>")[0]
    for kind, name in (
        ("application/atom+xml", "status_feed"),
        ("application/json", "status_json"),
        ("text/calendar", "status_ics"),
    ):
        assert f'<link rel="alternate" type="{kind}" href="{reverse("portal:" + name)}"' in head
    service = client.get(reverse("portal:status_service", args=[graph["a"].pk]))
    assert service.status_code == 200
    assert (
        f'href="{reverse("portal:status_feed")}?service={graph["a"].pk}"'
        in (service.content.decode().split("</head>")[0])
    )
    assert client.get(reverse("portal:status_service", args=[graph["hidden"].pk])).status_code == (
        404
    )


def test_event_page_shows_public_words_only(
    client: Client, graph: dict[str, Any], incident: Callable[..., Ticket], staff: User
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the English wording is asserted
    ticket = incident(
        service=graph["a"], subject="E-pakalpojums nedarbojas", description="Kļūda pieslēdzoties."
    )
    ops.add_entry(actor=staff, ticket=ticket, kind="note", body="Slepena piezīme: parole X")
    ops.add_entry(actor=staff, ticket=ticket, kind="reply", body="Pirmā ziņa: strādājam.")
    ops.add_entry(actor=staff, ticket=ticket, kind="reply", body="Otrā ziņa: gandrīz.")
    url = reverse("portal:status_event", args=[ticket.pk])
    html = client.get(url).content.decode()
    assert "E-pakalpojums nedarbojas" in html
    assert "Kļūda pieslēdzoties." in html
    assert "Slepena piezīme" not in html
    assert html.index("Otrā ziņa") < html.index("Pirmā ziņa")  # newest first
    assert "inga" not in html  # no staff names
    ops.transition(actor=staff, ticket=ticket, action="resolve", resolution="Serveris restartēts.")
    html = client.get(url).content.decode()
    assert "Serveris restartēts." in html
    assert "Restored" in html


def test_citizen_reported_interruption_keeps_its_words_private(
    client: Client, graph: dict[str, Any], incident: Callable[..., Ticket], staff: User
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the English wording is asserted
    ticket = incident(
        service=graph["a"],
        subject="Jānis Bērziņš 010101-12345 nevar pieteikties",
        description="Mans tālrunis 20000000",
        channel="phone",
        reporter=ops.Reporter(name="Jānis Bērziņš", email="janis@example.lv"),
    )
    ops.add_entry(actor=staff, ticket=ticket, kind="reply", body="Cien. Jāni, strādājam.")
    response = client.get(reverse("portal:status_event", args=[ticket.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Service interruption" in html
    for private in ("Jānis", "Jāni", "010101", "20000000", "janis@example.lv"):
        assert private not in html


def test_event_page_404_for_tickets_that_are_not_status_events(
    client: Client, graph: dict[str, Any], incident: Callable[..., Ticket], staff: User
) -> None:
    only_hidden = incident(service=graph["hidden"])
    plain = ops.open_ticket(
        actor=staff,
        institution=graph["a"].institution,
        kind="incident",
        data=ops.TicketData(subject="Jautājums", service=graph["a"]),
    )
    for ticket in (only_hidden, plain):
        assert client.get(reverse("portal:status_event", args=[ticket.pk])).status_code == 404


def test_cause_is_the_public_known_error_article_only(
    client: Client, graph: dict[str, Any], incident: Callable[..., Ticket], staff: User
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the English wording is asserted
    ticket = incident(service=graph["a"])
    problem = ops.open_ticket(
        actor=staff,
        institution=graph["a"].institution,
        kind="problem",
        data=ops.TicketData(subject="Problēma", root_cause="Iekšējs: CVE nav salabots"),
    )
    ops.link_tickets(actor=staff, source=ticket, target=problem, kind="caused_by")
    html = client.get(reverse("portal:status_event", args=[ticket.pk])).content.decode()
    assert "CVE" not in html
    assert "The cause has not been published." in html


# --- Availability ---------------------------------------------------------------------------


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_union_of_overlapping_intervals_clipped_to_the_window() -> None:
    start, end = at(1), at(11)
    intervals = [
        (at(2, 10), at(2, 11)),  # 60
        (at(2, 10, 30), at(2, 12)),  # overlaps: the union is 10:00–12:00 = 120
        (at(3, 0), at(3, 0, 30)),  # 30
        (at(3, 0, 10), at(3, 0, 20)),  # inside the previous one
        (datetime(2026, 2, 28, 23, 0, tzinfo=UTC), at(1, 0, 15)),  # clipped to 15
        (at(10, 23, 50), None),  # still going: to the window's end, 10
        (at(12), at(13)),  # after the window
    ]
    assert status.union_minutes(intervals, start, end) == 120 + 30 + 15 + 10


def test_service_availability_over_90_days(
    graph: dict[str, Any], incident: Callable[..., Ticket], change: Callable[..., Ticket]
) -> None:
    now = timezone.now()
    # 100 days ago → 89 days ago: only the last day-ish inside the window counts.
    incident(
        service=graph["a"],
        start=now - timedelta(days=100),
        end=now - timedelta(days=90) + timedelta(minutes=60),
    )
    incident(
        service=graph["a"],
        start=now - timedelta(days=10),
        end=now - timedelta(days=10) + timedelta(minutes=120),
    )
    incident(  # overlaps the previous one by 60 minutes, via the database
        resource=graph["db"],
        start=now - timedelta(days=10) + timedelta(minutes=60),
        end=now - timedelta(days=10) + timedelta(minutes=180),
    )
    incident(  # degraded: reported, not counted
        service=graph["a"],
        impact=3,
        urgency=3,
        start=now - timedelta(days=5),
        end=now - timedelta(days=5) + timedelta(minutes=45),
    )
    change(
        now - timedelta(days=3),
        now - timedelta(days=3) + timedelta(hours=2),
        40,
        service=graph["a"],
    )
    snap = status.snapshot(now)
    item = snap.service(graph["a"].pk)
    assert item is not None
    availability = item.availability(now)
    assert availability.interrupted_minutes == 60 + 180
    assert availability.degraded_minutes == 45
    assert availability.maintenance_minutes == 40
    assert availability.percent == round(100 * (1 - 240 / (90 * 24 * 60)), 3)
    assert str(availability.target) == "99.500"
    assert availability.meets_target is True


# --- Feeds ----------------------------------------------------------------------------------


def test_atom_feed_parses_with_the_right_links(
    client: Client, graph: dict[str, Any], incident: Callable[..., Ticket]
) -> None:
    ticket = incident(resource=graph["db"], subject="Datubāze & <lietotnes>")
    response = client.get(reverse("portal:status_feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.tag == f"{ATOM}feed"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["alternate"].endswith(reverse("portal:status"))
    assert links["self"].endswith(reverse("portal:status_feed"))
    (entry,) = root.findall(f"{ATOM}entry")
    assert "Datubāze & <lietotnes>" in (entry.findtext(f"{ATOM}title") or "")
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href", "").endswith(reverse("portal:status_event", args=[ticket.pk]))
    one = client.get(reverse("portal:status_feed") + f"?service={graph['c'].pk}")
    assert ET.fromstring(one.content).findall(f"{ATOM}entry") == []  # noqa: S314
    assert client.get(reverse("portal:status_feed") + "?service=x").status_code == 404
    hidden = graph["hidden"].pk
    assert client.get(reverse("portal:status_feed") + f"?service={hidden}").status_code == 404


def test_json_shape(
    client: Client,
    graph: dict[str, Any],
    incident: Callable[..., Ticket],
    change: Callable[..., Ticket],
) -> None:
    ticket = incident(service=graph["a"])
    now = timezone.now()
    planned = change(now + timedelta(days=1), now + timedelta(days=1, hours=1), service=graph["c"])
    response = client.get(reverse("portal:status_json"))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert set(data) == {"version", "generated_at", "page", "states", "services", "events"}
    assert data["version"] == 1
    assert data["generated_at"].endswith("Z")
    services = {s["identifier"]: s for s in data["services"]}
    assert set(services) == {"S-A", "S-B", "S-C"}
    a = services["S-A"]
    assert set(a) == {
        "id",
        "identifier",
        "name",
        "name_en",
        "institution",
        "state",
        "url",
        "events",
        "availability",
    }
    assert a["state"] == "interrupted"
    assert a["events"] == [ticket.pk]
    assert set(a["availability"]) == {
        "days",
        "percent",
        "target",
        "interrupted_minutes",
        "degraded_minutes",
        "maintenance_minutes",
    }
    assert services["S-C"]["state"] == "maintenance"
    events = {e["id"]: e for e in data["events"]}
    assert events[ticket.pk]["type"] == "incident"
    assert events[ticket.pk]["phase"] == "ongoing"
    assert events[ticket.pk]["end"] is None
    assert events[planned.pk]["type"] == "maintenance"
    assert events[planned.pk]["phase"] == "upcoming"
    assert events[planned.pk]["expected_downtime_minutes"] == 30
    assert events[planned.pk]["services"] == [{"id": graph["c"].pk, "impact": "maintenance"}]
    one = json.loads(
        client.get(reverse("portal:status_json") + f"?service={graph['c'].pk}").content
    )
    assert [s["identifier"] for s in one["services"]] == ["S-C"]
    assert [e["id"] for e in one["events"]] == [planned.pk]


def test_icalendar_feed(
    client: Client, graph: dict[str, Any], change: Callable[..., Ticket]
) -> None:
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    ticket = change(
        start,
        start + timedelta(hours=2),
        subject="Atjaunināšana; pārslēgšana, \\ ceļš — ļoti garš virsraksts ar garumzīmēm ā ē ī ū "
        "un vēl vairāk garumzīmju, lai rinda būtu jāloka vairākas reizes",
        description="Pirmā rinda\nOtrā rinda",
        service=graph["a"],
    )
    response = client.get(reverse("portal:status_ics"))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # folding never splits a character
    unfolded = raw.decode().replace("\r\n ", "").split("\r\n")
    assert unfolded[0] == "BEGIN:VCALENDAR"
    assert unfolded[-2] == "END:VCALENDAR"
    assert f"UID:change-{ticket.pk}@zina.localhost" in unfolded
    assert f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}" in unfolded
    assert f"DTEND:{(start + timedelta(hours=2)).astimezone(UTC):%Y%m%dT%H%M%SZ}" in unfolded
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in unfolded)
    summary = next(line for line in unfolded if line.startswith("SUMMARY:"))
    assert "Atjaunināšana\\; pārslēgšana\\, \\\\ ceļš" in summary
    description = next(line for line in unfolded if line.startswith("DESCRIPTION:"))
    assert "Pirmā rinda\\nOtrā rinda" in description
    other = client.get(reverse("portal:status_ics") + f"?service={graph['b'].pk}")
    assert b"BEGIN:VEVENT" not in other.content


def test_ical_helpers() -> None:
    assert ical_escape("a;b,c\\d\r\ne") == "a\\;b\\,c\\\\d\\ne"
    folded = ical_fold("X:" + "ā" * 80)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == "X:" + "ā" * 80
