"""The knowledge (KCS) metrics: exact figures over real rows made through the operations, and
the rule that a scoped viewer never sees another institution's articles or figures, nor an
article they may not read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone, translation

from zina.catalog import operations as catalog_ops
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleType, Audience, State, TicketRelation
from zina.knowledge.models import Article, ArticleFeedback, ArticleTicketLink, ArticleViewCount
from zina.portal import operations as portal_ops
from zina.portal.models import AssistantSession, AssistantTurn, Deflection
from zina.reports.context import get_metric, metric_keys
from zina.reports.dashboards import DASHBOARDS
from zina.reports.metrics.knowledge import GAP_SIMILARITY, clusters, subject_terms
from zina.reports.scope import Scope, service_scope
from zina.search.models import SearchLog
from zina.search.operations import log_search
from zina.tickets import operations as tops
from zina.tickets.choices import Channel
from zina.tickets.models import Ticket

from .knowledge_fixtures import (
    LONG_AGO,
    World,
    also_worker,
    cells,
    context,
    move_back,
    run,
    service_owner,
)
from .knowledge_fixtures import world as world  # the fixture, by name

pytestmark = pytest.mark.django_db

KEYS = DASHBOARDS["knowledge"].sections[0].metrics


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def rows_by_first(table: Any) -> dict[Any, list[Any]]:
    return {row[0]: row[1:] for row in table.rows}


def test_every_knowledge_metric_is_registered() -> None:
    assert set(KEYS) <= metric_keys()
    assert len(KEYS) == 11


# --- capture and reuse -----------------------------------------------------------------------


def test_link_rate_counts_incidents_resolved_in_the_period_with_a_linked_article(
    world: World,
) -> None:
    a, b = world.a, world.b
    article = world.article(a, "E-pasta parole")
    used = world.incident(a, "Aizmirsta parole", resolve=True)
    world.use(a, used, article)
    drafted = world.incident(a, "Pastkaste pilna", resolve=True)
    world.draft(a, drafted)
    world.incident(a, "Nav saistīta raksta", resolve=True)
    world.incident(a, "Bez pakalpojuma", resolve=True, service=False)
    world.incident(a, "Vēl atvērts")  # not finished
    old = world.incident(a, "Sen atrisināts", resolve=True)
    world.use(a, old, article)
    move_back(old, "resolved_at")
    other = world.incident(b, "Cita iestāde", resolve=True)
    world.use(b, other, world.article(b, "SPA raksts"))

    table = run("knowledge.link_rate", a.manager)

    assert table.rows == [
        ["All services", 4, 2, 50.0],
        ["E-pasta pakalpojums", 3, 2, 66.7],
        ["No service", 1, 0, 0.0],
    ]
    assert table.column("rate").kind == "percent"
    everywhere = rows_by_first(run("knowledge.link_rate", world.superuser))
    assert everywhere["All services"] == [5, 3, 60.0]
    assert everywhere["Pabalstu pieprasīšana"] == [1, 1, 100.0]


def test_link_rate_is_empty_with_a_note(world: World) -> None:
    table = run("knowledge.link_rate", world.a.manager)
    assert table.rows == []
    assert table.note == "No incidents were resolved in this period."


def test_reuse_counts_links_made_in_the_period(world: World) -> None:
    a, b = world.a, world.b
    article = world.article(a, "Paroles maiņa")
    first, second, third = (world.incident(a, f"Parole {n}") for n in range(3))
    world.use(a, first, article)
    world.use(a, second, article)
    world.draft(a, third)
    old = world.incident(a, "Sena")
    world.use(a, old, article)
    ArticleTicketLink.objects.filter(ticket_id=old.pk).update(created_at=timezone.now() - LONG_AGO)
    foreign = world.incident(b, "Cita")
    world.use(b, foreign, world.article(b, "SPA"))
    world.draft(b, foreign)

    table = run("knowledge.reuse", a.manager)

    assert table.rows == [
        ["Existing articles used to resolve", 2, 1, 2, 66.7],
        ["New articles created from tickets", 1, 1, 1, 33.3],
    ]


def test_from_tickets_counts_articles_started_from_tickets_by_type_and_state(
    world: World,
) -> None:
    a, b = world.a, world.b
    drafted = [world.draft(a, world.incident(a, f"Kļūda {n}")) for n in range(3)]
    kops.publish_revision(actor=a.manager, revision=world.first_revision(drafted[0]))
    kops.archive_article(actor=a.manager, article=drafted[1])
    world.article(a, "Nav no pieteikuma", type=ArticleType.FAQ)
    old = world.draft(a, world.incident(a, "Sena kļūda"))
    move_back(old)
    problem = tops.open_ticket(
        actor=a.worker,
        institution=a.institution,
        kind="problem",
        data=tops.TicketData(subject="Problēma"),
    )
    world.draft(a, problem)  # a known-error article
    world.draft(b, world.incident(b, "Cita"))

    table = run("knowledge.from_tickets", a.manager)

    assert table.rows == [
        ["Solution", 3, 1, 1, 1],
        ["Known error", 1, 1, 0, 0],
    ]
    assert table.chart is not None
    assert table.chart.kind == "stacked"


def test_time_to_publish_mean_and_median_of_first_publications(world: World) -> None:
    a = world.a
    now = timezone.now()
    spans = [(ArticleType.SOLUTION, 60), (ArticleType.SOLUTION, 180), (ArticleType.FAQ, 1440)]
    for n, (kind, minutes) in enumerate(spans):
        article = world.article(a, f"Raksts {n}", type=kind)
        article.revisions.update(created_at=now - timedelta(minutes=minutes), reviewed_at=now)
    # First published long ago, published again now: not a first publication in the period.
    again = world.article(a, "Atkārtoti publicēts")
    again.revisions.update(reviewed_at=now - LONG_AGO)
    revision = kops.start_revision(actor=a.manager, article=again, language="lv")
    kops.publish_revision(actor=a.manager, revision=revision)
    world.article(a, "Melnraksts", publish=False)
    world.article(world.b, "SPA raksts").revisions.update(created_at=now - timedelta(days=9))

    table = run("knowledge.time_to_publish", a.manager)

    assert table.rows == [
        ["All types", 3, 560.0, 180.0],
        ["Solution", 2, 120.0, 120.0],
        ["Frequently asked question", 1, 1440.0, 1440.0],
    ]
    assert table.column("mean").kind == "minutes"


# --- self-service ----------------------------------------------------------------------------


def _session(article: Article | None, outcome: str, ticket: Ticket | None = None) -> None:
    session = AssistantSession.objects.create(outcome=outcome, ticket=ticket)
    AssistantTurn.objects.create(session=session, question="Kā?", answer="Tā.", article=article)


def test_self_service_counts_deflections_and_sessions_of_the_viewers_institution(
    world: World,
) -> None:
    a, b = world.a, world.b
    public_a = world.article(a, "Publisks A", audience=Audience.PUBLIC)
    public_b = world.article(b, "Publisks B", audience=Audience.PUBLIC)
    portal_ops.record_deflection(article=public_a, source=Deflection.Source.SUBMIT_FORM)
    portal_ops.record_deflection(article=public_a, source=Deflection.Source.SEARCH)
    portal_ops.record_deflection(article=public_a, source=Deflection.Source.ASSISTANT)
    old = portal_ops.record_deflection(article=public_a, source=Deflection.Source.SEARCH)
    move_back(old)
    portal_ops.record_deflection(article=public_b)
    for side in (a, b):  # one request submitted on the portal in each institution
        tops.open_ticket(
            actor=None,
            institution=side.institution,
            kind="incident",
            data=tops.TicketData(subject="No portāla"),
            reporter=tops.Reporter(email="pilsonis@example.lv"),
        )
    tops.record_self_service(institution=a.institution, subject="Atbildēts bez darbinieka")
    escalated = tops.open_ticket(
        actor=None,
        institution=a.institution,
        kind="request",
        data=tops.TicketData(subject="No asistenta", channel=Channel.ASSISTANT),
        reporter=tops.Reporter(email="pilsonis@example.lv"),
    )
    Outcome = AssistantSession.Outcome
    _session(public_a, Outcome.HELPED)
    _session(public_a, Outcome.NOT_HELPED)
    _session(None, Outcome.ESCALATED, ticket=escalated)
    _session(public_b, Outcome.HELPED)
    _session(None, Outcome.OPEN)  # reached no institution

    mine = run("knowledge.self_service", a.manager)
    assert mine.rows == [
        ["Portal (search and submission form)", 2, 2, 1, 66.7],
        ["Virtual assistant", 2, 1, 1, 66.7],
        ["Level-0 answers recorded as tickets", 1, 1, 0, 100.0],
        ["Total", 5, 4, 2, 71.4],
    ]
    theirs = rows_by_first(run("knowledge.self_service", b.manager))
    assert theirs["Portal (search and submission form)"] == [1, 1, 1, 50.0]
    assert theirs["Virtual assistant"] == [1, 1, 0, 100.0]
    everything = rows_by_first(run("knowledge.self_service", world.superuser))
    assert everything["Portal (search and submission form)"] == [3, 3, 2, 60.0]
    assert everything["Virtual assistant"] == [4, 2, 1, 80.0]


# --- keeping knowledge current ---------------------------------------------------------------


def test_review_overdue_lists_live_articles_past_their_review_date(world: World) -> None:
    a, b = world.a, world.b
    today = timezone.localdate()
    late = world.article(a, "Sen pārskatāms")
    later = world.article(a, "Nesen pārskatāms")
    fine = world.article(a, "Vēl derīgs")
    archived = world.article(a, "Arhivēts")
    kops.archive_article(actor=a.manager, article=archived)
    draft = world.article(a, "Melnraksts", publish=False)
    foreign = world.article(b, "SPA novecojis")
    for article, days in ((late, -10), (later, -3), (fine, 5), (archived, -20), (draft, -20)):
        Article.objects.filter(pk=article.pk).update(review_by=today + timedelta(days=days))
    Article.objects.filter(pk=foreign.pk).update(review_by=today - timedelta(days=30))

    table = run("knowledge.review_overdue", a.manager)

    assert [row[0][0] for row in table.rows] == ["Sen pārskatāms", "Nesen pārskatāms"]
    assert table.rows[0][0][1] == late.get_absolute_url()
    assert table.rows[0][1:] == ["Zane a", today - timedelta(days=10), 10]
    assert table.rows[1][3] == 3
    assert table.note == ""


def test_feedback_per_article_worst_first(world: World) -> None:
    a, b = world.a, world.b
    liked = world.article(a, "Noderīgs")
    disliked = world.article(a, "Nenoderīgs")
    reader = a.worker
    for article, helpful, comment in (
        (liked, True, ""),
        (liked, True, ""),
        (liked, False, "Trūkst soļa"),
        (disliked, False, ""),
        (disliked, False, "Nepareizi"),
    ):
        kops.give_feedback(actor=reader, article=article, helpful=helpful, comment=comment)
    old = kops.give_feedback(actor=reader, article=disliked, helpful=True)
    move_back(old)
    shared = world.article(b, "SPA koplietots", shared_with=[a.institution])
    kops.give_feedback(actor=reader, article=shared, helpful=False)

    table = run("knowledge.feedback", a.manager)

    assert [row[0][0] for row in table.rows] == ["Nenoderīgs", "Noderīgs"]
    assert [row[1:] for row in table.rows] == [[0, 2, 0.0, 1], [2, 1, 66.7, 1]]
    assert ArticleFeedback.objects.count() == 7


# --- reading and finding ---------------------------------------------------------------------


def test_most_viewed_counts_views_in_the_period_by_kind_of_reader(world: World) -> None:
    a, b = world.a, world.b
    popular = world.article(a, "Populārs", audience=Audience.PUBLIC)
    quiet = world.article(a, "Kluss")
    for _n in range(3):
        kops.record_view(user=AnonymousUser(), article=popular)
    kops.record_view(user=a.worker, article=popular)
    kops.record_view(user=b.worker, article=popular)
    kops.record_view(user=a.worker, article=quiet)
    ArticleViewCount.objects.create(
        article=quiet, day=timezone.localdate() - LONG_AGO, reader="staff", count=50
    )
    foreign = world.article(b, "SPA populārs", audience=Audience.PUBLIC)
    for _n in range(9):
        kops.record_view(user=AnonymousUser(), article=foreign)

    table = run("knowledge.most_viewed", a.manager)

    assert [row[0][0] for row in table.rows] == ["Populārs", "Kluss"]
    assert [row[1:] for row in table.rows] == [[5, 3, 1, 1, 0], [1, 0, 1, 0, 0]]
    assert [c.label for c in table.columns][2:] == [
        "Public (not logged in)",
        "Staff of the institution",
        "Staff of other institutions",
        "Partners",
    ]


def test_never_viewed_lists_published_unread_articles_oldest_first(world: World) -> None:
    a, b = world.a, world.b
    read = world.article(a, "Lasīts")
    kops.record_view(user=a.worker, article=read)
    newer = world.article(a, "Jaunāks nelasīts")
    older = world.article(a, "Vecāks nelasīts")
    older.revisions.update(reviewed_at=timezone.now() - LONG_AGO)
    world.article(a, "Nepublicēts", publish=False)
    kops.archive_article(actor=a.manager, article=world.article(a, "Arhivēts"))
    world.article(b, "SPA nelasīts")

    table = run("knowledge.never_viewed", a.manager)

    assert [row[0] for row in table.rows] == [
        ("Vecāks nelasīts", older.get_absolute_url()),
        ("Jaunāks nelasīts", newer.get_absolute_url()),
    ]
    assert table.rows[0][1:3] == ["Solution", "Zane a"]


def test_never_viewed_caps_rows_with_a_note(world: World, monkeypatch: Any) -> None:
    from zina.reports.metrics import knowledge

    monkeypatch.setattr(knowledge, "LIST_ROWS", 2)
    for n in range(3):
        world.article(world.a, f"Nelasīts {n}")
    table = run("knowledge.never_viewed", world.a.manager)
    assert len(table.rows) == 2
    assert table.note == "Showing 2 of 3 rows."


def test_no_result_searches_public_for_everyone_staff_only_for_superusers(world: World) -> None:
    anonymous = AnonymousUser()
    log_search(user=anonymous, text="Kā mainīt paroli", surface="portal", results=0)
    log_search(user=anonymous, text="ka mainit paroli", surface="portal", results=0)
    log_search(user=anonymous, text="KĀ MAINĪT PAROLI", surface="portal", results=0)
    log_search(user=anonymous, text="pabalsts", surface="portal", results=0)
    log_search(user=anonymous, text="parole", surface="portal", results=4)
    old = SearchLog.objects.get(pk=log_search(user=anonymous, text="sens", surface="kb", results=0))
    move_back(old)
    log_search(user=world.a.worker, text="iekšējais serveris X", surface="kb", results=0)

    table = run("knowledge.no_result_searches", world.a.manager)
    assert [row[:2] for row in table.rows] == [["ka mainit paroli", 3], ["pabalsts", 1]]
    assert "iekšējais serveris X" not in cells(table)
    everything = run("knowledge.no_result_searches", world.superuser)
    assert ["iekšējais serveris X", 1] in [row[:2] for row in everything.rows]
    # A viewer with no knowledge scope sees none of the log.
    assert run("knowledge.no_result_searches", world.a.worker).rows == []


# --- knowledge gaps --------------------------------------------------------------------------


def test_subject_terms_fold_diacritics_stems_and_hyphens() -> None:
    typed = subject_terms("Nevar pieslēgties e-pastam", "lv")
    assert typed == subject_terms("nevar pieslegties epastam", "lv")
    assert typed == subject_terms("Nevaru pieslēgties E-pastam!", "lv")
    assert subject_terms("3. stāvā printeris", "lv") == {"stav", "printer"}


def test_clusters_join_alike_subjects_only() -> None:
    subjects = [
        "Nevar pieslēgties e-pastam",
        "nevar pieslegties epastam",
        "Nevar pieslēgties VPN",
        "Printeris nedrukā",
        "printeris nedruka 3. stāvā",
        "Nevaru pieslēgties e-pastam no mājām",
    ]
    docs = [subject_terms(s, "lv") for s in subjects]
    found = sorted(g for g in clusters(docs, GAP_SIMILARITY) if len(g) > 1)
    assert found == [[0, 1, 5], [3, 4]]


def _gaps(world: World) -> dict[str, Ticket]:
    a, b = world.a, world.b
    made: dict[str, Ticket] = {}
    made["old"] = world.incident(a, "Nevar pieslēgties e-pastam")
    move_back(made["old"])
    made["covered"] = world.incident(a, "Nevar pieslēgties e-pastam")
    world.use(a, made["covered"], world.article(a, "E-pasta pieslēgšanās"))
    made["first"] = world.incident(a, "Nevar pieslēgties e-pastam")
    made["printer"] = world.incident(a, "Printeris nedrukā")
    made["pdf1"] = world.incident(a, "Neizdodas atvērt izziņu PDF", service=False)
    made["second"] = world.incident(a, "nevar pieslegties epastam")
    made["pdf2"] = world.incident(a, "neizdodas atvert izzinu pdf", service=False)
    made["newest"] = world.incident(a, "Nevar pieslēgties e-pastam")
    made["foreign"] = world.incident(b, "Nevar pieslēgties e-pastam")
    return made


def test_gaps_cluster_similar_incidents_without_an_article(world: World) -> None:
    made = _gaps(world)
    newest = made["newest"]

    table = run("knowledge.gaps", world.a.manager)

    assert [row[0] for row in table.rows] == [3, 2]
    _size, subject, services, link, last = table.rows[0]
    assert subject == "Nevar pieslēgties e-pastam"
    assert services == "E-pasta pakalpojums"
    assert link == (newest.reference, newest.get_absolute_url())
    assert last == Ticket.objects.get(pk=newest.pk).created_at
    assert table.rows[1][1:4] == [
        "neizdodas atvert izzinu pdf",
        "",
        (made["pdf2"].reference, made["pdf2"].get_absolute_url()),
    ]
    # A knowledge manager does not work on tickets: no action the ticket page would refuse.
    assert table.row_actions == [None, None]
    assert table.note == "“Create article” is offered on the incidents you may work on."
    assert "Printeris nedrukā" not in cells(table)


def test_gaps_create_article_action_drafts_an_article_from_the_newest_incident(
    world: World,
) -> None:
    made = _gaps(world)
    newest = made["newest"]
    viewer = also_worker(world.superuser, world.a.manager, world.a.institution)

    table = run("knowledge.gaps", viewer)

    assert table.note == ""
    action = table.row_actions[0]
    assert action is not None
    assert action.label == "Create article"
    assert action.method == "post"
    client = Client()
    client.force_login(viewer)
    response = client.post(action.url)
    assert response.status_code == 302
    link = ArticleTicketLink.objects.get(
        ticket_type=ContentType.objects.get_for_model(Ticket),
        ticket_id=newest.pk,
        relation=TicketRelation.CREATED_FROM,
    )
    assert link.article.revisions.get().state == State.DRAFT
    assert link.article.revisions.get().title == "Nevar pieslēgties e-pastam"
    # The newest incident now has its article: the group shrinks to the other two.
    assert [row[0] for row in run("knowledge.gaps", viewer).rows] == [2, 2]


# --- permissions -----------------------------------------------------------------------------


def _everything(world: World) -> dict[str, Any]:
    """Rows for every metric in both institutions, B's marked by "SPA" in their text."""
    a, b = world.a, world.b
    today = timezone.localdate()
    made: dict[str, Any] = {}
    for side, tag in ((a, "VRA"), (b, "SPA")):
        public = world.article(side, f"{tag} publisks", audience=Audience.PUBLIC)
        internal = world.article(side, f"{tag} iekšējs")
        shared = world.article(side, f"{tag} koplietots", shared_with=[a.institution])
        world.article(side, f"{tag} nelasīts")
        Article.objects.filter(pk__in=[public.pk, internal.pk, shared.pk]).update(
            review_by=today - timedelta(days=2)
        )
        for article in (public, internal, shared):
            kops.record_view(user=side.worker, article=article)
            kops.give_feedback(actor=side.worker, article=article, helpful=False)
        for n in range(2):
            ticket = world.incident(side, f"{tag} nevar pieslēgties {n}", resolve=True)
            world.use(side, ticket, internal)
        world.draft(side, world.incident(side, f"{tag} jauns raksts"))
        for _n in range(2):  # a knowledge gap
            world.incident(side, f"{tag} printeris nedrukā")
        log_search(user=AnonymousUser(), text="nekas", surface="portal", results=0)
        portal_ops.record_deflection(article=public)
        _session(public, AssistantSession.Outcome.HELPED)
        made[tag] = {"internal": internal, "shared": shared}
    return made


