"""The ticket pages: who sees and does what, each action through its form, bad input as a
message (never a 500), and a queue whose query count does not grow with its rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Service
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import Article, ArticleTicketLink
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind, Kind, State
from zina.tickets.models import Team, Ticket, TicketEntry, TicketLink

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    client.cookies["zina_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def post(user: User, ticket: Ticket, endpoint: str, /, **data: Any) -> Any:
    return client_for(user).post(f"/tickets/{ticket.pk}/{endpoint}/", data, follow=True)


@pytest.fixture
def outsider(make_user: Callable[..., User], other_institution: Institution) -> User:
    return make_user("cits", other_institution, Role.SUPPORT_SPECIALIST)


@pytest.fixture
def citizen(db: Any) -> User:
    return User.objects.create_user(username="pilsone", email="pilsone@example.lv")


@pytest.fixture
def incident(open_incident: Callable[..., Ticket], citizen: User, specialist: User) -> Ticket:
    ticket = open_incident("Nevar pieslēgties e-pakalpojumam", description="Kļūda 500")
    Ticket.objects.filter(pk=ticket.pk).update(reporter=citizen)
    ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.NOTE, body="Slepena piezīme")
    ops.add_entry(actor=specialist, ticket=ticket, kind=EntryKind.REPLY, body="Publiska atbilde")
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def public_article(superuser: User, institution: Institution) -> Article:
    draft = kops.create_article(
        actor=superuser,
        institution=institution,
        settings=kops.ArticleSettings(type=ArticleType.SOLUTION, audience=Audience.PUBLIC),
        text=kops.ArticleText(
            title="Pieslēgšanās e-pakalpojumam",
            resolution="Notīriet pārlūka sīkdatnes.",
            body="Pēc tam pieslēdzieties vēlreiz.",
        ),
        language="lv",
    )
    kops.publish_revision(actor=superuser, revision=draft)
    return draft.article


# --- Who sees what -----------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(incident: Ticket) -> None:
    for url in ("/tickets/", "/tickets/new/", f"/tickets/{incident.pk}/"):
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    response = client_for(None).post(f"/tickets/{incident.pk}/take/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_see_the_ticket_with_notes_and_reporter_contact(
    incident: Ticket, specialist: User, expert: User
) -> None:
    for user in (specialist, expert):
        page = client_for(user).get(f"/tickets/{incident.pk}/").content.decode()
        assert "Slepena piezīme" in page
        assert "Publiska atbilde" in page
        assert "pilsonis@example.lv" in page
        assert "Work on the ticket" in page


def test_other_institution_gets_404_and_cannot_act(incident: Ticket, outsider: User) -> None:
    assert client_for(outsider).get(f"/tickets/{incident.pk}/").status_code == 404
    assert client_for(outsider).post(f"/tickets/{incident.pk}/take/").status_code == 404
    page = client_for(outsider).get("/tickets/").content.decode()
    assert incident.reference not in page


def test_reporter_sees_public_entries_only_and_can_write(incident: Ticket, citizen: User) -> None:
    page = client_for(citizen).get(f"/tickets/{incident.pk}/").content.decode()
    assert "Publiska atbilde" in page
    assert "Slepena piezīme" not in page
    assert "pilsonis@example.lv" not in page
    assert "Work on the ticket" not in page
    response = post(citizen, incident, "message", body="Joprojām nestrādā")
    assert response.status_code == 200
    entry = TicketEntry.objects.get(ticket=incident, kind=EntryKind.INCOMING)
    assert entry.body == "Joprojām nestrādā"
    assert entry.author == citizen
    # Staff actions are refused.
    assert client_for(citizen).post(f"/tickets/{incident.pk}/take/").status_code == 403
    assert (
        client_for(citizen)
        .post(f"/tickets/{incident.pk}/entry/", {"kind": "note", "body": "x"})
        .status_code
        == 403
    )


def test_empty_message_is_a_message_not_an_error(incident: Ticket, citizen: User) -> None:
    response = post(citizen, incident, "message", body="  ")
    assert response.status_code == 200
    assert messages_of(response)
    assert not TicketEntry.objects.filter(ticket=incident, kind=EntryKind.INCOMING).exists()


def test_unknown_action_is_404(incident: Ticket, specialist: User) -> None:
    assert client_for(specialist).post(f"/tickets/{incident.pk}/nope/").status_code == 404
    assert client_for(specialist).get(f"/tickets/{incident.pk}/take/").status_code == 405


# --- The queue ---------------------------------------------------------------------------


def test_queue_lists_visible_tickets_with_filters(
    open_incident: Callable[..., Ticket], specialist: User, expert: User, teams: dict[int, Team]
) -> None:
    mine = open_incident("Mans pieteikums")
    ops.take(actor=specialist, ticket=mine)
    other = open_incident("Eksperta pieteikums")
    ops.assign(actor=specialist, ticket=other, team=teams[2], assignee=expert)
    late = open_incident("Nokavēts")
    Ticket.objects.filter(pk=late.pk).update(
        response_due=timezone.now() - timedelta(hours=1), responded_at=None
    )
    client = client_for(specialist)
    page = client.get("/tickets/").content.decode()
    assert all(t.reference in page for t in (mine, other, late))
    assert "My team&#x27;s queue" in page or "My team's queue" in page
    page = client.get("/tickets/?assignee=mine&state=open").content.decode()
    assert mine.reference in page
    assert other.reference not in page
    page = client.get("/tickets/?assignee=unassigned").content.decode()
    assert late.reference in page
    assert mine.reference not in page
    page = client_for(expert).get("/tickets/?team=mine").content.decode()
    assert other.reference in page
    assert mine.reference not in page
    page = client.get("/tickets/?sla=breached&state=open").content.decode()
    assert late.reference in page
    assert mine.reference not in page
    page = client.get("/tickets/?type=problem").content.decode()
    assert "No tickets match." in page
    for bad in ("level=x", "team=x", "service=x", "assignee=%00", "sort=zzz", "page=999"):
        assert client.get(f"/tickets/?{bad}").status_code == 200


def test_queue_text_filter_uses_the_search_index(
    open_incident: Callable[..., Ticket], specialist: User
) -> None:
    wanted = open_incident("Printeris neizdrukā rēķinus")
    other = open_incident("Parole aizmirsta")
    page = client_for(specialist).get("/tickets/?q=printeris").content.decode()
    assert wanted.reference in page
    assert other.reference not in page


def test_queue_query_count_does_not_grow_with_rows(
    open_incident: Callable[..., Ticket], specialist: User, teams: dict[int, Team]
) -> None:
    client = client_for(specialist)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/tickets/?sort=priority").status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        ops.take(actor=specialist, ticket=open_incident(f"Pieteikums {i}"))
    few = count()
    for i in range(12):
        ticket = open_incident(f"Vēl viens {i}")
        ops.assign(actor=specialist, ticket=ticket, team=teams[1], assignee=specialist)
    assert count() == few
    assert few <= 25


def test_bulk_assign_and_resolve_report_each_ticket(
    open_incident: Callable[..., Ticket], specialist: User, expert: User, teams: dict[int, Team]
) -> None:
    a, b = open_incident("Pirmais"), open_incident("Otrais")
    cancelled = open_incident("Atcelts")
    ops.transition(actor=specialist, ticket=cancelled, action="cancel")
    client = client_for(specialist)
    response = client.post(
        "/tickets/bulk/",
        {"ids": [a.pk, b.pk], "op": "assign", "team": teams[2].pk, "assignee": expert.pk},
        follow=True,
    )
    assert response.status_code == 200
    assert set(Ticket.objects.filter(pk__in=[a.pk, b.pk]).values_list("assignee", flat=True)) == {
        expert.pk
    }
    response = client.post(
        "/tickets/bulk/",
        {"ids": [a.pk, b.pk, cancelled.pk], "op": "resolve", "resolution": "Salabots"},
        follow=True,
    )
    texts = messages_of(response)
    assert any(cancelled.reference in t for t in texts)  # reported, the others done
    assert Ticket.objects.get(pk=a.pk).state == State.RESOLVED
    assert Ticket.objects.get(pk=b.pk).resolution == "Salabots"
    # Without a resolution each ticket fails on its own and stays as it was.
    c = open_incident("Trešais")
    response = client.post("/tickets/bulk/", {"ids": [c.pk], "op": "resolve"}, follow=True)
    assert any(c.reference in t for t in messages_of(response))
    assert Ticket.objects.get(pk=c.pk).state == State.NEW
    # Nothing ticked.
    response = client.post("/tickets/bulk/", {"op": "assign"}, follow=True)
    assert response.status_code == 200
    assert messages_of(response)


def test_bulk_ignores_tickets_the_user_cannot_see(
    incident: Ticket, outsider: User, make_user: Callable[..., User]
) -> None:
    response = client_for(outsider).post(
        "/tickets/bulk/",
        {"ids": [incident.pk], "op": "resolve", "resolution": "x"},
        follow=True,
    )
    assert response.status_code == 200
    assert Ticket.objects.get(pk=incident.pk).state != State.RESOLVED


# --- New ticket ---------------------------------------------------------------------------


def test_new_ticket_page_and_incident(
    specialist: User, service: Service, teams: dict[int, Team]
) -> None:
    client = client_for(specialist)
    page = client.get("/tickets/new/?kind=incident").content.decode()
    assert 'id="suggest-panel"' in page
    assert "#id_subject, #id_description" in page
    assert 'name="interruption"' in page
    assert 'name="change_type"' not in page
    start = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/tickets/new/?kind=incident",
        {
            "institution": service.institution_id,
            "subject": "E-pakalpojums nepieejams",
            "description": "Visiem lietotājiem",
            "service": service.pk,
            "impact": 1,
            "urgency": 1,
            "channel": "phone",
            "level": 1,
            "team": teams[1].pk,
            "reporter_name": "Jānis Bērziņš",
            "reporter_phone": "+37120000000",
            "interruption": "on",
            "interruption_start": start,
        },
    )
    ticket = Ticket.objects.get(subject="E-pakalpojums nepieejams")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.kind == Kind.INCIDENT
    assert ticket.priority == "P1"
    assert ticket.interruption
    assert ticket.interruption_start is not None
    assert ticket.reporter_name == "Jānis Bērziņš"
    assert ticket.team == teams[1]
    assert ticket.state == State.ASSIGNED


def test_new_change_with_bad_window_shows_errors(specialist: User, service: Service) -> None:
    client = client_for(specialist)
    page = client.get("/tickets/new/?kind=change").content.decode()
    assert 'name="planned_start"' in page
    assert 'name="interruption"' not in page
    response = client.post(
        "/tickets/new/?kind=change",
        {
            "institution": service.institution_id,
            "subject": "Servera atjaunināšana",
            "impact": 2,
            "urgency": 2,
            "channel": "staff",
            "level": 2,
            "change_type": "normal",
            "planned_start": "2030-05-02T10:00",
            "planned_end": "2030-05-01T10:00",
        },
    )
    assert response.status_code == 200
    assert "The planned window must end after it starts." in response.content.decode()
    assert not Ticket.objects.filter(subject="Servera atjaunināšana").exists()
    response = client.post("/tickets/new/?kind=change", {"subject": ""})
    assert response.status_code == 200


def test_new_ticket_is_refused_without_the_right(citizen: User, outsider: User) -> None:
    assert client_for(citizen).get("/tickets/new/").status_code == 403


# --- Actions on the ticket page ----------------------------------------------------------


def test_take_assign_wait_resume_and_resolve(
    incident: Ticket, specialist: User, expert: User, teams: dict[int, Team]
) -> None:
    post(specialist, incident, "take")
    incident.refresh_from_db()
    assert incident.assignee == specialist
    assert incident.state == State.IN_PROGRESS
    post(specialist, incident, "assign", team=teams[2].pk, assignee=expert.pk)
    incident.refresh_from_db()
    assert incident.assignee == expert
    assert incident.team == teams[2]
    response = post(expert, incident, "move", action="wait", version=incident.version)
    assert "Say whom the ticket is waiting on." in " ".join(messages_of(response))
    post(expert, incident, "move", action="wait", waiting_on="recipient", version=incident.version)
    incident.refresh_from_db()
    assert incident.state == State.WAITING
    post(expert, incident, "move", action="resume", version=incident.version)
    incident.refresh_from_db()
    response = post(expert, incident, "move", action="resolve", version=incident.version)
    assert "Describe how it was resolved." in " ".join(messages_of(response))
    assert Ticket.objects.get(pk=incident.pk).state == State.IN_PROGRESS
    response = post(
        expert, incident, "move", action="resolve", resolution="Atjaunots", version=incident.version
    )
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
    assert incident.resolution == "Atjaunots"
    response = post(expert, incident, "move", action="approve")
    assert messages_of(response)  # not a move of incidents: a message


def test_stale_version_is_a_message(incident: Ticket, specialist: User, service: Service) -> None:
    data = {
        "subject": "Jauns temats",
        "description": "",
        "service": service.pk,
        "impact": 2,
        "urgency": 2,
        "channel": "phone",
        "version": incident.version,
    }
    response = post(specialist, incident, "edit", **data)
    assert "Details saved." in messages_of(response)
    incident.refresh_from_db()
    assert incident.subject == "Jauns temats"
    assert incident.priority == "P3"
    response = post(specialist, incident, "edit", **{**data, "subject": "Vecs", "version": 1})
    assert "Someone else changed this ticket" in " ".join(messages_of(response))
    assert Ticket.objects.get(pk=incident.pk).subject == "Jauns temats"
    response = post(specialist, incident, "edit", subject="", version=incident.version)
    assert response.status_code == 200
    assert messages_of(response)


def test_resolve_with_a_used_article_and_a_draft(
    incident: Ticket, specialist: User, public_article: Article
) -> None:
    response = post(
        specialist,
        incident,
        "move",
        action="resolve",
        resolution="Notīrītas sīkdatnes",
        article=public_article.pk,
        draft="1",
        version=incident.version,
    )
    assert response.redirect_chain[-1][0].startswith("/knowledge/")
    links = ArticleTicketLink.objects.filter(ticket_id=incident.pk)
    assert {link.relation for link in links} == {"used_to_resolve", "created_from"}
    assert Ticket.objects.get(pk=incident.pk).state == State.RESOLVED


def test_resolve_with_a_hidden_article_changes_nothing(incident: Ticket, specialist: User) -> None:
    response = post(specialist, incident, "move", action="resolve", resolution="x", article=999999)
    assert "The article was not found." in messages_of(response)
    assert Ticket.objects.get(pk=incident.pk).state != State.RESOLVED  # rolled back


def test_entries_escalate_and_hand_over(
    incident: Ticket,
    specialist: User,
    teams: dict[int, Team],
    other_institution: Institution,
    citizen: User,
) -> None:
    post(specialist, incident, "entry", kind="note", body="Pārbaudu žurnālus", minutes=15)
    post(specialist, incident, "entry", kind="reply", body="Strādājam", minutes=0)
    incident.refresh_from_db()
    assert incident.time_spent_minutes == 15
    response = post(specialist, incident, "entry", kind="note", body="x", minutes=5000)
    assert messages_of(response)
    reporter_page = client_for(citizen).get(f"/tickets/{incident.pk}/").content.decode()
    assert "Strādājam" in reporter_page
    assert "Pārbaudu žurnālus" not in reporter_page
    response = post(specialist, incident, "escalate", to_level=2, reason="", team=teams[2].pk)
    assert messages_of(response)
    assert Ticket.objects.get(pk=incident.pk).level == 1
    post(specialist, incident, "escalate", to_level=2, reason="Vajag ekspertu", team=teams[2].pk)
    incident.refresh_from_db()
    assert incident.level == 2
    assert incident.team == teams[2]
    response = post(
        specialist, incident, "hand_over", institution=other_institution.pk, reason="Cita iestāde"
    )
    incident.refresh_from_db()
    assert incident.institution == other_institution
    assert incident.received_by_id is not None
    assert response.status_code == 200


def test_links_master_and_merge(
    open_incident: Callable[..., Ticket], specialist: User, outsider: User
) -> None:
    master, report, duplicate = (
        open_incident("Galvenais"),
        open_incident("Ziņojums"),
        (open_incident("Dublikāts")),
    )
    problem = open_incident("Cēlonis", kind=Kind.PROBLEM)
    post(specialist, report, "link", target=problem.reference, relation="caused_by")
    assert TicketLink.objects.filter(source=report, target=problem, kind="caused_by").exists()
    response = post(specialist, report, "link", target="PRB-999999", relation="related")
    assert any("was not found" in m for m in messages_of(response))
    response = post(specialist, report, "link", target="nav atsauce", relation="related")
    assert messages_of(response)
    response = post(specialist, report, "link", target=f"CHG-{problem.pk}", relation="related")
    assert any("was not found" in m for m in messages_of(response))  # wrong prefix
    page = client_for(specialist).get(f"/tickets/{problem.pk}/").content.decode()
    assert report.reference in page  # the link seen from the other side
    link = TicketLink.objects.get(source=report)
    post(specialist, report, "unlink", link=link.pk)
    assert not TicketLink.objects.filter(pk=link.pk).exists()
    post(specialist, report, "master", target=master.reference)
    assert Ticket.objects.get(pk=report.pk).master == master
    page = client_for(specialist).get(f"/tickets/{master.pk}/").content.decode()
    assert report.reference in page
    post(specialist, report, "master", target="")
    assert Ticket.objects.get(pk=report.pk).master is None
    ops.add_entry(actor=specialist, ticket=duplicate, kind=EntryKind.NOTE, body="Dublikāta vēsture")
    response = post(specialist, duplicate, "merge", target=str(master.pk))
    assert response.redirect_chain[-1][0] == f"/tickets/{master.pk}/"
    assert Ticket.objects.get(pk=duplicate.pk).merged_into == master
    assert "Dublikāta vēsture" in response.content.decode()  # the merged timeline
    response = post(specialist, master, "merge", target=master.reference)
    assert messages_of(response)


def test_known_error_and_kcs(
    open_incident: Callable[..., Ticket], specialist: User, public_article: Article
) -> None:
    problem = open_incident("Lēna sistēma", kind=Kind.PROBLEM)
    ops.take(actor=specialist, ticket=problem)
    page = client_for(specialist).get(f"/tickets/{problem.pk}/").content.decode()
    assert "Record known error" in page
    response = post(specialist, problem, "known_error", root_cause="Indekss", workaround="")
    assert messages_of(response)
    post(
        specialist,
        problem,
        "known_error",
        root_cause="Trūkst indeksa",
        workaround="Meklējiet pēc koda",
        audience="internal",
    )
    problem.refresh_from_db()
    assert problem.state == State.KNOWN_ERROR
    assert problem.known_error_article_id
    response = post(specialist, problem, "draft_article")
    assert response.redirect_chain[-1][0].startswith("/knowledge/")
    incident = open_incident("Neizdodas pieslēgties e-pakalpojumam")
    post(specialist, incident, "use_article", article=public_article.pk)
    assert ArticleTicketLink.objects.filter(
        ticket_id=incident.pk, relation="used_to_resolve", article=public_article
    ).exists()
    response = post(specialist, incident, "use_article", article="abc")
    assert messages_of(response)


def test_insert_public_article_text_into_reply(
    incident: Ticket, specialist: User, public_article: Article, superuser: User
) -> None:
    page = client_for(specialist).get(f"/tickets/{incident.pk}/?insert={public_article.pk}")
    text = page.content.decode()
    assert "Notīriet pārlūka sīkdatnes." in text.split('id="entry-heading"')[1]
    internal = kops.create_article(
        actor=superuser,
        institution=incident.institution,
        settings=kops.ArticleSettings(type=ArticleType.SOLUTION, audience=Audience.INTERNAL),
        text=kops.ArticleText(title="Iekšējs", resolution="Slepenā procedūra"),
        language="lv",
    )
    kops.publish_revision(actor=superuser, revision=internal)
    page = client_for(specialist).get(f"/tickets/{incident.pk}/?insert={internal.article_id}")
    assert "Slepenā procedūra" not in page.content.decode()


def test_detail_shows_sla_clocks_and_suggestions(
    incident: Ticket, specialist: User, public_article: Article
) -> None:
    page = client_for(specialist).get(f"/tickets/{incident.pk}/").content.decode()
    assert "SLA" in page
    assert "Response" in page
    assert "Resolution" in page
    assert "Pieslēgšanās e-pakalpojumam" in page  # suggested article
    assert "Used to resolve" in page
    assert "Insert article text" in page


def test_change_approval_by_the_change_manager(
    open_incident: Callable[..., Ticket],
    specialist: User,
    make_user: Callable[..., User],
    institution: Institution,
) -> None:
    change = open_incident("Jauna versija", kind=Kind.CHANGE, change_type="normal")
    post(specialist, change, "move", action="submit")
    change.refresh_from_db()
    assert change.state == State.AWAITING_APPROVAL
    response = post(specialist, change, "move", action="approve")
    assert response.status_code == 403
    manager = make_user("izmainas", institution, Role.CHANGE_MANAGER)
    page = client_for(manager).get(f"/tickets/{change.pk}/").content.decode()
    assert "Approve" in page
    response = post(manager, change, "move", action="reject")
    assert "Say why the change is rejected." in " ".join(messages_of(response))
    post(manager, change, "move", action="approve")
    change.refresh_from_db()
    assert change.state == State.APPROVED
    assert change.approved_by == manager


def test_navigation_entry(specialist: User, citizen: User) -> None:
    assert 'href="/tickets/"' in client_for(specialist).get("/").content.decode()
    assert 'href="/tickets/"' not in client_for(citizen).get("/").content.decode()


def test_fresh_queue_shows_open_tickets_only(
    institution: Any, specialist: Any, open_incident: Any
) -> None:
    done = open_incident("Vecs jautājums")
    ops.transition(actor=specialist, ticket=done, action="cancel")
    open_incident("Jauns jautājums")
    client = client_for(specialist)
    page = client.get("/tickets/").content.decode()
    assert "Jauns jautājums" in page
    assert "Vecs jautājums" not in page
    page = client.get("/tickets/?state=").content.decode()  # "all states" chosen in the form
    assert "Vecs jautājums" in page
