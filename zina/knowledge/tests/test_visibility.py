"""Who reads which article and which revision: the one rule (zina/knowledge/permissions.py),
through ``Article.objects.visible_to`` and ``can(user, "view", …)`` alike.

The matrix below is the declared policy, one row per reader, one column per audience, each
cell the set of article states the reader sees:

- ``published``: a validated revision is live;
- ``draft``: the article was started but nothing was ever published (work in progress);
- ``archived``: published, then archived.

Policy: the live text of an article goes to its audience (public: everyone; internal and
partners: staff of the owning institution and of the institutions it is shared with; experts:
those of them with the expert capability; partners: also the partners assigned to one of its
services). Archived articles leave the public but staff still find them. An article with
nothing published is work in progress: only those who may edit it (writers of the
institution who may read the audience, its author and owner, assigned partners) see it —
nobody else can read anything of it, because its draft revisions are editors-only too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from zina.accounts import operations as account_ops
from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Service
from zina.conftest import ANONYMOUS, refresh
from zina.core.permissions import can
from zina.knowledge import operations as ops
from zina.knowledge.choices import Audience, State
from zina.knowledge.models import Article, ArticleRevision
from zina.knowledge.tests.conftest import settings_of

PUBLISHED, DRAFT, ARCHIVED = "published", "draft", "archived"
STATES = (PUBLISHED, DRAFT, ARCHIVED)
AUDIENCES = (Audience.PUBLIC, Audience.INTERNAL, Audience.EXPERTS, Audience.PARTNERS)

EVERY = frozenset(STATES)
STAFF_READ = frozenset({PUBLISHED, ARCHIVED})  # live text, archived included
LIVE_ONLY = frozenset({PUBLISHED})
NO = frozenset()

Row = dict[str, frozenset[str]]


def row(public: frozenset[str], internal: frozenset[str], experts: frozenset[str],
        partners: frozenset[str]) -> Row:  # fmt: skip
    return {
        Audience.PUBLIC: public,
        Audience.INTERNAL: internal,
        Audience.EXPERTS: experts,
        Audience.PARTNERS: partners,
    }


EDITOR_EXPERT = row(EVERY, EVERY, EVERY, EVERY)  # writes knowledge, reads level 2
EDITOR_LEVEL1 = row(EVERY, EVERY, NO, EVERY)  # writes knowledge, no expert articles
READER_EXPERT = row(STAFF_READ, STAFF_READ, STAFF_READ, STAFF_READ)  # reads, writes nothing
READER_LEVEL1 = row(STAFF_READ, STAFF_READ, NO, STAFF_READ)
OUTSIDER = row(LIVE_ONLY, NO, NO, NO)  # what the public sees
ASSIGNED_PARTNER = row(LIVE_ONLY, NO, NO, EVERY)  # and edits the partners' articles
NOBODY = row(NO, NO, NO, NO)

# One user per role in the owning institution (``role_users``), holding the role
# institution-wide.
ROLE_MATRIX: dict[str, Row] = {
    Role.SERVICE_PORTFOLIO_OWNER: EDITOR_EXPERT,
    Role.SERVICE_OWNER: EDITOR_EXPERT,
    Role.SERVICE_PROVIDER: EDITOR_LEVEL1,
    Role.RESOURCE_PORTFOLIO_OWNER: EDITOR_EXPERT,
    Role.RESOURCE_OWNER: EDITOR_EXPERT,
    Role.SUPPORT_SPECIALIST: EDITOR_LEVEL1,
    Role.SUPPORT_EXPERT: EDITOR_EXPERT,
    Role.INCIDENT_MANAGER: EDITOR_EXPERT,
    Role.PROBLEM_MANAGER: EDITOR_EXPERT,
    Role.CHANGE_MANAGER: EDITOR_EXPERT,
    Role.KNOWLEDGE_MANAGER: EDITOR_EXPERT,
    Role.ADMINISTRATOR: READER_LEVEL1,  # no knowledge capability: reads as level 1
    Role.AUDITOR: READER_EXPERT,  # reads everything published, writes nothing
    Role.PARTNER: OUTSIDER,  # a partner member assigned to no service
}

NOT_SHARED, SHARED_WITH_SPA, SHARED_WITH_ALL = "not shared", "shared with spa", "shared with all"

# (case id, how the articles are shared, reader key in the ``readers`` fixture, expectation)
CASES: list[tuple[str, str, str, Row]] = [
    *[(f"vra-{role}", NOT_SHARED, role, expected) for role, expected in ROLE_MATRIX.items()],
    ("other-institution-expert", NOT_SHARED, "spa_expert", OUTSIDER),
    ("other-institution-level1", NOT_SHARED, "spa_specialist", OUTSIDER),
    ("shared-with-expert", SHARED_WITH_SPA, "spa_expert", READER_EXPERT),
    ("shared-with-level1", SHARED_WITH_SPA, "spa_specialist", READER_LEVEL1),
    ("shared-with-someone-else", SHARED_WITH_SPA, "third_expert", OUTSIDER),
    ("shared-with-all-expert", SHARED_WITH_ALL, "spa_expert", READER_EXPERT),
    ("shared-with-all-level1", SHARED_WITH_ALL, "spa_specialist", READER_LEVEL1),
    ("shared-with-all-third-institution", SHARED_WITH_ALL, "third_expert", READER_EXPERT),
    ("partner-assigned-to-linked-service", NOT_SHARED, "assigned_partner", ASSIGNED_PARTNER),
    ("partner-assigned-shared-with-all", SHARED_WITH_ALL, "assigned_partner", ASSIGNED_PARTNER),
    ("partner-of-another-service", NOT_SHARED, "other_partner", OUTSIDER),
    ("anonymous", NOT_SHARED, ANONYMOUS, OUTSIDER),
    ("anonymous-shared-with-all", SHARED_WITH_ALL, ANONYMOUS, OUTSIDER),
    ("inactive-expert", NOT_SHARED, "inactive", NOBODY),
    ("superuser", NOT_SHARED, "superuser", EDITOR_EXPERT),
]


def test_role_matrix_declares_every_role() -> None:
    assert set(ROLE_MATRIX) == set(Role.values)


@pytest.fixture
def readers(
    role_users: dict[str, Any],
    superuser: User,
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    institution: Institution,
    other_institution: Institution,
    partner: User,
    other_service: Service,
    assign: Callable[..., User],
) -> dict[str, Any]:
    third = make_institution("vid", "Valsts ieņēmumu dienests")
    inactive = make_user("neaktivs", institution, Role.SUPPORT_EXPERT)
    account_ops.set_user_active(actor=superuser, user=inactive, active=False)
    other_partner = assign(
        make_user("cits-partneris", institution, kind="partner"), Role.PARTNER, other_service
    )
    return {
        **role_users,
        "spa_expert": make_user("spa-eksperts", other_institution, Role.SUPPORT_EXPERT),
        "spa_specialist": make_user("spa-specialists", other_institution, Role.SUPPORT_SPECIALIST),
        "third_expert": make_user("vid-eksperts", third, Role.SUPPORT_EXPERT),
        "assigned_partner": partner,
        "other_partner": other_partner,
        "inactive": refresh(inactive),
        "superuser": superuser,
    }


@pytest.fixture
def build_articles(
    superuser: User,
    write: Callable[..., ArticleRevision],
    service: Service,
    other_institution: Institution,
) -> Callable[[str], dict[tuple[str, str], Article]]:
    """Twelve articles of ``institution`` (every audience × state), all linked to ``service``,
    written by the superuser (so that no reader is their author or owner)."""

    def build(sharing: str) -> dict[tuple[str, str], Article]:
        articles = {}
        for audience in AUDIENCES:
            for state in STATES:
                revision = write(
                    superuser,
                    f"{audience} {state}",
                    audience=audience,
                    services=[service],
                    shared_with=[other_institution] if sharing == SHARED_WITH_SPA else [],
                    shared_with_all=sharing == SHARED_WITH_ALL,
                )
                if state in (PUBLISHED, ARCHIVED):
                    ops.publish_revision(actor=superuser, revision=revision)
                if state == ARCHIVED:
                    ops.archive_article(actor=superuser, article=revision.article)
                articles[(audience, state)] = Article.objects.get(pk=revision.article_id)
        return articles

    return build


def expected_cells(expected: Row) -> set[tuple[str, str]]:
    return {(audience, state) for audience, states in expected.items() for state in states}


def describe(cells: set[tuple[str, str]]) -> list[str]:
    return sorted(f"{audience}/{state}" for audience, state in cells)


@pytest.mark.parametrize(
    ("sharing", "reader", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_article_visible_to(
    readers: dict[str, Any],
    build_articles: Callable[[str], dict[tuple[str, str], Article]],
    sharing: str,
    reader: str,
    expected: Row,
) -> None:
    articles = build_articles(sharing)
    by_pk = {a.pk: cell for cell, a in articles.items()}
    visible = {by_pk[pk] for pk in Article.objects.visible_to(readers[reader]).values_list(
        "pk", flat=True)}  # fmt: skip
    want = expected_cells(expected)
    assert describe(visible) == describe(want), (
        f"unexpectedly visible: {describe(visible - want)}; "
        f"unexpectedly hidden: {describe(want - visible)}"
    )


@pytest.mark.parametrize(
    ("sharing", "reader", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_can_view_article(
    readers: dict[str, Any],
    build_articles: Callable[[str], dict[tuple[str, str], Article]],
    sharing: str,
    reader: str,
    expected: Row,
) -> None:
    articles = build_articles(sharing)
    allowed = {cell for cell, article in articles.items() if can(readers[reader], "view", article)}
    want = expected_cells(expected)
    assert describe(allowed) == describe(want), (
        f"unexpectedly allowed: {describe(allowed - want)}; "
        f"unexpectedly refused: {describe(want - allowed)}"
    )


# --- Focused cases ---------------------------------------------------------------------------


def test_anonymous_may_view_a_published_public_article(
    superuser: User, write: Callable[..., ArticleRevision]
) -> None:
    """``can(AnonymousUser(), "view", article)`` must agree with ``visible_to``: a page that
    checks ``can`` would otherwise refuse the public its own FAQ."""
    revision = write(superuser, audience=Audience.PUBLIC)
    ops.publish_revision(actor=superuser, revision=revision)
    anonymous = AnonymousUser()
    assert Article.objects.visible_to(anonymous).filter(pk=revision.article_id).exists()
    assert can(anonymous, "view", revision.article) is True


def test_public_draft_is_not_visible_to_anonymous(
    superuser: User, write: Callable[..., ArticleRevision]
) -> None:
    revision = write(superuser, audience=Audience.PUBLIC)
    assert not Article.objects.visible_to(AnonymousUser()).exists()
    ops.publish_revision(actor=superuser, revision=revision)
    assert Article.objects.visible_to(AnonymousUser()).count() == 1


def test_archived_public_article_leaves_the_public_but_not_staff(
    superuser: User, write: Callable[..., ArticleRevision], role_users: dict[str, Any]
) -> None:
    revision = write(superuser, audience=Audience.PUBLIC)
    ops.publish_revision(actor=superuser, revision=revision)
    ops.archive_article(actor=superuser, article=revision.article)
    assert not Article.objects.visible_to(AnonymousUser()).exists()
    for role in (Role.SUPPORT_SPECIALIST, Role.ADMINISTRATOR, Role.AUDITOR):
        assert Article.objects.visible_to(role_users[role]).count() == 1, role


def test_experts_article_is_hidden_from_level1_and_providers(
    superuser: User, write: Callable[..., ArticleRevision], role_users: dict[str, Any]
) -> None:
    revision = write(superuser, audience=Audience.EXPERTS)
    ops.publish_revision(actor=superuser, revision=revision)
    for role in (Role.SUPPORT_SPECIALIST, Role.SERVICE_PROVIDER):
        user = role_users[role]
        assert not Article.objects.visible_to(user).exists(), role
        assert can(user, "view", revision.article) is False, role
        assert can(user, "edit", revision.article) is False, role
    for role in (Role.SUPPORT_EXPERT, Role.SERVICE_OWNER, Role.KNOWLEDGE_MANAGER):
        assert can(role_users[role], "view", revision.article) is True, role


def test_author_always_sees_their_own_article(
    write: Callable[..., ArticleRevision], role_users: dict[str, Any]
) -> None:
    """A level-1 specialist who writes an experts article keeps reading and editing it."""
    specialist = role_users[Role.SUPPORT_SPECIALIST]
    revision = write(specialist, audience=Audience.EXPERTS)
    assert list(Article.objects.visible_to(specialist)) == [revision.article]
    assert can(specialist, "edit", revision.article) is True
    assert list(ArticleRevision.objects.visible_to(specialist)) == [revision]


def test_audience_change_takes_effect_immediately(
    superuser: User,
    write: Callable[..., ArticleRevision],
    role_users: dict[str, Any],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    """No caching: the same user objects see the change at once."""
    revision = write(superuser, audience=Audience.PUBLIC)
    ops.publish_revision(actor=superuser, revision=revision)
    anonymous = AnonymousUser()
    outsider = make_user("spa-eksperts", other_institution, Role.SUPPORT_EXPERT)
    assert Article.objects.visible_to(anonymous).count() == 1
    assert Article.objects.visible_to(outsider).count() == 1
    assert ArticleRevision.objects.visible_to(anonymous).count() == 1

    article = Article.objects.get(pk=revision.article_id)
    ops.update_article_settings(
        actor=role_users[Role.KNOWLEDGE_MANAGER],
        article=article,
        settings=settings_of(article, audience=Audience.INTERNAL),
    )
    assert not Article.objects.visible_to(anonymous).exists()
    assert not Article.objects.visible_to(outsider).exists()
    assert not ArticleRevision.objects.visible_to(anonymous).exists()
    assert can(outsider, "view", article) is False


def test_unsharing_takes_effect_immediately(
    superuser: User,
    write: Callable[..., ArticleRevision],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    revision = write(superuser, shared_with=[other_institution])
    ops.publish_revision(actor=superuser, revision=revision)
    reader = make_user("spa-specialists", other_institution, Role.SUPPORT_SPECIALIST)
    assert Article.objects.visible_to(reader).count() == 1
    article = Article.objects.get(pk=revision.article_id)
    ops.update_article_settings(
        actor=superuser, article=article, settings=settings_of(article, shared_with=[])
    )
    assert not Article.objects.visible_to(reader).exists()


def test_owner_of_the_linked_service_reads_and_edits_what_they_approve(
    superuser: User,
    write: Callable[..., ArticleRevision],
    make_user: Callable[..., User],
    institution: Institution,
    service: Service,
    assign: Callable[..., User],
) -> None:
    """The accountable owner of a service (role scoped to that service, as the catalog
    assigns owners) approves its knowledge (``can_publish``), and the experts audience is
    "level 2 and owners": they must be able to read, and improve, what they approve."""
    owner = assign(
        make_user("pakalpojuma-saimnieks", institution),
        Role.SERVICE_OWNER,
        service,
        Responsibility.ACCOUNTABLE,
    )
    revision = write(superuser, audience=Audience.EXPERTS, services=[service])
    article = revision.article
    assert can(owner, "publish", article) is True
    ops.publish_revision(actor=owner, revision=revision)
    assert can(owner, "view", article) is True
    assert can(owner, "edit", article) is True


# --- Revisions -------------------------------------------------------------------------------


@pytest.fixture
def internal_history(
    role_users: dict[str, Any], write: Callable[..., ArticleRevision], service: Service
) -> dict[str, ArticleRevision]:
    """An internal article: r1 published, r2 a draft of one writer, r3 submitted by another."""
    specialist = role_users[Role.SUPPORT_SPECIALIST]
    expert = role_users[Role.SUPPORT_EXPERT]
    r1 = write(specialist, services=[service])
    ops.publish_revision(actor=role_users[Role.KNOWLEDGE_MANAGER], revision=r1)
    article = r1.article
    r2 = ops.start_revision(actor=expert, article=article)
    r2 = ops.save_draft(
        actor=expert, revision=r2, text=ops.ArticleText(title="r2", body="melnraksts"),
        expected_version=r2.version,
    )  # fmt: skip
    r3 = ops.start_revision(actor=specialist, article=article)
    r3 = ops.submit_for_review(actor=specialist, revision=r3)
    return {"r1": r1, "r2": r2, "r3": r3}


def visible_revisions(user: Any, revisions: dict[str, ArticleRevision]) -> set[str]:
    names = {r.pk: name for name, r in revisions.items()}
    found = ArticleRevision.objects.visible_to(user).filter(pk__in=names)
    return {names[r.pk] for r in found}


def viewable_revisions(user: Any, revisions: dict[str, ArticleRevision]) -> set[str]:
    return {name for name, r in revisions.items() if can(user, "view", r)}


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        (Role.SUPPORT_SPECIALIST, {"r1", "r2", "r3"}),  # author and owner
        (Role.SUPPORT_EXPERT, {"r1", "r2", "r3"}),  # writer of the institution
        (Role.SERVICE_PROVIDER, {"r1", "r2", "r3"}),
        (Role.KNOWLEDGE_MANAGER, {"r1", "r2", "r3"}),
        (Role.ADMINISTRATOR, {"r1"}),  # staff reader: published text only
        (Role.AUDITOR, {"r1"}),
        (Role.PARTNER, set()),
        (ANONYMOUS, set()),
    ],
)
def test_internal_revisions_visible_to(
    role_users: dict[str, Any],
    internal_history: dict[str, ArticleRevision],
    reader: str,
    expected: set[str],
) -> None:
    assert visible_revisions(role_users[reader], internal_history) == expected
    assert viewable_revisions(role_users[reader], internal_history) == expected


def test_assigned_partner_does_not_see_internal_revisions(
    partner: User, internal_history: dict[str, ArticleRevision]
) -> None:
    assert visible_revisions(partner, internal_history) == set()


@pytest.fixture
def public_history(
    role_users: dict[str, Any], write: Callable[..., ArticleRevision], service: Service
) -> dict[str, ArticleRevision]:
    """A public article: r1 published then replaced by r2, r3 a draft in progress."""
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    expert = role_users[Role.SUPPORT_EXPERT]
    r1 = write(expert, audience=Audience.PUBLIC, services=[service])
    ops.publish_revision(actor=manager, revision=r1)
    r2 = ops.start_revision(actor=expert, article=r1.article)
    ops.publish_revision(actor=manager, revision=r2)
    r3 = ops.start_revision(actor=expert, article=r1.article)
    return {"r1": r1, "r2": r2, "r3": r3}


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        (ANONYMOUS, {"r2"}),  # the live revision only
        (Role.ADMINISTRATOR, {"r1", "r2"}),  # every published revision
        (Role.AUDITOR, {"r1", "r2"}),
        (Role.PARTNER, {"r1", "r2"}),  # a partner assigned to nothing reads as the public
        (Role.SUPPORT_SPECIALIST, {"r1", "r2", "r3"}),
        (Role.SUPPORT_EXPERT, {"r1", "r2", "r3"}),
        ("spa_expert", {"r1", "r2"}),
        ("assigned_partner", {"r1", "r2", "r3"}),  # assigned to the linked service: an editor
        ("other_partner", {"r1", "r2"}),
        ("inactive", set()),
    ],
)
def test_public_revisions_visible_to(
    readers: dict[str, Any],
    public_history: dict[str, ArticleRevision],
    reader: str,
    expected: set[str],
) -> None:
    assert visible_revisions(readers[reader], public_history) == expected
    assert viewable_revisions(readers[reader], public_history) == expected


def test_partner_sees_the_drafts_of_partners_articles_of_their_service(
    partner: User,
    role_users: dict[str, Any],
    write: Callable[..., ArticleRevision],
    service: Service,
    other_service: Service,
) -> None:
    expert = role_users[Role.SUPPORT_EXPERT]
    linked = write(expert, "Saistīts", audience=Audience.PARTNERS, services=[service])
    unlinked = write(expert, "Cits", audience=Audience.PARTNERS, services=[other_service])
    revisions = {"linked": linked, "unlinked": unlinked}
    assert visible_revisions(partner, revisions) == {"linked"}
    assert can(partner, "edit", linked.article) is True
    assert can(partner, "edit", unlinked.article) is False


def test_archiving_does_not_publish_open_drafts(
    internal_history: dict[str, ArticleRevision],
    role_users: dict[str, Any],
) -> None:
    """Archiving marks the open drafts ``archived``; their text was never validated and must
    stay with the editors. Staff readers (here: the administrator and the auditor, who may
    not edit) keep reading the last published revision only."""
    article = internal_history["r1"].article
    ops.archive_article(actor=role_users[Role.KNOWLEDGE_MANAGER], article=article)
    assert ArticleRevision.objects.get(pk=internal_history["r2"].pk).state == State.ARCHIVED
    for role in (Role.ADMINISTRATOR, Role.AUDITOR):
        assert visible_revisions(role_users[role], internal_history) == {"r1"}, role
    assert visible_revisions(role_users[Role.SUPPORT_EXPERT], internal_history) == {
        "r1", "r2", "r3"
    }  # fmt: skip


def test_every_visible_article_has_a_visible_revision(
    readers: dict[str, Any],
    build_articles: Callable[[str], dict[tuple[str, str], Article]],
) -> None:
    """Whoever is shown an article can read some text of it: a list must not offer
    articles that open onto nothing."""
    build_articles(SHARED_WITH_ALL)
    empty: list[str] = []
    for key, user in readers.items():
        readable = set(
            ArticleRevision.objects.visible_to(user).values_list("article_id", flat=True)
        )
        for article in Article.objects.visible_to(user):
            if article.pk not in readable:
                empty.append(f"{key}: {article.revisions.get().title}")
    assert empty == []