def test_a_knowledge_manager_sees_nothing_of_another_institution(world: World) -> None:
    _everything(world)
    for key in KEYS:
        table = run(key, world.a.manager)
        assert table.rows, key
        assert not [c for c in cells(table) if "SPA" in c], key
        assert table.title, key
        assert table.description, key


def test_articles_the_viewer_cannot_read_never_appear_even_in_a_wider_scope(
    world: World,
) -> None:
    made = _everything(world)
    a, b = world.a, world.b
    # A scope naming both institutions: the viewer's reading rule still applies.
    wide = Scope(frozenset({a.institution.pk, b.institution.pk}))
    seen = {key: cells(run(key, a.manager, scope=wide)) for key in KEYS}
    everything = " | ".join(c for texts in seen.values() for c in texts)
    assert "SPA iekšējs" not in everything
    assert "SPA nelasīts" not in everything
    # B's article shared with A may be read by A, so it may be shown.
    assert "SPA koplietots" in " | ".join(seen["knowledge.feedback"])
    # The superuser sees B's internal article.
    assert "SPA iekšējs" in " | ".join(cells(run("knowledge.most_viewed", world.superuser)))
    assert made["SPA"]["internal"].audience == Audience.INTERNAL


def test_the_knowledge_section_reads_in_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    _everything(world)
    _gaps(world)
    viewer = also_worker(world.superuser, world.a.manager, world.a.institution)
    ctx = context(viewer)
    with django_assert_max_num_queries(30):
        tables = [get_metric(key)(ctx) for key in KEYS]
    assert [t.key for t in tables if not t.rows] == []


