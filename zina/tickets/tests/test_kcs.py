"""KCS in the ticket workflow: a problem's known error becomes a known-error article (and a new
draft of it when recorded again); an article is drafted from a ticket; an article used to
resolve a ticket is linked to it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from zina.accounts.models import User
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleType, TicketRelation
from zina.knowledge.models import Article, ArticleRevision, ArticleTicketLink
from zina.tickets import operations as ops
from zina.tickets.choices import Kind, State
from zina.tickets.models import Ticket

from . import _factories
from ._factories import audits, events, fresh

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
make_ticket = _factories.make_ticket
problem_manager = _factories.problem_manager


def links(ticket: Ticket, relation: str | None = None) -> list[ArticleTicketLink]:
    rows = ArticleTicketLink.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Ticket), ticket_id=ticket.pk
    )
    if relation:
        rows = rows.filter(relation=relation)
    return list(rows)


@pytest.fixture
def problem(make_ticket: Callable[..., Ticket], problem_manager: User) -> Ticket:
    return make_ticket(
        Kind.PROBLEM,
        actor=problem_manager,
        subject="Reģistrs neatver PDF",
        description="Pēc atjauninājuma izziņas PDF neatveras.",
    )


def test_record_known_error_creates_the_article_and_marks_the_problem(
    problem: Ticket, problem_manager: User, service: object
) -> None:
    assert problem.state == State.NEW
    revision = ops.record_known_error(
        actor=problem_manager,
        problem=problem,
        root_cause="Bojāts fonts serverī.",
        workaround="Atvērt izziņu pārlūkā.",
    )
    problem = fresh(problem)
    assert problem.state == State.KNOWN_ERROR
    assert problem.root_cause == "Bojāts fonts serverī."
    assert problem.workaround == "Atvērt izziņu pārlūkā."
    article = problem.known_error_article
    assert article is not None
    assert revision.article_id == article.pk
    assert article.type == ArticleType.KNOWN_ERROR
    assert article.audience == "internal"
    assert list(article.services.all()) == [service]
    assert (revision.title, revision.symptoms, revision.cause, revision.resolution) == (
        "Reģistrs neatver PDF",
        "Pēc atjauninājuma izziņas PDF neatveras.",
        "Bojāts fonts serverī.",
        "Atvērt izziņu pārlūkā.",
    )
    assert "Uzņēmumu reģistrācija" in revision.environment
    assert [link.article_id for link in links(problem, TicketRelation.CREATED_FROM)] == [article.pk]
    assert [a.verb for a in audits(problem)][-2:] == ["ticket.start", "ticket.known_error"]


def test_recording_again_makes_a_new_draft_of_the_same_article(
    problem: Ticket, problem_manager: User, superuser: User
) -> None:
    first = ops.record_known_error(
        actor=problem_manager, problem=problem, root_cause="Fonts.", workaround="Pārlūks."
    )
    kops.publish_revision(actor=superuser, revision=first)
    second = ops.record_known_error(
        actor=problem_manager,
        problem=fresh(problem),
        root_cause="Fonts un kešatmiņa.",
        workaround="Iztīrīt kešatmiņu.",
    )
    assert second.article_id == first.article_id
    assert second.pk != first.pk
    assert second.number == 2
    assert second.state == "draft"
    assert (second.cause, second.resolution) == ("Fonts un kešatmiņa.", "Iztīrīt kešatmiņu.")
    stored = ArticleRevision.objects.get(pk=second.pk)
    assert (stored.cause, stored.resolution, stored.version) == (
        "Fonts un kešatmiņa.",
        "Iztīrīt kešatmiņu.",
        second.version,
    )
    live = ArticleRevision.objects.get(pk=first.pk)
    assert (live.is_live, live.resolution) == (True, "Pārlūks.")
    assert Article.objects.count() == 1
    assert len(links(problem, TicketRelation.CREATED_FROM)) == 1
    problem = fresh(problem)
    assert problem.state == State.KNOWN_ERROR
    assert problem.workaround == "Iztīrīt kešatmiņu."


def test_recording_again_before_publishing_updates_the_open_draft(
    problem: Ticket, problem_manager: User
) -> None:
    first = ops.record_known_error(
        actor=problem_manager, problem=problem, root_cause="A.", workaround="B."
    )
    again = ops.record_known_error(
        actor=problem_manager, problem=fresh(problem), root_cause="C.", workaround="D."
    )
    assert again.pk == first.pk  # one open draft per author and language
    assert ArticleRevision.objects.get(pk=first.pk).resolution == "D."


def test_known_error_needs_a_problem_and_a_workaround(
    problem: Ticket, problem_manager: User, make_ticket: Callable[..., Ticket]
) -> None:
    with pytest.raises(ValidationError):
        ops.record_known_error(
            actor=problem_manager, problem=make_ticket(), root_cause="X", workaround="Y"
        )
    with pytest.raises(ValidationError):
        ops.record_known_error(
            actor=problem_manager, problem=problem, root_cause="X", workaround="  "
        )
    assert not Article.objects.exists()
    assert fresh(problem).state == State.NEW


def test_draft_article_is_prefilled_from_the_ticket(
    make_ticket: Callable[..., Ticket], specialist: User
) -> None:
    ticket = make_ticket(subject="Nevar parakstīt", description="Kļūda 0x42 parakstot.")
    ticket = ops.transition(
        actor=specialist, ticket=ticket, action="resolve", resolution="Atjaunot eParaksta rīku."
    )
    revision = ops.draft_article(actor=specialist, ticket=ticket)
    assert revision.article.type == ArticleType.SOLUTION
    assert revision.state == "draft"
    assert revision.language == "lv"
    assert (revision.title, revision.symptoms, revision.resolution) == (
        "Nevar parakstīt",
        "Kļūda 0x42 parakstot.",
        "Atjaunot eParaksta rīku.",
    )
    assert "Uzņēmumu reģistrācija" in revision.environment
    assert [link.article_id for link in links(ticket, TicketRelation.CREATED_FROM)] == [
        revision.article_id
    ]
    assert events(ticket)[-1] == "article_drafted"


def test_draft_article_from_a_problem_is_a_known_error(
    problem: Ticket, problem_manager: User
) -> None:
    ops.update_ticket(
        actor=problem_manager,
        ticket=problem,
        data=ops.TicketData(root_cause="Fonts.", workaround="Pārlūks."),
    )
    revision = ops.draft_article(actor=problem_manager, ticket=fresh(problem), language="en")
    assert revision.article.type == ArticleType.KNOWN_ERROR
    assert (revision.language, revision.cause, revision.resolution) == ("en", "Fonts.", "Pārlūks.")


def test_use_article_links_it_as_used_to_resolve(
    make_ticket: Callable[..., Ticket], specialist: User, superuser: User, institution: object
) -> None:
    published = kops.create_article(
        actor=superuser,
        institution=institution,  # type: ignore[arg-type]
        settings=kops.ArticleSettings(),
        text=kops.ArticleText(title="Kā atjaunot paroli"),
    )
    kops.publish_revision(actor=superuser, revision=published)
    ticket = make_ticket()
    link = ops.use_article(actor=specialist, ticket=ticket, article=published.article)
    assert link.relation == TicketRelation.USED_TO_RESOLVE
    ops.use_article(actor=specialist, ticket=ticket, article=published.article)  # once
    assert [x.article_id for x in links(ticket)] == [published.article_id]
    assert events(ticket)[-1] == "article_used"
