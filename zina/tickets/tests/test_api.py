"""The tickets API at /api/v1/tickets/: tickets of every kind, transitions, work log, links,
master incidents, merging, knowledge and teams.

Reads go through ``visible_to`` (a hidden ticket is a 404, like a missing one), writes through
the operations (403 when refused, 422 when invalid — with nothing written — and 409 when the
ticket changed since the caller's ``version``). Every endpoint needs a token or a login.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Service
from zina.core.models import AuditEvent
from zina.knowledge import operations as kops
from zina.knowledge.choices import Audience, TicketRelation
from zina.knowledge.models import Article, ArticleTicketLink
from zina.tickets import operations as ops
from zina.tickets import sla
from zina.tickets.choices import State
from zina.tickets.models import Team, Ticket, TicketEntry, TicketLink

API = "/api/v1/tickets"
FORBIDDEN = "You do not have permission to do this."
NOT_FOUND = "Not found."


class Api:
    """A JSON client with a personal API token (English messages unless told otherwise)."""

    def __init__(self, user: User | None, language: str = "en") -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.cookies["zina_language"] = language
        self.headers: dict[str, str] = {}
        if user is not None:
            _token, secret = account_ops.issue_api_token(actor=user, name="tests")
            self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, data: Any = None) -> Any:
        return self.client.post(
            API + path,
            data if data is not None else {},
            content_type="application/json",
            headers=self.headers,
        )

    def patch(self, path: str, data: Any = None) -> Any:
        return self.client.patch(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers)

    def move(self, pk: int, action: str, **data: Any) -> Any:
        return self.post(f"/tickets/{pk}/transitions", {"action": action, **data})


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body


def field_error(response: Any, field: str) -> str:
    """The (first) 422 message on ``field``."""
    return error(response, 422)["errors"][field][0]


def ids(body: Any) -> set[int]:
    items = body["items"] if isinstance(body, dict) else body
    return {i["id"] for i in items}


def counts() -> dict[str, int]:
    """Row counts of everything a ticket endpoint may write."""
    return {
        "tickets": Ticket.objects.count(),
        "entries": TicketEntry.objects.count(),
        "links": TicketLink.objects.count(),
        "articles": Article.objects.count(),
        "article_links": ArticleTicketLink.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def row(pk: int) -> dict[str, Any]:
    t = Ticket.objects.get(pk=pk)
    return {f.attname: getattr(t, f.attname) for f in Ticket._meta.concrete_fields}


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def people(
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
    specialist: User,
    expert: User,
) -> dict[str, User]:
    citizen = User.objects.create_user(username="pilsonis", email="pilsonis@example.lv")
    return {
        "specialist": specialist,
        "expert": expert,
        "owner": make_user("ipasnieks", institution, Role.SERVICE_OWNER),
        "change_manager": make_user("izmainas", institution, Role.CHANGE_MANAGER),
        "auditor": make_user("revidents", institution, Role.AUDITOR),
        "outsider": make_user("spa-atbalsts", other_institution, Role.SUPPORT_SPECIALIST),
        "citizen": citizen,
    }


@pytest.fixture
def spa_service(other_institution: Institution) -> Service:
    """A service of another institution (public, so visible to everyone)."""
    return Service.objects.create(
        institution=other_institution, identifier="SPA-001", name="Pabalstu pieprasīšana"
    )


@pytest.fixture
def record(institution: Institution, service: Service, specialist: User) -> Callable[..., Ticket]:
    """``record(kind, subject, **fields)``: a ticket recorded by the specialist through the
    operations, reported by a citizen known by name and address."""

    def make(kind: str = "incident", subject: str = "Nevar pieslēgties", **data: Any) -> Ticket:
        reporter = data.pop("reporter", None) or ops.Reporter(
            name="Pilsonis", email="pilsonis@example.lv"
        )
        return ops.open_ticket(
            actor=data.pop("actor", specialist),
            institution=data.pop("institution", institution),
            kind=kind,
            data=ops.TicketData(subject=subject, service=data.pop("service", service), **data),
            reporter=reporter,
        )

    return make


Record = Callable[..., Ticket]


# --- Incidents: create, read, change, move ---------------------------------------------------


def test_incident_crud_and_transitions(people: dict[str, User], service: Service) -> None:
    api = Api(people["specialist"])
    created = ok(
        api.post(
            "/tickets",
            {
                "kind": "incident",
                "institution": "vra",
                "subject": "  E-pakalpojums nestrādā  ",
                "description": "Kļūda 500 pēc pieteikšanās",
                "service": service.pk,
                "impact": 1,
                "urgency": 2,
                "channel": "phone",
                "reporter_name": "Jānis Bērziņš",
                "reporter_email": "janis@example.lv",
                "reporter_phone": "+371 20000000",
            },
        ),
        201,
    )
    pk = created["id"]
    assert created["reference"] == f"INC-{pk}"
    assert (created["kind"], created["state"], created["priority"]) == ("incident", "new", "P2")
    assert created["subject"] == "E-pakalpojums nestrādā"
    assert (created["institution"], created["service"], created["channel"]) == (
        "vra",
        service.pk,
        "phone",
    )
    assert (created["reporter_name"], created["reporter_email"], created["reporter_phone"]) == (
        "Jānis Bērziņš",
        "janis@example.lv",
        "+371 20000000",
    )
    assert created["reporter"] is None
    assert created["version"] == 1
    assert [c["metric"] for c in created["sla"]] == ["response", "resolution"]
    assert {c["target_minutes"] for c in created["sla"]} == {60, 480}  # the service's P2
    assert {a["action"] for a in created["actions"]} == {"start", "wait", "resolve", "cancel"}
    ticket = Ticket.objects.get(pk=pk)
    assert ticket.created_by == people["specialist"]
    assert AuditEvent.objects.for_object(ticket).filter(verb="ticket.opened").exists()

    assert ok(api.get(f"/tickets/{pk}"))["description"] == "Kļūda 500 pēc pieteikšanās"

    patched = ok(
        api.patch(f"/tickets/{pk}", {"subject": "Portāls nestrādā", "impact": 3, "version": 1})
    )
    assert (patched["subject"], patched["priority"], patched["version"]) == (
        "Portāls nestrādā",
        "P4",
        2,
    )
    assert patched["description"] == "Kļūda 500 pēc pieteikšanās"  # left out: kept
    cleared = ok(api.patch(f"/tickets/{pk}", {"service": None}))
    assert cleared["service"] is None
    assert cleared["sla"] != []  # the default targets still run

    assert ok(api.move(pk, "start"))["state"] == "in_progress"
    waiting = ok(api.move(pk, "wait", waiting_on="recipient"))
    assert (waiting["state"], waiting["waiting_on"]) == ("waiting", "recipient")
    assert all(c["paused"] for c in waiting["sla"] if c["done_at"] is None)
    assert ok(api.move(pk, "resume"))["state"] == "in_progress"
    resolved = ok(api.move(pk, "resolve", resolution="Pārstartēts serveris"))
    assert (resolved["state"], resolved["resolution"]) == ("resolved", "Pārstartēts serveris")
    assert resolved["resolved_at"] is not None
    assert {a["action"] for a in resolved["actions"]} == {"close", "reopen"}
    assert ok(api.move(pk, "close"))["state"] == "closed"
    assert ok(api.move(pk, "reopen"))["state"] == "in_progress"
    cancelled = ok(api.move(pk, "cancel", note="Dublikāts"))
    assert cancelled["state"] == "cancelled"
    assert cancelled["version"] > 2
    verbs = set(AuditEvent.objects.for_object(ticket).values_list("verb", flat=True))
    assert {"ticket.changed", "ticket.start", "ticket.resolve", "ticket.cancel"} <= verbs


def test_there_is_no_delete(people: dict[str, User], record: Record) -> None:
    ticket = record()
    api = Api(people["specialist"])
    assert api.delete(f"/tickets/{ticket.pk}").status_code == 405
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    schema = Client().get("/api/v1/openapi.json").json()
    assert "delete" not in schema["paths"][f"{API}/tickets/{{pk}}"]
    assert "never deleted" in schema["paths"][f"{API}/tickets"]["post"]["description"]


# --- Problems, changes, requests, complaints, suggestions ----------------------------------------


def test_problem_with_known_error(
    people: dict[str, User], service: Service, record: Record
) -> None:
    api = Api(people["expert"])
    problem = ok(
        api.post(
            "/tickets",
            {
                "kind": "problem",
                "institution": "vra",
                "subject": "Atkārtoti 500",
                "service": service.pk,
            },
        ),
        201,
    )
    pk = problem["id"]
    assert problem["reference"] == f"PRB-{pk}"
    assert problem["sla"] == []  # planned work: no clock
    assert ok(api.move(pk, "start"))["state"] == "in_progress"
    assert (
        field_error(api.move(pk, "known_error"), "workaround") == "Describe the workaround first."
    )

    body = ok(
        api.post(
            f"/tickets/{pk}/known-error",
            {"root_cause": "Pilns disks", "workaround": "Notīrīt žurnālus"},
        )
    )
    ticket = body["ticket"]
    assert (ticket["state"], ticket["root_cause"], ticket["workaround"]) == (
        "known_error",
        "Pilns disks",
        "Notīrīt žurnālus",
    )
    assert ticket["known_error_article"] == body["article"]
    assert {"article": body["article"], "relation": "created_from"} in ticket["articles"]
    assert Article.objects.get(pk=body["article"]).type == "known_error"

    incident = record()
    ok(api.post(f"/tickets/{incident.pk}/links", {"target": pk, "kind": "caused_by"}), 201)
    resolved = ok(api.move(pk, "resolve", resolution="Diski paplašināti"))
    assert resolved["state"] == "resolved"
    assert ok(api.move(pk, "close"))["state"] == "closed"


def test_change_approval(people: dict[str, User], service: Service) -> None:
    api = Api(people["specialist"])

    def new_change(**extra: Any) -> int:
        body = {
            "kind": "change",
            "institution": "vra",
            "subject": "Atjaunināt serveri",
            "service": service.pk,
            "planned_start": "2030-01-10T20:00:00",
            "planned_end": "2030-01-10T22:00:00",
            "expected_downtime_minutes": 30,
            **extra,
        }
        return ok(api.post("/tickets", body), 201)["id"]

    pk = new_change()
    change = ok(api.get(f"/tickets/{pk}"))
    assert (change["reference"], change["change_type"], change["state"]) == (
        f"CHG-{pk}",
        "normal",
        "new",
    )
    # Times without an offset are Riga time (UTC+2 in January).
    assert change["planned_start"] == "2030-01-10T18:00:00Z"
    submitted = ok(api.move(pk, "submit"))
    assert submitted["state"] == "awaiting_approval"
    assert {a["action"] for a in submitted["actions"]} == {"cancel"}  # no approval for level 1

    # A support specialist does not approve changes; the service's owner does.
    error(api.move(pk, "approve"), 403)
    owner = Api(people["owner"])
    approved = ok(owner.move(pk, "approve"))
    assert (approved["state"], approved["approved_by"]) == ("approved", "ipasnieks")
    assert approved["approved_at"] is not None
    assert ok(api.move(pk, "start"))["state"] == "in_progress"
    assert field_error(api.move(pk, "resolve"), "implementation_result") == (
        "Describe the result of the implementation."
    )
    done = ok(api.move(pk, "resolve", resolution="Atjaunināts bez dīkstāves"))
    assert done["implementation_result"] == "Atjaunināts bez dīkstāves"
    assert ok(api.move(pk, "close"))["state"] == "closed"

    # The change manager rejects, with a reason; the change goes back for approval.
    other = new_change(change_type="emergency")
    ok(api.move(other, "submit"))
    manager = Api(people["change_manager"])
    assert field_error(manager.move(other, "reject"), "note") == "Say why the change is rejected."
    rejected = ok(manager.move(other, "reject", note="Nav atkāpšanās plāna"))
    assert rejected["state"] == "rejected"
    assert ok(api.move(other, "submit"))["state"] == "awaiting_approval"
    assert ok(manager.move(other, "approve"))["approved_by"] == "izmainas"

    # Standard changes are pre-approved.
    standard = ok(api.get(f"/tickets/{new_change(change_type='standard')}"))
    assert standard["state"] == "approved"


def test_request_opened_by_a_citizen(people: dict[str, User], service: Service) -> None:
    citizen = Api(people["citizen"])
    created = ok(
        citizen.post(
            "/tickets",
            {
                "kind": "request",
                "institution": "vra",
                "subject": "Izziņa par uzņēmumu",
                "service": service.pk,
                "reporter_phone": "+371 29999999",
                "impact": 1,  # a reporter does not classify: ignored
            },
        ),
        201,
    )
    pk = created["id"]
    assert (created["reference"], created["channel"], created["reporter"]) == (
        f"REQ-{pk}",
        "portal",
        "pilsonis",
    )
    assert created["impact"] == 3
    # Contacts are for staff, even the reporter's own.
    assert (created["reporter_phone"], created["reporter_email"]) == (None, None)
    assert created["actions"] == []
    assert Ticket.objects.get(pk=pk).reporter_phone == "+371 29999999"

    staff = Api(people["specialist"])
    assert ok(staff.get(f"/tickets/{pk}"))["reporter_phone"] == "+371 29999999"
    ok(staff.post(f"/tickets/{pk}/take"))
    resolved = ok(staff.move(pk, "resolve", resolution="Izziņa nosūtīta"))
    assert resolved["state"] == "resolved"
    assert ok(citizen.get(f"/tickets/{pk}"))["resolution"] == "Izziņa nosūtīta"

    # Problems and changes are recorded by staff only.
    before = counts()
    body = {"kind": "problem", "institution": "vra", "subject": "Cēlonis"}
    error(citizen.post("/tickets", body), 403)
    assert counts() == before


def test_complaint_and_suggestion(people: dict[str, User], record: Record) -> None:
    staff, citizen = Api(people["specialist"]), Api(people["citizen"])
    complaint = record(
        "complaint", "Rupja apkalpošana", reporter=ops.Reporter(user=people["citizen"])
    )
    pk = complaint.pk
    ok(staff.post(f"/tickets/{pk}/take"))
    patched = ok(staff.patch(f"/tickets/{pk}", {"evaluation": "Pamatota"}))
    assert patched["evaluation"] == "Pamatota"
    assert (
        field_error(staff.move(pk, "resolve"), "answer") == "Write the answer to the author first."
    )
    resolved = ok(staff.move(pk, "resolve", resolution="Atvainojamies, darbinieks apmācīts"))
    assert resolved["answer"] == "Atvainojamies, darbinieks apmācīts"
    seen = ok(citizen.get(f"/tickets/{pk}"))
    assert (seen["reference"], seen["answer"]) == (
        f"CMP-{pk}",
        "Atvainojamies, darbinieks apmācīts",
    )
    assert (seen["evaluation"], seen["time_spent_minutes"]) == (None, None)  # staff only

    suggestion = ok(
        citizen.post(
            "/tickets",
            {"kind": "suggestion", "institution": "vra", "subject": "Pagariniet darba laiku"},
        ),
        201,
    )
    sid = suggestion["id"]
    assert suggestion["reference"] == f"SUG-{sid}"
    ok(staff.patch(f"/tickets/{sid}", {"answer": "Izskatīsim nākamgad"}))
    ok(staff.move(sid, "start"))
    assert ok(staff.move(sid, "resolve"))["resolution"] == "Izskatīsim nākamgad"
    # The suggestion's author adds a message; a worker's field is not theirs to set.
    ok(citizen.post(f"/tickets/{sid}/entries", {"kind": "incoming", "body": "Paldies!"}), 201)
    error(citizen.patch(f"/tickets/{sid}", {"answer": "Citādi"}), 403)


# --- Permissions ---------------------------------------------------------------------------------


def test_anonymous_requests_are_401(record: Record) -> None:
    ticket = record()
    anonymous = Api(None)
    error(anonymous.get("/tickets"), 401)
    error(anonymous.get(f"/tickets/{ticket.pk}"), 401)
    error(anonymous.get(f"/tickets/{ticket.pk}/entries"), 401)
    error(
        anonymous.post("/tickets", {"kind": "incident", "institution": "vra", "subject": "x"}), 401
    )
    error(anonymous.move(ticket.pk, "start"), 401)
    error(anonymous.get("/teams"), 401)


def test_permissions_per_role(people: dict[str, User], record: Record) -> None:
    mine = record(reporter=ops.Reporter(user=people["citizen"]))
    theirs = record("request", "Cits pieteikums")
    specialist, auditor = Api(people["specialist"]), Api(people["auditor"])
    outsider, citizen = Api(people["outsider"]), Api(people["citizen"])

    # The institution's support specialist sees and works on both.
    assert ids(ok(specialist.get("/tickets"))) == {mine.pk, theirs.pk}
    ok(specialist.post(f"/tickets/{theirs.pk}/take"))

    # The auditor reads everything (internal notes too) but changes nothing.
    assert ids(ok(auditor.get("/tickets"))) == {mine.pk, theirs.pk}
    assert ok(auditor.get(f"/tickets/{mine.pk}"))["reporter_email"] == ""
    assert ok(auditor.get(f"/tickets/{mine.pk}"))["actions"] == []
    before = row(mine.pk)
    assert error(auditor.move(mine.pk, "start"), 403)["detail"] == FORBIDDEN
    error(auditor.patch(f"/tickets/{mine.pk}", {"subject": "Cits"}), 403)
    error(auditor.post(f"/tickets/{mine.pk}/entries", {"kind": "note", "body": "x"}), 403)
    error(auditor.post(f"/tickets/{mine.pk}/assign", {"team": None}), 403)

    # Staff of another institution: the tickets do not exist for them.
    assert ids(ok(outsider.get("/tickets"))) == set()
    for call in (
        lambda: outsider.get(f"/tickets/{mine.pk}"),
        lambda: outsider.get(f"/tickets/{mine.pk}/entries"),
        lambda: outsider.patch(f"/tickets/{mine.pk}", {"subject": "Cits"}),
        lambda: outsider.move(mine.pk, "start"),
        lambda: outsider.post(f"/tickets/{mine.pk}/take"),
        lambda: outsider.post(f"/tickets/{mine.pk}/entries", {"kind": "reply", "body": "x"}),
    ):
        assert error(call(), 404)["detail"] == NOT_FOUND

    # The reporter sees their own ticket only, and may only write to it.
    assert ids(ok(citizen.get("/tickets"))) == {mine.pk}
    error(citizen.get(f"/tickets/{theirs.pk}"), 404)
    error(citizen.move(mine.pk, "cancel"), 403)
    error(citizen.move(mine.pk, "no-such-move"), 403)  # refused before it is judged
    error(citizen.patch(f"/tickets/{mine.pk}", {"subject": "Cits"}), 403)
    error(citizen.post(f"/tickets/{mine.pk}/take"), 403)
    error(citizen.post(f"/tickets/{mine.pk}/escalate", {"to_level": 2, "reason": "x"}), 403)
    error(citizen.post(f"/tickets/{mine.pk}/entries", {"kind": "note", "body": "x"}), 403)
    error(citizen.post(f"/tickets/{mine.pk}/entries", {"kind": "reply", "body": "x"}), 403)
    assert row(mine.pk) == before
    ok(
        citizen.post(f"/tickets/{mine.pk}/entries", {"kind": "incoming", "body": "Vēl aktuāli"}),
        201,
    )

    # Huge and odd ids are a 404, not a server error.
    error(specialist.get("/tickets/99999999999999999999"), 404)
    error(specialist.get("/tickets/0"), 404)


def test_internal_notes_are_hidden_from_the_reporter(
    people: dict[str, User], record: Record
) -> None:
    ticket = record(reporter=ops.Reporter(user=people["citizen"]))
    staff, citizen = Api(people["specialist"]), Api(people["citizen"])
    note = ok(
        staff.post(
            f"/tickets/{ticket.pk}/entries",
            {"kind": "note", "body": "Klients jau trešo reizi", "minutes": 15},
        ),
        201,
    )
    assert (note["kind"], note["author"], note["minutes"]) == ("note", "anna", 15)
    reply = ok(
        staff.post(f"/tickets/{ticket.pk}/entries", {"kind": "reply", "body": "Skatāmies"}), 201
    )
    incoming = ok(
        citizen.post(f"/tickets/{ticket.pk}/entries", {"kind": "incoming", "body": "Paldies"}),
        201,
    )
    assert incoming["minutes"] is None  # time spent is for staff

    seen = ok(citizen.get(f"/tickets/{ticket.pk}/entries"))["items"]
    assert [e["id"] for e in seen] == [reply["id"], incoming["id"]]
    assert all(e["kind"] != "note" and "trešo" not in e["body"] for e in seen)
    assert ok(citizen.get(f"/tickets/{ticket.pk}"))["time_spent_minutes"] is None

    everything = ok(staff.get(f"/tickets/{ticket.pk}/entries"))["items"]
    kinds = [e["kind"] for e in everything]
    assert kinds[0] == "event"  # "opened"
    assert {note["id"], reply["id"], incoming["id"]} <= {e["id"] for e in everything}
    assert ok(staff.get(f"/tickets/{ticket.pk}"))["time_spent_minutes"] == 15


# --- Bad input -----------------------------------------------------------------------------------


def test_bad_input_is_422_and_writes_nothing(
    people: dict[str, User], record: Record, service: Service, spa_service: Service
) -> None:
    api = Api(people["specialist"])
    ticket = record()
    pk = ticket.pk
    base = {"kind": "incident", "institution": "vra", "subject": "Kļūda"}
    before, saved = counts(), row(pk)

    assert field_error(api.post("/tickets", {**base, "kind": "wish"}), "kind") == (
        "Unknown type of ticket."
    )
    assert field_error(api.post("/tickets", {**base, "service": spa_service.pk}), "service") == (
        "The service belongs to another institution."
    )
    assert field_error(api.post("/tickets", {**base, "service": 987654}), "service").startswith(
        "Select a valid choice."
    )
    assert field_error(api.post("/tickets", {**base, "institution": "nav"}), "institution")
    assert field_error(api.post("/tickets", {**base, "subject": "  "}), "subject") == (
        "Give the ticket a subject."
    )
    assert field_error(api.post("/tickets", {**base, "subject": "x" * 301}), "subject")
    assert field_error(api.post("/tickets", {**base, "subject": "a\x00b"}), "subject") == (
        "Null characters are not allowed."
    )
    assert field_error(
        api.post("/tickets", {**base, "reporter_email": "nav-adrese"}), "reporter_email"
    )
    assert field_error(api.post("/tickets", {**base, "language": "de"}), "language")
    assert field_error(api.post("/tickets", {**base, "impact": 7}), "impact")
    assert field_error(api.post("/tickets", {**base, "root_cause": "Disks"}), "root_cause") == (
        "This field does not apply to this type of ticket."
    )
    assert field_error(
        api.post("/tickets", {**base, "kind": "change", "expected_downtime_minutes": -5}),
        "expected_downtime_minutes",
    )
    assert field_error(api.post("/tickets", {**base, "team": 987654}), "team")
    assert field_error(api.post("/tickets", {**base, "assignee": "nav-tada"}), "assignee") == (
        "This person cannot work on this ticket."
    )
    error(api.post("/tickets", {"kind": "incident"}), 422)  # no subject, no institution

    # Transitions the workflow does not have, and moves without what they need.
    assert error(api.move(pk, "close"), 422)["detail"] == (
        "A ticket that is “New” cannot be moved this way (close)."
    )
    error(api.move(pk, "approve"), 403)  # approving is not for level 1, whatever the state
    assert field_error(api.move(pk, "resolve"), "resolution") == "Describe how it was resolved."
    assert field_error(api.move(pk, "wait", waiting_on="weather"), "waiting_on")
    assert field_error(api.patch(f"/tickets/{pk}", {"service": spa_service.pk}), "service")
    assert field_error(api.patch(f"/tickets/{pk}", {"subject": None}), "subject")
    assert field_error(api.patch(f"/tickets/{pk}", {"level": 9}), "level")
    assert field_error(
        api.post(f"/tickets/{pk}/escalate", {"to_level": 1, "reason": "x"}), "to_level"
    )
    assert field_error(
        api.post(f"/tickets/{pk}/escalate", {"to_level": 2, "reason": " "}), "reason"
    )
    assert field_error(
        api.post(f"/tickets/{pk}/hand-over", {"institution": "vra", "reason": "x"}), "institution"
    )
    assert field_error(api.post(f"/tickets/{pk}/entries", {"kind": "memo", "body": "x"}), "kind")
    assert field_error(api.post(f"/tickets/{pk}/entries", {"kind": "note", "body": ""}), "body")
    assert field_error(
        api.post(f"/tickets/{pk}/entries", {"kind": "note", "body": "x", "minutes": 5000}),
        "minutes",
    )
    assert field_error(
        api.post(f"/tickets/{pk}/links", {"target": pk, "kind": "related"}), "target"
    )
    assert field_error(
        api.post(f"/tickets/{pk}/links", {"target": 987654, "kind": "related"}), "target"
    )
    assert field_error(api.post(f"/tickets/{pk}/known-error", {"workaround": "x"}), "__all__") == (
        "Only problems have known errors."
    )
    assert field_error(api.post(f"/tickets/{pk}/articles", {"article": 987654}), "article")
    assert field_error(api.post(f"/tickets/{pk}/draft-article", {"language": "ru"}), "language")
    assert field_error(api.post(f"/tickets/{pk}/merge", {"into": pk}), "into")
    assert field_error(api.post(f"/tickets/{pk}/master", {"master": pk}), "master")
    # Wrong types are refused by the schema.
    wrong = error(api.patch(f"/tickets/{pk}", {"impact": "high"}), 422)
    assert wrong["detail"] == "Check the field “impact”: the value is not valid."
    assert "impact" in wrong["errors"]
    error(api.get("/tickets", kind="wish"), 422)

    assert counts() == before
    assert row(pk) == saved


def test_messages_follow_the_request_language(people: dict[str, User], record: Record) -> None:
    ticket = record()
    latvian = Api(people["outsider"], "lv")
    assert error(latvian.get(f"/tickets/{ticket.pk}"), 404)["detail"] == "Nav atrasts."
    auditor = Api(people["auditor"], "lv")
    assert error(auditor.move(ticket.pk, "start"), 403)["detail"] == "Jums nav tiesību to darīt."
    api = Api(people["specialist"], "lv")
    body = {"kind": "incident", "institution": "vra", "subject": "a\x00b"}
    assert field_error(api.post("/tickets", body), "subject") == "Nulles rakstzīmes nav atļautas."


def test_version_conflict(people: dict[str, User], record: Record) -> None:
    ticket = record()
    pk = ticket.pk
    mine, theirs = Api(people["specialist"]), Api(people["expert"])
    read = ok(mine.get(f"/tickets/{pk}"))["version"]
    ok(theirs.patch(f"/tickets/{pk}", {"subject": "Viņu virsraksts", "version": read}))
    before = row(pk)

    conflict = error(mine.patch(f"/tickets/{pk}", {"subject": "Mans", "version": read}), 409)
    assert conflict["version"] == read + 1
    assert "Someone else changed this ticket" in conflict["detail"]
    error(mine.move(pk, "start", version=read), 409)
    assert row(pk) == before
    # With the current version the change goes through.
    assert ok(mine.patch(f"/tickets/{pk}", {"subject": "Mans", "version": read + 1}))[
        "version"
    ] == (read + 2)
    # A stale version with an otherwise invalid change is still reported as the conflict.
    error(mine.move(pk, "close", version=read), 409)
    # A current version with an invalid change is a plain 422.
    error(mine.move(pk, "close", version=read + 2), 422)


# --- Assignment, escalation, hand-over -----------------------------------------------------------


def test_assign_take_escalate_hand_over(
    people: dict[str, User], record: Record, teams: dict[int, Team], other_institution: Institution
) -> None:
    ticket = record()
    pk = ticket.pk
    api = Api(people["specialist"])
    assigned = ok(api.post(f"/tickets/{pk}/assign", {"team": teams[1].pk, "assignee": "janis"}))
    assert (assigned["state"], assigned["team"], assigned["team_name"], assigned["assignee"]) == (
        "assigned",
        teams[1].pk,
        "1. līmeņa atbalsts",
        "janis",
    )
    assert field_error(api.post(f"/tickets/{pk}/assign", {"assignee": "spa-atbalsts"}), "assignee")
    taken = ok(api.post(f"/tickets/{pk}/take"))
    assert (taken["state"], taken["assignee"], taken["team"]) == (
        "in_progress",
        "anna",
        teams[1].pk,
    )
    assert ids(ok(api.get("/tickets", assignee="me"))) == {pk}

    escalated = ok(
        api.post(
            f"/tickets/{pk}/escalate",
            {"to_level": 2, "reason": "Vajag IS ekspertu", "team": teams[2].pk},
        )
    )
    assert (escalated["level"], escalated["team"], escalated["assignee"], escalated["state"]) == (
        2,
        teams[2].pk,
        None,
        "assigned",
    )

    # The citizen reporter does not see the team (teams are for staff).
    mine = record(reporter=ops.Reporter(user=people["citizen"]))
    ok(api.post(f"/tickets/{mine.pk}/assign", {"team": teams[1].pk}))
    seen = ok(Api(people["citizen"]).get(f"/tickets/{mine.pk}"))
    assert (seen["team"], seen["team_name"]) == (None, None)

    outsider = Api(people["outsider"])
    error(outsider.get(f"/tickets/{pk}"), 404)
    handed = ok(
        api.post(f"/tickets/{pk}/hand-over", {"institution": "spa", "reason": "Viņu pakalpojums"})
    )
    assert (handed["institution"], handed["received_by"], handed["state"]) == ("spa", "vra", "new")
    assert handed["service"] is None  # VRA's service does not follow it
    assert ok(outsider.get(f"/tickets/{pk}"))["institution"] == "spa"
    assert Ticket.objects.get(pk=pk).institution == other_institution


# --- Links, master incidents, merging ------------------------------------------------------------


def test_links(people: dict[str, User], record: Record) -> None:
    api = Api(people["expert"])
    incident, problem, change = record(), record("problem", "Cēlonis"), record("change", "Labojums")
    link = ok(
        api.post(f"/tickets/{incident.pk}/links", {"target": problem.pk, "kind": "caused_by"}), 201
    )
    assert (link["source"], link["target"], link["kind"]) == (incident.pk, problem.pk, "caused_by")
    fix = ok(
        api.post(f"/tickets/{problem.pk}/links", {"target": change.pk, "kind": "fixed_by"}), 201
    )
    assert (
        field_error(
            api.post(f"/tickets/{incident.pk}/links", {"target": change.pk, "kind": "fixed_by"}),
            "kind",
        )
        == "This relation does not fit these tickets."
    )
    assert (
        field_error(
            api.post(f"/tickets/{incident.pk}/links", {"target": change.pk, "kind": "blocks"}),
            "kind",
        )
        == "Unknown relation."
    )

    detail = ok(api.get(f"/tickets/{problem.pk}"))
    assert {(x["id"], x["source"], x["target"]) for x in detail["links"]} == {
        (link["id"], incident.pk, problem.pk),
        (fix["id"], problem.pk, change.pk),
    }
    # A problem closes only once the changes that fix it are closed.
    ok(api.move(problem.pk, "start"))
    ok(api.move(problem.pk, "resolve", resolution="Labots"))
    assert error(api.move(problem.pk, "close"), 422)["detail"].startswith("Close the changes")

    # The reporter sees no links; another institution cannot remove them.
    citizen_ticket = record(reporter=ops.Reporter(user=people["citizen"]))
    ok(
        api.post(
            f"/tickets/{citizen_ticket.pk}/links", {"target": problem.pk, "kind": "caused_by"}
        ),
        201,
    )
    assert ok(Api(people["citizen"]).get(f"/tickets/{citizen_ticket.pk}"))["links"] == []
    error(Api(people["outsider"]).delete(f"/tickets/{incident.pk}/links/{link['id']}"), 404)
    error(api.delete(f"/tickets/{change.pk}/links/{link['id']}"), 404)  # not this ticket's
    assert ok(api.delete(f"/tickets/{incident.pk}/links/{link['id']}"), 204) is None
    assert not TicketLink.objects.filter(pk=link["id"]).exists()


def test_master_incident_and_merge(people: dict[str, User], record: Record) -> None:
    api = Api(people["specialist"])
    master = record(subject="Portāls nepieejams")
    report = record(subject="Nevar iesniegt", reporter=ops.Reporter(user=people["citizen"]))
    duplicate = record(subject="Portāls nestrādā")

    linked = ok(api.post(f"/tickets/{report.pk}/master", {"master": master.pk}))
    assert linked["master"] == master.pk
    assert ok(api.get(f"/tickets/{master.pk}"))["linked_reports"] == [report.pk]
    # The reporter does not see the master incident (someone else's ticket).
    seen = ok(Api(people["citizen"]).get(f"/tickets/{report.pk}"))
    assert seen["master"] is None
    # A public reply on the master reaches the report, visible to its reporter.
    ok(
        api.post(f"/tickets/{master.pk}/entries", {"kind": "reply", "body": "Strādājam pie tā"}),
        201,
    )
    replies = ok(Api(people["citizen"]).get(f"/tickets/{report.pk}/entries"))["items"]
    assert [(e["kind"], e["body"], e["data"]) for e in replies] == [
        ("reply", "Strādājam pie tā", {})
    ]
    error(api.post(f"/tickets/{master.pk}/master", {"master": report.pk}), 422)
    assert ok(api.post(f"/tickets/{report.pk}/master", {"master": None}))["master"] is None

    kept = ok(api.post(f"/tickets/{duplicate.pk}/merge", {"into": master.pk}))
    assert kept["id"] == master.pk
    merged = ok(api.get(f"/tickets/{duplicate.pk}"))
    assert (merged["state"], merged["merged_into"]) == ("cancelled", master.pk)
    assert field_error(api.post(f"/tickets/{master.pk}/merge", {"into": 987654}), "into")


# --- Knowledge -----------------------------------------------------------------------------------


def test_articles_used_and_drafted(
    people: dict[str, User],
    record: Record,
    institution: Institution,
    make_user: Callable[..., User],
) -> None:
    ticket = record()
    api = Api(people["specialist"])
    manager = make_user("zinasanas", institution, Role.KNOWLEDGE_MANAGER)
    revision = kops.create_article(
        actor=manager,
        institution=institution,
        settings=kops.ArticleSettings(audience=Audience.INTERNAL),
        text=kops.ArticleText(title="Kā pārstartēt", body="..."),
    )
    kops.publish_revision(actor=manager, revision=revision)
    used = ok(api.post(f"/tickets/{ticket.pk}/articles", {"article": revision.article_id}), 201)
    assert used == {"article": revision.article_id, "relation": "used_to_resolve"}
    assert field_error(
        api.post(
            f"/tickets/{ticket.pk}/articles",
            {"article": revision.article_id, "relation": "created_from"},
        ),
        "relation",
    )

    drafted = ok(api.post(f"/tickets/{ticket.pk}/draft-article", {"language": "en"}), 201)
    assert drafted["article"] != revision.article_id
    detail = ok(api.get(f"/tickets/{ticket.pk}"))
    assert {(a["article"], a["relation"]) for a in detail["articles"]} == {
        (revision.article_id, TicketRelation.USED_TO_RESOLVE),
        (drafted["article"], TicketRelation.CREATED_FROM),
    }
    # The reporter reads none of these internal articles.
    mine = record(reporter=ops.Reporter(user=people["citizen"]))
    ok(api.post(f"/tickets/{mine.pk}/articles", {"article": revision.article_id}), 201)
    assert ok(Api(people["citizen"]).get(f"/tickets/{mine.pk}"))["articles"] == []
    error(Api(people["citizen"]).post(f"/tickets/{mine.pk}/draft-article"), 403)


# --- Lists and teams -----------------------------------------------------------------------------


def test_list_filters_and_pagination(
    people: dict[str, User],
    record: Record,
    teams: dict[int, Team],
    other_institution: Institution,
    make_user: Callable[..., User],
) -> None:
    specialist, expert = people["specialist"], people["expert"]
    incident = record(impact=1, urgency=1)
    request = record("request", "Piekļuves tiesības", level=2)
    problem = record("problem", "Atkārtota kļūme")
    done = record("incident", "Vecs")
    ops.take(actor=specialist, ticket=incident)
    ops.assign(actor=specialist, ticket=request, team=teams[2], assignee=expert)
    ops.transition(actor=specialist, ticket=done, action="resolve", resolution="Labots")
    spa_admin = make_user("spa-darbs", other_institution, Role.SUPPORT_SPECIALIST)
    elsewhere = record(
        subject="Pabalsts",
        actor=spa_admin,
        institution=other_institution,
        service=None,
    )
    api = Api(specialist)
    everything = {incident.pk, request.pk, problem.pk, done.pk}
    assert ids(ok(api.get("/tickets"))) == everything
    assert elsewhere.pk not in ids(ok(api.get("/tickets")))
    assert ids(ok(api.get("/tickets", kind="problem"))) == {problem.pk}
    assert ids(ok(api.get("/tickets", state="resolved"))) == {done.pk}
    assert ids(ok(api.get("/tickets", open="true"))) == everything - {done.pk}
    assert ids(ok(api.get("/tickets", open="false"))) == {done.pk}
    assert ids(ok(api.get("/tickets", priority="P1"))) == {incident.pk}
    assert ids(ok(api.get("/tickets", level=2))) == {request.pk}
    assert ids(ok(api.get("/tickets", team=teams[2].pk))) == {request.pk}
    assert ids(ok(api.get("/tickets", assignee="me"))) == {incident.pk}
    assert ids(ok(api.get("/tickets", assignee="janis"))) == {request.pk}
    assert ids(ok(api.get("/tickets", assignee="none"))) == {problem.pk, done.pk}
    assert ids(ok(api.get("/tickets", service=incident.service_id))) == everything
    assert ids(ok(api.get("/tickets", institution="spa"))) == set()
    assert ids(ok(api.get("/tickets", institution="vra"))) == everything
    error(api.get("/tickets", state="lost"), 422)

    page = ok(api.get("/tickets", limit=2, offset=0))
    assert page["count"] == 4
    assert [i["id"] for i in page["items"]] == sorted(everything, reverse=True)[:2]
    rest = ok(api.get("/tickets", limit=2, offset=2))
    assert ids(page) | ids(rest) == everything
    assert [i["id"] for i in ok(api.get("/tickets", order="created"))["items"]] == sorted(
        everything
    )
    by_due = [i["id"] for i in ok(api.get("/tickets", order="due"))["items"]]
    assert by_due[-1] == problem.pk  # no clock: last

    # Words, through the search index and its permission rule.
    found = ok(api.get("/tickets", q="piekļuves tiesības"))
    assert ids(found) == {request.pk}
    assert ids(ok(Api(people["outsider"]).get("/tickets", q="piekļuves"))) == set()


def test_breached_filter_agrees_with_the_clocks(people: dict[str, User], record: Record) -> None:
    now = timezone.now()
    late = record(subject="Nokavēts")
    on_time = record(subject="Laikā")
    answered_late = record(subject="Atbildēts par vēlu")
    paused_before = record(subject="Gaida no laika, kad vēl nebija nokavēts")
    Ticket.objects.filter(pk=late.pk).update(
        response_due=now - timedelta(hours=3), resolution_due=now - timedelta(hours=1)
    )
    Ticket.objects.filter(pk=answered_late.pk).update(
        response_due=now - timedelta(days=2),
        responded_at=now - timedelta(days=1),
        resolution_due=now + timedelta(days=5),
    )
    Ticket.objects.filter(pk=paused_before.pk).update(
        state=State.WAITING,
        waiting_on="recipient",
        waiting_since=now - timedelta(days=3),
        response_due=now - timedelta(days=1),
        resolution_due=now - timedelta(hours=1),
    )
    api = Api(people["specialist"])
    breached = ids(ok(api.get("/tickets", breached="true")))
    assert breached == {late.pk, answered_late.pk}
    assert ids(ok(api.get("/tickets", breached="false"))) == {on_time.pk, paused_before.pk}
    for ticket in Ticket.objects.all():
        clocks = sla.clocks(ticket, timezone.now())
        assert any(c.breached for c in clocks) == (ticket.pk in breached), ticket.subject
    statuses = {c["status"] for c in ok(api.get(f"/tickets/{late.pk}"))["sla"]}
    assert statuses == {"breached"}


def test_the_list_does_not_query_per_ticket(
    people: dict[str, User], record: Record, teams: dict[int, Team]
) -> None:
    api = Api(people["specialist"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            ok(api.get("/tickets"))
        return len(captured)

    first = record()
    ops.assign(actor=people["specialist"], ticket=first, team=teams[1], assignee=people["expert"])
    queries()  # the token's first use is recorded once
    few = queries()
    for n in range(5):
        ticket = record(subject=f"Kļūda {n}")
        ops.assign(
            actor=people["specialist"], ticket=ticket, team=teams[2], assignee=people["expert"]
        )
    assert queries() == few


def test_teams(people: dict[str, User], teams: dict[int, Team]) -> None:
    listed = ok(Api(people["specialist"]).get("/teams"))
    assert [(t["name"], t["level"], t["members"]) for t in listed] == [
        ("1. līmeņa atbalsts", 1, ["anna"]),
        ("IS eksperti", 2, ["janis"]),
    ]
    assert [t["id"] for t in ok(Api(people["specialist"]).get("/teams", level=2))] == [teams[2].pk]
    assert ok(Api(people["outsider"]).get("/teams")) == []
    assert ok(Api(people["citizen"]).get("/teams")) == []