def test_a_service_owner_sees_only_their_service_on_the_service_dashboard(world: World) -> None:
    a = world.a
    other = catalog_ops.create_service(
        actor=world.superuser,
        institution=a.institution,
        data=catalog_ops.ServiceData(identifier="A-ARH", name="Arhīva izziņas"),
    )
    owner = service_owner(world, a.service)
    mine = world.incident(a, "Nevar pieslēgties e-pastam", resolve=True)
    world.use(a, mine, world.article(a, "E-pasts", audience=Audience.PUBLIC))
    world.incident(a, "nevar pieslegties epastam")
    world.incident(a, "Nevar pieslēgties e-pastam")
    theirs = tops.open_ticket(
        actor=a.worker,
        institution=a.institution,
        kind="incident",
        data=tops.TicketData(subject="Izziņa neatveras", service=other),
    )
    tops.transition(actor=a.worker, ticket=theirs, action="resolve", resolution="Labots.")
    for _n in range(2):
        tops.open_ticket(
            actor=a.worker,
            institution=a.institution,
            kind="incident",
            data=tops.TicketData(subject="Izziņa neatveras", service=other),
        )
    archive = kops.create_article(
        actor=a.manager,
        institution=a.institution,
        settings=kops.ArticleSettings(audience=Audience.PUBLIC, services=[other]),
        text=kops.ArticleText(title="Arhīvs"),
    )
    kops.publish_revision(actor=a.manager, revision=archive)
    portal_ops.record_deflection(article=archive.article, service=other)

    scope = service_scope(owner)
    assert run("knowledge.link_rate", owner, scope=scope).rows == [
        ["All services", 1, 1, 100.0],
        ["E-pasta pakalpojums", 1, 1, 100.0],
    ]
    gaps = run("knowledge.gaps", owner, scope=scope)
    assert [row[1] for row in gaps.rows] == ["Nevar pieslēgties e-pastam"]
    nothing = run("knowledge.self_service", owner, scope=scope)
    assert nothing.rows == []
    assert nothing.note == "No self-service use in this period."
    everything = rows_by_first(run("knowledge.self_service", a.manager))
    assert everything["Portal (search and submission form)"][0] == 1
