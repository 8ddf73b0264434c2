"""The KCS lifecycle through the operations layer: create, draft (with optimistic locking),
submit, publish (licences, the atomic live swap, review dates), revert, archive, settings and
links, licences — each writing one audit event with actor and institution, and nothing at all
when refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service
from zina.conftest import ANONYMOUS, refresh
from zina.core.models import AuditEvent
from zina.core.permissions import can
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience, Licence, State
from zina.knowledge.models import Article, ArticleRevision, KnowledgeLicence
from zina.knowledge.operations import DEFAULT_REVIEW_DAYS, ArticleText, EditConflict
from zina.knowledge.permissions import can_publish
from zina.knowledge.tests.conftest import knowledge_counts, revision_state, settings_of

Write = Callable[..., ArticleRevision]
Make = Callable[..., User]

# Roles that write knowledge institution-wide (roles.py: WRITE_KNOWLEDGE), and those that don't.
WRITER_ROLES = [
    Role.SERVICE_PORTFOLIO_OWNER,
    Role.SERVICE_OWNER,
    Role.SERVICE_PROVIDER,
    Role.RESOURCE_PORTFOLIO_OWNER,
    Role.RESOURCE_OWNER,
    Role.SUPPORT_SPECIALIST,
    Role.SUPPORT_EXPERT,
    Role.INCIDENT_MANAGER,
    Role.PROBLEM_MANAGER,
    Role.CHANGE_MANAGER,
    Role.KNOWLEDGE_MANAGER,
]
NON_WRITERS = [Role.ADMINISTRATOR, Role.AUDITOR, Role.PARTNER, ANONYMOUS]


def test_writer_roles_cover_every_role() -> None:
    assert set(WRITER_ROLES) | set(NON_WRITERS) == {*Role.values, ANONYMOUS}


def audit(verb: str, obj: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_object(obj).filter(verb=verb))


def assert_audited(verb: str, obj: Any, actor: User, institution: Institution) -> AuditEvent:
    events = audit(verb, obj)
    assert len(events) == 1, f"{verb}: {len(events)} events"
    event = events[0]
    assert event.actor_id == actor.pk
    assert event.actor_label == actor.username
    assert event.institution_id == institution.pk
    return event


def text(title: str = "Parole aizmirsta", body: str = "", **more: str) -> ArticleText:
    return ArticleText(title=title, body=body, **more)


# --- Creating -------------------------------------------------------------------------------


def test_create_article_starts_a_first_draft(
    role_users: dict[str, Any],
    institution: Institution,
    other_institution: Institution,
    service: Service,
    resource: Resource,
) -> None:
    author = role_users[Role.SUPPORT_SPECIALIST]
    revision = ops.create_article(
        actor=author,
        institution=institution,
        settings=ops.ArticleSettings(
            type=ArticleType.KNOWN_ERROR,
            audience=Audience.INTERNAL,
            shared_with=[other_institution],
            services=[service],
            resources=[resource],
        ),
        text=ArticleText(
            title="  E-paraksts neizdodas  ",
            symptoms="Kļūda 0x80",
            cause="Novecojis sertifikāts",
            resolution="Atjaunojiet sertifikātu",
            body="## Soļi\n\n1. Atveriet",
            keywords="eparaksts, sertifikāts",
        ),
    )
    assert (revision.number, revision.language, revision.state) == (1, "lv", State.DRAFT)
    assert revision.is_live is False
    assert revision.version == 1
    assert revision.author == author
    assert revision.title == "E-paraksts neizdodas"  # trimmed
    assert revision.cause == "Novecojis sertifikāts"
    article = Article.objects.get(pk=revision.article_id)
    assert article.institution == institution
    assert article.owner == author
    assert article.type == ArticleType.KNOWN_ERROR
    assert list(article.services.all()) == [service]
    assert list(article.resources.all()) == [resource]
    assert list(article.shared_with.all()) == [other_institution]
    assert article.review_by is None
    assert article.archived_at is None
    assert article.live_revision() is None
    event = assert_audited("article.created", article, author, institution)
    assert event.after["revision"]["number"] == 1
    assert event.after["audience"] == Audience.INTERNAL


@pytest.mark.parametrize("role", WRITER_ROLES)
def test_writers_of_the_institution_may_create(
    role_users: dict[str, Any], institution: Institution, write: Write, role: str
) -> None:
    user = role_users[role]
    assert can(user, "write_knowledge", institution) is True
    revision = write(user)
    assert revision.article.owner == user


@pytest.mark.parametrize("role", NON_WRITERS)
def test_others_may_not_create(
    role_users: dict[str, Any], institution: Institution, write: Write, role: str
) -> None:
    user = role_users[role]
    assert can(user, "write_knowledge", institution) is False
    before = knowledge_counts()
    with pytest.raises(PermissionDenied):
        write(user)
    assert knowledge_counts() == before


def test_staff_of_another_institution_may_not_create(
    make_user: Make, other_institution: Institution, institution: Institution, write: Write
) -> None:
    manager = make_user("spa-zinasanas", other_institution, Role.KNOWLEDGE_MANAGER)
    write(manager, where=other_institution)  # at home: yes
    before = knowledge_counts()
    with pytest.raises(PermissionDenied):
        write(manager)
    assert knowledge_counts() == before


def test_assigned_partner_may_create_for_their_service(
    partner: User, institution: Institution, service: Service, write: Write
) -> None:
    assert can(partner, "write_knowledge", institution) is True
    revision = write(partner, audience=Audience.PARTNERS, services=[service])
    article = revision.article
    assert article.owner == partner
    assert can(partner, "view", article) is True
    assert can(partner, "edit", article) is True


@pytest.mark.parametrize("linked", ["nothing", "another service"])
def test_partner_may_not_create_for_services_they_are_not_assigned_to(
    partner: User, other_service: Service, write: Write, linked: str
) -> None:
    """A partner writes knowledge about the services they work on, not about the rest of the
    institution: the article must be linked to (only) their services."""
    before = knowledge_counts()
    with pytest.raises((PermissionDenied, ValidationError)):
        write(partner, services=[other_service] if linked == "another service" else [])
    assert knowledge_counts() == before


@pytest.mark.parametrize("role", [Role.SERVICE_OWNER, Role.SERVICE_PROVIDER])
def test_service_owner_and_provider_of_one_service_write_about_it(
    make_user: Make,
    institution: Institution,
    service: Service,
    assign: Callable[..., User],
    write: Write,
    role: str,
) -> None:
    """Task card PU2-11: the service owner and the service providers (roles on one service)
    accumulate and update knowledge about that service."""
    user = assign(make_user("viens-pakalpojums", institution), role, service)
    revision = write(user, services=[service])
    assert can(user, "edit", revision.article) is True


def test_create_with_a_blank_title_writes_nothing(
    role_users: dict[str, Any], write: Write, service: Service
) -> None:
    before = knowledge_counts()
    with pytest.raises(ValidationError) as caught:
        write(role_users[Role.SUPPORT_EXPERT], "   ", services=[service])
    assert "title" in caught.value.message_dict
    assert knowledge_counts() == before


def test_create_linking_another_institutions_service_is_refused(
    role_users: dict[str, Any], write: Write, foreign_service: Service
) -> None:
    before = knowledge_counts()
    with pytest.raises(ValidationError) as caught:
        write(role_users[Role.SUPPORT_EXPERT], services=[foreign_service])
    assert caught.value.message_dict["services"] == [
        "Link services and resources of the article's own institution."
    ]
    assert knowledge_counts() == before


# --- Drafts and optimistic locking ----------------------------------------------------------


def test_save_draft_bumps_the_version_and_audits(
    role_users: dict[str, Any], institution: Institution, write: Write
) -> None:
    author = role_users[Role.SUPPORT_EXPERT]
    revision = write(author)
    saved = ops.save_draft(
        actor=author,
        revision=revision,
        text=text("Jauns virsraksts", body="Jauns teksts"),
        expected_version=1,
    )
    assert saved.version == 2
    fresh = ArticleRevision.objects.get(pk=revision.pk)
    assert (fresh.title, fresh.body, fresh.version, fresh.state) == (
        "Jauns virsraksts", "Jauns teksts", 2, State.DRAFT
    )  # fmt: skip
    event = assert_audited("article.draft_saved", revision.article, author, institution)
    assert (event.before["version"], event.after["version"]) == (1, 2)


def test_second_editor_gets_a_conflict_and_nothing_is_lost(
    role_users: dict[str, Any], write: Write
) -> None:
    first = role_users[Role.SUPPORT_EXPERT]
    second = role_users[Role.SUPPORT_SPECIALIST]
    revision = write(first, body="Sākotnējais teksts")
    opened = revision.version  # both open version N

    ops.save_draft(
        actor=first,
        revision=revision,
        text=text(body="Restartējiet autentifikācijas servisu"),
        expected_version=opened,
    )
    audit_before = AuditEvent.objects.count()
    with pytest.raises(EditConflict) as caught:
        ops.save_draft(
            actor=second,
            revision=revision,
            text=text(body="Notīriet pārlūka kešatmiņu"),
            expected_version=opened,
        )
    conflict = caught.value
    assert conflict.code == "conflict"
    assert conflict.messages == [
        "Someone else saved this draft while you were editing it. Compare the changes, "
        "then save again."
    ]
    assert conflict.diff
    assert "+Restartējiet autentifikācijas servisu" in conflict.diff
    assert "-Notīriet pārlūka kešatmiņu" in conflict.diff
    assert conflict.theirs.version == opened + 1
    assert conflict.theirs.body == "Restartējiet autentifikācijas servisu"
    # The first save is kept; the refused one wrote nothing.
    stored = ArticleRevision.objects.get(pk=revision.pk)
    assert stored.body == "Restartējiet autentifikācijas servisu"
    assert stored.version == opened + 1
    assert AuditEvent.objects.count() == audit_before
    # The second editor merges and saves against the version they were shown.
    merged = "Restartējiet autentifikācijas servisu\nNotīriet pārlūka kešatmiņu"
    ops.save_draft(
        actor=second,
        revision=revision,
        text=text(body=merged),
        expected_version=conflict.theirs.version,
    )
    assert ArticleRevision.objects.get(pk=revision.pk).body == merged


def test_published_revision_cannot_be_edited_in_place(
    role_users: dict[str, Any], write: Write
) -> None:
    revision = write(role_users[Role.SUPPORT_EXPERT])
    ops.publish_revision(actor=role_users[Role.KNOWLEDGE_MANAGER], revision=revision)
    before = revision_state(revision)
    with pytest.raises(ValidationError) as caught:
        ops.save_draft(
            actor=role_users[Role.SUPPORT_EXPERT],
            revision=revision,
            text=text(body="Labots"),
            expected_version=ArticleRevision.objects.get(pk=revision.pk).version,
        )
    assert caught.value.messages == ["Only drafts can be edited; start a new revision."]
    assert revision_state(revision) == before


def test_non_editor_cannot_save_a_draft(role_users: dict[str, Any], write: Write) -> None:
    revision = write(role_users[Role.SUPPORT_EXPERT])
    before = revision_state(revision)
    for role in (Role.ADMINISTRATOR, Role.AUDITOR, ANONYMOUS):
        with pytest.raises(PermissionDenied):
            ops.save_draft(
                actor=role_users[role], revision=revision, text=text(), expected_version=1
            )
    assert revision_state(revision) == before


# --- Submit and publish ---------------------------------------------------------------------


def test_submit_waits_for_validation(
    role_users: dict[str, Any], institution: Institution, write: Write
) -> None:
    author = role_users[Role.SUPPORT_SPECIALIST]
    revision = write(author)
    ops.submit_for_review(actor=author, revision=revision)
    assert ArticleRevision.objects.get(pk=revision.pk).state == State.NOT_VALIDATED
    assert_audited("article.submitted", revision.article, author, institution)
    with pytest.raises(ValidationError) as caught:
        ops.submit_for_review(actor=author, revision=ArticleRevision.objects.get(pk=revision.pk))
    assert caught.value.messages == ["Only a draft can be submitted."]
    # Editing a submitted revision takes it back to a draft.
    ops.save_draft(actor=author, revision=revision, text=text(body="Vēl"), expected_version=1)
    assert ArticleRevision.objects.get(pk=revision.pk).state == State.DRAFT


@pytest.mark.parametrize("type_", list(ArticleType))
def test_knowledge_manager_publishes_and_sets_the_review_date(
    role_users: dict[str, Any], institution: Institution, write: Write, type_: ArticleType
) -> None:
    author = role_users[Role.SUPPORT_SPECIALIST]
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    revision = write(author, type=type_)
    ops.submit_for_review(actor=author, revision=revision)
    ops.publish_revision(actor=manager, revision=revision)
    published = ArticleRevision.objects.get(pk=revision.pk)
    assert published.state == State.VALIDATED
    assert published.is_live is True
    assert published.reviewed_by == manager
    assert published.reviewed_at is not None
    article = Article.objects.get(pk=revision.article_id)
    assert article.review_by == timezone.localdate() + timedelta(days=DEFAULT_REVIEW_DAYS[type_])
    assert article.live_revision() == published
    event = assert_audited("article.published", article, manager, institution)
    assert event.before is None
    assert event.after["is_live"] is True


def test_service_provider_without_licence_cannot_publish(
    role_users: dict[str, Any], write: Write
) -> None:
    provider = role_users[Role.SERVICE_PROVIDER]
    revision = write(provider)
    assert can_publish(provider, revision.article) is False
    before, state = knowledge_counts(), revision_state(revision)
    with pytest.raises(PermissionDenied):
        ops.publish_revision(actor=provider, revision=revision)
    assert knowledge_counts() == before
    assert revision_state(revision) == state


@pytest.mark.parametrize(
    ("level", "audience", "allowed"),
    [
        (None, Audience.INTERNAL, False),
        (Licence.CANDIDATE, Audience.INTERNAL, False),
        (Licence.CANDIDATE, Audience.PUBLIC, False),
        (Licence.CONTRIBUTOR, Audience.INTERNAL, True),
        (Licence.CONTRIBUTOR, Audience.EXPERTS, True),
        (Licence.CONTRIBUTOR, Audience.PARTNERS, True),
        (Licence.CONTRIBUTOR, Audience.PUBLIC, False),
        (Licence.PUBLISHER, Audience.INTERNAL, True),
        (Licence.PUBLISHER, Audience.PUBLIC, True),
    ],
)
def test_licence_decides_what_a_knowledge_worker_may_publish(
    role_users: dict[str, Any],
    institution: Institution,
    write: Write,
    grant: Callable[..., User],
    level: str | None,
    audience: str,
    allowed: bool,
) -> None:
    """A support expert (reads level 2, no approval role) with a KCS licence publishes a
    colleague's revision."""
    worker = role_users[Role.SUPPORT_EXPERT]
    if level:
        worker = grant(worker, institution, level)
    revision = write(role_users[Role.INCIDENT_MANAGER], audience=audience)
    assert can_publish(worker, revision.article) is allowed
    assert can(worker, "publish", revision.article) is allowed
    if allowed:
        ops.publish_revision(actor=worker, revision=revision)
        assert ArticleRevision.objects.get(pk=revision.pk).is_live is True
    else:
        before = knowledge_counts()
        with pytest.raises(PermissionDenied):
            ops.publish_revision(actor=worker, revision=revision)
        assert knowledge_counts() == before
        assert ArticleRevision.objects.get(pk=revision.pk).state == State.DRAFT


def test_licence_of_another_institution_does_not_count(
    role_users: dict[str, Any],
    other_institution: Institution,
    write: Write,
    grant: Callable[..., User],
) -> None:
    worker = role_users[Role.SUPPORT_EXPERT]
    with pytest.raises(ValidationError):  # licences are for the institution's own staff
        grant(worker, other_institution, Licence.PUBLISHER)
    # A licence left over from before the person's membership ended does not count either.
    KnowledgeLicence.objects.create(
        user=worker, institution=other_institution, level=Licence.PUBLISHER
    )
    revision = write(role_users[Role.INCIDENT_MANAGER])
    assert can_publish(worker, revision.article) is False


@pytest.mark.parametrize("role", [Role.KNOWLEDGE_MANAGER, Role.SERVICE_OWNER])
def test_candidate_approver_publishes_others_work_but_not_their_own(
    role_users: dict[str, Any],
    institution: Institution,
    service: Service,
    write: Write,
    grant: Callable[..., User],
    role: str,
) -> None:
    """A candidate's work always goes to someone else — even when the candidate is also a
    knowledge manager or the owner of the linked service, who may otherwise publish."""
    approver = grant(role_users[role], institution, Licence.CANDIDATE)
    own = write(approver, "Savs", services=[service])
    colleagues = write(role_users[Role.SUPPORT_EXPERT], "Kolēģa", services=[service])
    assert can_publish(approver, own.article) is True
    before = knowledge_counts()
    with pytest.raises(PermissionDenied):
        ops.publish_revision(actor=approver, revision=own)
    assert knowledge_counts() == before
    ops.publish_revision(actor=approver, revision=colleagues)
    assert ArticleRevision.objects.get(pk=colleagues.pk).is_live is True


def test_plain_candidate_cannot_publish_at_all(
    role_users: dict[str, Any], institution: Institution, write: Write, grant: Callable[..., User]
) -> None:
    candidate = grant(role_users[Role.SUPPORT_EXPERT], institution, Licence.CANDIDATE)
    own = write(candidate, "Savs")
    colleagues = write(role_users[Role.INCIDENT_MANAGER], "Kolēģa")
    for revision in (own, colleagues):
        assert can_publish(candidate, revision.article) is False
        with pytest.raises(PermissionDenied):
            ops.publish_revision(actor=candidate, revision=revision)


def test_owner_of_linked_service_approves_only_its_articles(
    make_user: Make,
    institution: Institution,
    service: Service,
    other_service: Service,
    assign: Callable[..., User],
    role_users: dict[str, Any],
    write: Write,
) -> None:
    owner = assign(
        make_user("saimnieks", institution), Role.SERVICE_OWNER, service, Responsibility.ACCOUNTABLE
    )
    author = role_users[Role.SUPPORT_EXPERT]
    mine = write(author, "Mans", services=[service])
    theirs = write(author, "Cits", services=[other_service])
    assert can_publish(owner, mine.article) is True
    assert can_publish(owner, theirs.article) is False
    ops.publish_revision(actor=owner, revision=mine)
    with pytest.raises(PermissionDenied):
        ops.publish_revision(actor=owner, revision=theirs)


def test_an_already_published_revision_is_not_published_again(
    role_users: dict[str, Any], write: Write
) -> None:
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    revision = write(manager)
    ops.publish_revision(actor=manager, revision=revision)
    before = knowledge_counts()
    with pytest.raises(ValidationError) as caught:
        ops.publish_revision(actor=manager, revision=revision)
    assert caught.value.messages == ["This revision is already published or archived."]
    assert knowledge_counts() == before


def live_revisions(article: Article, language: str = "lv") -> list[int]:
    return list(
        ArticleRevision.objects.filter(
            article=article, language=language, is_live=True
        ).values_list("number", flat=True)
    )


def test_publishing_a_new_revision_swaps_the_live_one(
    role_users: dict[str, Any], institution: Institution, write: Write
) -> None:
    author = role_users[Role.SUPPORT_EXPERT]
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    r1 = write(author, "Pirmā", body="Vecais teksts", audience=Audience.PUBLIC)
    ops.publish_revision(actor=manager, revision=r1)
    article = r1.article
    anonymous = AnonymousUser()

    r2 = ops.start_revision(actor=author, article=article)
    assert (r2.number, r2.state, r2.based_on_id) == (2, State.DRAFT, r1.pk)
    assert (r2.title, r2.body) == ("Pirmā", "Vecais teksts")  # copied from the live one
    ops.save_draft(
        actor=author, revision=r2, text=text("Otrā", body="Jaunais teksts"), expected_version=1
    )
    # While the new revision is drafted, the old one stays live and readable.
    assert live_revisions(article) == [1]
    assert list(ArticleRevision.objects.visible_to(anonymous)) == [
        ArticleRevision.objects.get(pk=r1.pk)
    ]
    assert Article.objects.visible_to(anonymous).count() == 1

    ops.publish_revision(actor=manager, revision=r2)
    assert live_revisions(article) == [2]
    old = ArticleRevision.objects.get(pk=r1.pk)
    assert (old.state, old.is_live) == (State.VALIDATED, False)
    assert Article.objects.get(pk=article.pk).live_revision().body == "Jaunais teksts"
    assert [r.pk for r in ArticleRevision.objects.visible_to(anonymous)] == [r2.pk]
    assert Article.objects.visible_to(anonymous).count() == 1
    event = audit("article.published", article)[0]  # newest first
    assert (event.before["number"], event.after["number"]) == (1, 2)
    assert event.before["is_live"] is False


def test_publishing_fails_midway_and_the_old_revision_stays_live(
    role_users: dict[str, Any], write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap is one transaction: an error after the old revision was unset rolls it back."""
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    r1 = write(manager, audience=Audience.PUBLIC)
    ops.publish_revision(actor=manager, revision=r1)
    r2 = ops.start_revision(actor=manager, article=r1.article)
    before, r1_state, r2_state = knowledge_counts(), revision_state(r1), revision_state(r2)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("review procedure unavailable")

    monkeypatch.setattr(ops, "review_days", boom)  # runs after the live flags were swapped
    with pytest.raises(RuntimeError):
        ops.publish_revision(actor=manager, revision=r2)
    assert live_revisions(r1.article) == [1]
    assert revision_state(r1) == r1_state
    assert revision_state(r2) == r2_state
    assert knowledge_counts() == before
    assert Article.objects.visible_to(AnonymousUser()).count() == 1


def test_the_database_refuses_two_live_revisions_of_one_language(
    role_users: dict[str, Any], write: Write
) -> None:
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    r1 = write(manager)
    ops.publish_revision(actor=manager, revision=r1)
    r2 = ops.start_revision(actor=manager, article=r1.article)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleRevision.objects.filter(pk=r2.pk).update(is_live=True)
    assert live_revisions(r1.article) == [1]


def test_each_language_has_its_own_live_revision(role_users: dict[str, Any], write: Write) -> None:
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    lv = write(manager, "Parole aizmirsta")
    article = lv.article
    ops.publish_revision(actor=manager, revision=lv)
    en = ops.start_revision(actor=manager, article=article, language="en")
    assert (en.number, en.language, en.based_on_id, en.title) == (1, "en", None, "")
    ops.save_draft(actor=manager, revision=en, text=text("Forgotten password"), expected_version=1)
    ops.publish_revision(actor=manager, revision=en)
    assert live_revisions(article, "lv") == [1]
    assert live_revisions(article, "en") == [1]
    article = Article.objects.get(pk=article.pk)
    assert article.live_revision("en").title == "Forgotten password"
    assert article.live_revision("lv").title == "Parole aizmirsta"
    lv2 = ops.start_revision(actor=manager, article=article, language="lv")
    ops.publish_revision(actor=manager, revision=lv2)
    assert live_revisions(article, "lv") == [2]
    assert live_revisions(article, "en") == [1]


# --- History: revert -------------------------------------------------------------------------


def test_revert_creates_a_new_draft_with_the_old_text(
    role_users: dict[str, Any], institution: Institution, write: Write
) -> None:
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    r1 = write(manager, "Pirmā", body="Vecais labais teksts")
    ops.publish_revision(actor=manager, revision=r1)
    r2 = ops.start_revision(actor=manager, article=r1.article)
    ops.save_draft(
        actor=manager, revision=r2, text=text("Otrā", body="Kļūdains"), expected_version=1
    )
    ops.publish_revision(actor=manager, revision=r2)

    r3 = ops.revert_to(actor=manager, revision=ArticleRevision.objects.get(pk=r1.pk))
    assert (r3.number, r3.state, r3.based_on_id) == (3, State.DRAFT, r1.pk)
    assert (r3.title, r3.body) == ("Pirmā", "Vecais labais teksts")
    # History is kept: r1 and r2 unchanged, r2 still live until r3 is published.
    assert ArticleRevision.objects.filter(article=r1.article).count() == 3
    assert ArticleRevision.objects.get(pk=r1.pk).body == "Vecais labais teksts"
    assert ArticleRevision.objects.get(pk=r2.pk).body == "Kļūdains"
    assert live_revisions(r1.article) == [2]
    event = audit("article.revision_started", r1.article)[0]  # newest first
    assert (event.actor_id, event.institution_id) == (manager.pk, institution.pk)
    assert event.after["number"] == 3
    ops.publish_revision(actor=manager, revision=r3)
    assert Article.objects.get(pk=r1.article_id).live_revision().body == "Vecais labais teksts"


def test_revert_while_having_an_open_draft_does_not_silently_ignore_the_revert(
    role_users: dict[str, Any], write: Write
) -> None:
    """``revert_to`` goes through ``start_revision``, which hands back the actor's open draft
    when there is one. A revert must then either produce the old text or be refused — never
    return the unrelated open draft as if it were the reverted one."""
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    r1 = write(manager, "Pirmā", body="Vecais labais teksts")
    ops.publish_revision(actor=manager, revision=r1)
    r2 = ops.start_revision(actor=manager, article=r1.article)
    ops.save_draft(
        actor=manager, revision=r2, text=text("Otrā", body="Kļūdains"), expected_version=1
    )
    ops.publish_revision(actor=manager, revision=r2)
    open_draft = ops.start_revision(actor=manager, article=r1.article)
    ops.save_draft(
        actor=manager, revision=open_draft, text=text("Darbā", body="Pusgatavs"), expected_version=1
    )
    try:
        reverted = ops.revert_to(actor=manager, revision=ArticleRevision.objects.get(pk=r1.pk))
    except ValidationError:
        assert ArticleRevision.objects.get(pk=open_draft.pk).body == "Pusgatavs"
        return
    assert reverted.body == "Vecais labais teksts"
    assert ArticleRevision.objects.get(pk=open_draft.pk).body == "Pusgatavs"  # not lost


def test_non_editors_cannot_start_or_revert(role_users: dict[str, Any], write: Write) -> None:
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    r1 = write(manager)
    ops.publish_revision(actor=manager, revision=r1)
    before = knowledge_counts()
    for role in (Role.ADMINISTRATOR, Role.AUDITOR, Role.PARTNER, ANONYMOUS):
        with pytest.raises(PermissionDenied):
            ops.start_revision(actor=role_users[role], article=r1.article)
        with pytest.raises(PermissionDenied):
            ops.revert_to(actor=role_users[role], revision=r1)
    assert knowledge_counts() == before


# --- Archive ---------------------------------------------------------------------------------


def test_archive_takes_the_article_off_the_public(
    role_users: dict[str, Any], institution: Institution, write: Write
) -> None:
    author = role_users[Role.SUPPORT_SPECIALIST]
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    r1 = write(author, audience=Audience.PUBLIC)
    ops.publish_revision(actor=manager, revision=r1)
    draft = ops.start_revision(actor=role_users[Role.SUPPORT_EXPERT], article=r1.article)
    ops.archive_article(actor=manager, article=r1.article)
    article = Article.objects.get(pk=r1.article_id)
    assert article.archived_at is not None
    assert ArticleRevision.objects.get(pk=draft.pk).state == State.ARCHIVED
    assert live_revisions(article) == [1]  # the text stays for staff
    assert not Article.objects.visible_to(AnonymousUser()).exists()
    assert Article.objects.visible_to(role_users[Role.SUPPORT_SPECIALIST]).count() == 1
    assert_audited("article.archived", article, manager, institution)
    # Publishing again brings it back.
    again = ops.start_revision(actor=manager, article=article)
    ops.publish_revision(actor=manager, revision=again)
    assert Article.objects.get(pk=article.pk).archived_at is None
    assert Article.objects.visible_to(AnonymousUser()).count() == 1


def test_owner_may_archive_but_other_level1_writers_may_not(
    role_users: dict[str, Any], write: Write
) -> None:
    owner = role_users[Role.SUPPORT_SPECIALIST]
    revision = write(owner)
    before = knowledge_counts()
    for role in (Role.SERVICE_PROVIDER, Role.ADMINISTRATOR, Role.AUDITOR, ANONYMOUS):
        with pytest.raises(PermissionDenied):
            ops.archive_article(actor=role_users[role], article=revision.article)
    assert knowledge_counts() == before
    ops.archive_article(actor=owner, article=revision.article)
    assert Article.objects.get(pk=revision.article_id).archived_at is not None


# --- Settings and links ---------------------------------------------------------------------


def test_update_settings_changes_links_and_audits(
    role_users: dict[str, Any],
    institution: Institution,
    other_institution: Institution,
    service: Service,
    resource: Resource,
    write: Write,
) -> None:
    editor = role_users[Role.SUPPORT_SPECIALIST]
    revision = write(role_users[Role.SUPPORT_EXPERT], services=[service])
    article = revision.article
    ops.update_article_settings(
        actor=editor,
        article=article,
        settings=settings_of(
            article,
            type=ArticleType.WORKAROUND,
            services=[],
            resources=[resource],
            shared_with_all=True,
            shared_with=[other_institution],
        ),
    )
    article = Article.objects.get(pk=article.pk)
    assert article.type == ArticleType.WORKAROUND
    assert article.shared_with_all is True
    assert list(article.services.all()) == []
    assert list(article.resources.all()) == [resource]
    assert list(article.shared_with.all()) == [other_institution]
    event = assert_audited("article.settings_changed", article, editor, institution)
    assert (event.before["type"], event.after["type"]) == (
        ArticleType.SOLUTION, ArticleType.WORKAROUND
    )  # fmt: skip


def test_widening_to_public_needs_the_right_to_publish(
    role_users: dict[str, Any], write: Write, grant: Callable[..., User], institution: Institution
) -> None:
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    revision = write(role_users[Role.SUPPORT_EXPERT])
    ops.publish_revision(actor=manager, revision=revision)
    article = Article.objects.get(pk=revision.article_id)
    before = knowledge_counts()
    with pytest.raises(PermissionDenied):
        ops.update_article_settings(
            actor=role_users[Role.SUPPORT_SPECIALIST],
            article=article,
            settings=settings_of(article, audience=Audience.PUBLIC),
        )
    assert knowledge_counts() == before
    assert Article.objects.get(pk=article.pk).audience == Audience.INTERNAL
    assert not Article.objects.visible_to(AnonymousUser()).exists()

    publisher = grant(role_users[Role.SUPPORT_SPECIALIST], institution, Licence.PUBLISHER)
    ops.update_article_settings(
        actor=publisher, article=article, settings=settings_of(article, audience=Audience.PUBLIC)
    )
    assert Article.objects.visible_to(AnonymousUser()).count() == 1
    # Narrowing needs no publish right.
    ops.update_article_settings(
        actor=role_users[Role.SERVICE_PROVIDER],
        article=Article.objects.get(pk=article.pk),
        settings=settings_of(article, audience=Audience.INTERNAL),
    )
    assert not Article.objects.visible_to(AnonymousUser()).exists()


def test_contributor_cannot_widen_an_internal_article_to_the_public(
    role_users: dict[str, Any], write: Write, grant: Callable[..., User], institution: Institution
) -> None:
    """A contributor may publish internal articles but not public ones. Widening the audience
    of a published internal article makes its live text public, so it needs the right to
    publish to the *new* audience — checked against the article as it is now (internal), the
    contributor passes and puts text on the public site that no publisher approved."""
    contributor = grant(role_users[Role.SUPPORT_EXPERT], institution, Licence.CONTRIBUTOR)
    revision = write(role_users[Role.INCIDENT_MANAGER])
    ops.publish_revision(actor=contributor, revision=revision)  # internal: allowed
    article = Article.objects.get(pk=revision.article_id)
    before = knowledge_counts()
    with pytest.raises(PermissionDenied):
        ops.update_article_settings(
            actor=contributor, article=article, settings=settings_of(article, audience="public")
        )
    assert knowledge_counts() == before
    assert not Article.objects.visible_to(AnonymousUser()).exists()


def test_linking_a_service_of_another_institution_is_refused(
    role_users: dict[str, Any], write: Write, service: Service, foreign_service: Service
) -> None:
    revision = write(role_users[Role.SUPPORT_EXPERT], services=[service])
    article = revision.article
    before = knowledge_counts()
    with pytest.raises(ValidationError) as caught:
        ops.update_article_settings(
            actor=role_users[Role.SUPPORT_EXPERT],
            article=article,
            settings=settings_of(article, services=[service, foreign_service]),
        )
    assert "services" in caught.value.message_dict
    assert knowledge_counts() == before
    assert list(Article.objects.get(pk=article.pk).services.all()) == [service]


def test_unknown_type_or_audience_is_refused(role_users: dict[str, Any], write: Write) -> None:
    editor = role_users[Role.SUPPORT_EXPERT]
    article = write(editor).article
    for change, field in (({"type": "rumour"}, "type"), ({"audience": "everyone"}, "audience")):
        before = knowledge_counts()
        with pytest.raises(ValidationError) as caught:
            ops.update_article_settings(
                actor=editor, article=article, settings=settings_of(article, **change)
            )
        assert field in caught.value.message_dict
        assert knowledge_counts() == before


# --- Licences --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.KNOWLEDGE_MANAGER, Role.SERVICE_PORTFOLIO_OWNER])
def test_knowledge_managers_grant_change_and_withdraw_licences(
    role_users: dict[str, Any], institution: Institution, role: str
) -> None:
    manager = role_users[role]
    worker = role_users[Role.SUPPORT_SPECIALIST]
    licence = ops.grant_licence(
        actor=manager, user=worker, institution=institution, level=Licence.CANDIDATE
    )
    assert licence.level == Licence.CANDIDATE
    granted = assert_audited("licence.granted", licence, manager, institution)
    assert granted.before is None
    assert granted.after["level"] == Licence.CANDIDATE

    ops.grant_licence(
        actor=manager, user=worker, institution=institution, level=Licence.CONTRIBUTOR
    )
    assert KnowledgeLicence.objects.get(user=worker).level == Licence.CONTRIBUTOR
    changed = audit("licence.granted", licence)[0]
    assert (changed.before["level"], changed.after["level"]) == (
        Licence.CANDIDATE, Licence.CONTRIBUTOR
    )  # fmt: skip
    assert KnowledgeLicence.objects.count() == 1

    ops.withdraw_licence(actor=manager, licence=KnowledgeLicence.objects.get(user=worker))
    assert not KnowledgeLicence.objects.exists()
    withdrawn = assert_audited("licence.withdrawn", licence, manager, institution)
    assert withdrawn.before["level"] == Licence.CONTRIBUTOR


@pytest.mark.parametrize(
    "role",
    [Role.SUPPORT_EXPERT, Role.SERVICE_OWNER, Role.ADMINISTRATOR, Role.AUDITOR, ANONYMOUS],
)
def test_only_knowledge_managers_grant_or_withdraw(
    role_users: dict[str, Any], institution: Institution, grant: Callable[..., User], role: str
) -> None:
    worker = grant(role_users[Role.SUPPORT_SPECIALIST], institution, Licence.CANDIDATE)
    licence = KnowledgeLicence.objects.get(user=worker)
    before = knowledge_counts()
    with pytest.raises(PermissionDenied):
        ops.grant_licence(
            actor=role_users[role], user=worker, institution=institution, level=Licence.PUBLISHER
        )
    with pytest.raises(PermissionDenied):
        ops.withdraw_licence(actor=role_users[role], licence=licence)
    assert knowledge_counts() == before
    assert KnowledgeLicence.objects.get(pk=licence.pk).level == Licence.CANDIDATE


def test_manager_of_another_institution_cannot_grant_here(
    make_user: Make, role_users: dict[str, Any], institution: Institution,
    other_institution: Institution,
) -> None:  # fmt: skip
    foreign = make_user("spa-zinasanas", other_institution, Role.KNOWLEDGE_MANAGER)
    before = knowledge_counts()
    with pytest.raises(PermissionDenied):
        ops.grant_licence(
            actor=foreign,
            user=role_users[Role.SUPPORT_EXPERT],
            institution=institution,
            level=Licence.PUBLISHER,
        )
    assert knowledge_counts() == before


def test_unknown_licence_level_is_refused(
    role_users: dict[str, Any], institution: Institution
) -> None:
    before = knowledge_counts()
    with pytest.raises(ValidationError) as caught:
        ops.grant_licence(
            actor=role_users[Role.KNOWLEDGE_MANAGER],
            user=role_users[Role.SUPPORT_EXPERT],
            institution=institution,
            level="guru",
        )
    assert caught.value.message_dict == {"level": ["Unknown licence level."]}
    assert knowledge_counts() == before


def test_licence_is_only_for_members_of_the_institution(
    role_users: dict[str, Any],
    institution: Institution,
    make_user: Make,
    other_institution: Institution,
    write: Write,
) -> None:
    """A publisher licence in VRA held by someone who is not a VRA member would let an
    outsider publish VRA's articles (``can_publish`` looks at the licence alone)."""
    outsider = make_user("spa-eksperts", other_institution, Role.SUPPORT_EXPERT)
    before = knowledge_counts()
    with pytest.raises((ValidationError, PermissionDenied)):
        ops.grant_licence(
            actor=role_users[Role.KNOWLEDGE_MANAGER],
            user=outsider,
            institution=institution,
            level=Licence.PUBLISHER,
        )
    assert knowledge_counts() == before
    revision = write(role_users[Role.SUPPORT_EXPERT])
    assert can_publish(refresh(outsider), revision.article) is False


# --- The audit trail of a whole life, and refusals that write nothing ------------------------


def test_every_operation_writes_one_audit_event_with_actor_and_institution(
    role_users: dict[str, Any], institution: Institution, write: Write, service: Service
) -> None:
    author = role_users[Role.SUPPORT_SPECIALIST]
    expert = role_users[Role.SUPPORT_EXPERT]
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    start = AuditEvent.objects.count()
    steps: list[tuple[str, User]] = []

    r1 = write(author, services=[service])
    steps.append(("article.created", author))
    article = r1.article
    ops.save_draft(actor=author, revision=r1, text=text(body="Teksts"), expected_version=1)
    steps.append(("article.draft_saved", author))
    ops.submit_for_review(actor=author, revision=ArticleRevision.objects.get(pk=r1.pk))
    steps.append(("article.submitted", author))
    ops.publish_revision(actor=manager, revision=r1)
    steps.append(("article.published", manager))
    ops.update_article_settings(
        actor=expert, article=article, settings=settings_of(article, type=ArticleType.FAQ)
    )
    steps.append(("article.settings_changed", expert))
    r2 = ops.start_revision(actor=expert, article=article)
    steps.append(("article.revision_started", expert))
    ops.publish_revision(actor=manager, revision=r2)
    steps.append(("article.published", manager))
    ops.revert_to(actor=author, revision=r1)
    steps.append(("article.revision_started", author))
    ops.archive_article(actor=manager, article=article)
    steps.append(("article.archived", manager))
    licence = ops.grant_licence(
        actor=manager, user=expert, institution=institution, level=Licence.PUBLISHER
    )
    steps.append(("licence.granted", manager))
    ops.withdraw_licence(actor=manager, licence=licence)
    steps.append(("licence.withdrawn", manager))

    events = list(AuditEvent.objects.order_by("id")[start:])
    assert [(e.verb, e.actor_id) for e in events] == [(v, u.pk) for v, u in steps]
    assert {e.institution_id for e in events} == {institution.pk}


@pytest.fixture
def scene(
    role_users: dict[str, Any], write: Write, service: Service, institution: Institution,
    grant: Callable[..., User],
) -> dict[str, Any]:  # fmt: skip
    """A draft, a published article with an open draft, and a licence."""
    manager = role_users[Role.KNOWLEDGE_MANAGER]
    expert = role_users[Role.SUPPORT_EXPERT]
    draft = write(expert, "Melnraksts", services=[service])
    live = write(expert, "Publicēts", services=[service])
    ops.publish_revision(actor=manager, revision=live)
    open_draft = ops.start_revision(actor=expert, article=live.article)
    grant(role_users[Role.SUPPORT_SPECIALIST], institution, Licence.CANDIDATE)
    return {
        **role_users,
        "draft": draft,
        "live": ArticleRevision.objects.get(pk=live.pk),
        "open_draft": open_draft,
        "licence": KnowledgeLicence.objects.get(),
        "institution": institution,
    }


REFUSALS: dict[str, tuple[type[Exception], Callable[[dict[str, Any]], Any]]] = {
    "create by an auditor": (
        PermissionDenied,
        lambda s: ops.create_article(
            actor=s[Role.AUDITOR], institution=s["institution"],
            settings=ops.ArticleSettings(), text=text(),
        ),
    ),
    "create with a bad language": (
        ValidationError,
        lambda s: ops.create_article(
            actor=s[Role.SUPPORT_EXPERT], institution=s["institution"],
            settings=ops.ArticleSettings(), text=text(), language="de",
        ),
    ),
    "save by an administrator": (
        PermissionDenied,
        lambda s: ops.save_draft(
            actor=s[Role.ADMINISTRATOR], revision=s["draft"], text=text(), expected_version=1
        ),
    ),
    "save a stale version": (
        EditConflict,
        lambda s: ops.save_draft(
            actor=s[Role.SUPPORT_EXPERT], revision=s["draft"], text=text(), expected_version=7
        ),
    ),
    "save with an over-long title": (
        ValidationError,
        lambda s: ops.save_draft(
            actor=s[Role.SUPPORT_EXPERT], revision=s["draft"], text=text("x" * 301),
            expected_version=1,
        ),
    ),
    "submit a published revision": (
        ValidationError,
        lambda s: ops.submit_for_review(actor=s[Role.SUPPORT_EXPERT], revision=s["live"]),
    ),
    "submit by an auditor": (
        PermissionDenied,
        lambda s: ops.submit_for_review(actor=s[Role.AUDITOR], revision=s["draft"]),
    ),
    "publish by a provider without licence": (
        PermissionDenied,
        lambda s: ops.publish_revision(actor=s[Role.SERVICE_PROVIDER], revision=s["open_draft"]),
    ),
    "publish by a candidate": (
        PermissionDenied,
        lambda s: ops.publish_revision(
            actor=refresh(s[Role.SUPPORT_SPECIALIST]), revision=s["draft"]
        ),
    ),
    "publish the live revision again": (
        ValidationError,
        lambda s: ops.publish_revision(actor=s[Role.KNOWLEDGE_MANAGER], revision=s["live"]),
    ),
    "archive by a level-1 writer who does not own it": (
        PermissionDenied,
        lambda s: ops.archive_article(
            actor=s[Role.SUPPORT_SPECIALIST], article=s["live"].article
        ),
    ),
    "widen to public without publish right": (
        PermissionDenied,
        lambda s: ops.update_article_settings(
            actor=s[Role.SUPPORT_SPECIALIST], article=s["live"].article,
            settings=settings_of(s["live"].article, audience=Audience.PUBLIC),
        ),
    ),
    "start a revision as an auditor": (
        PermissionDenied,
        lambda s: ops.start_revision(actor=s[Role.AUDITOR], article=s["live"].article),
    ),
    "grant as a support expert": (
        PermissionDenied,
        lambda s: ops.grant_licence(
            actor=s[Role.SUPPORT_EXPERT], user=s[Role.SUPPORT_EXPERT],
            institution=s["institution"], level=Licence.PUBLISHER,
        ),
    ),
    "withdraw as an administrator": (
        PermissionDenied,
        lambda s: ops.withdraw_licence(actor=s[Role.ADMINISTRATOR], licence=s["licence"]),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_operations_write_nothing(scene: dict[str, Any], case: str) -> None:
    error, attempt = REFUSALS[case]
    before = knowledge_counts()
    revisions = {k: revision_state(scene[k]) for k in ("draft", "live", "open_draft")}
    articles = {
        k: tuple(Article.objects.filter(pk=scene[k].article_id).values().get().items())
        for k in ("draft", "live")
    }
    with pytest.raises(error):
        attempt(scene)
    assert knowledge_counts() == before
    assert {k: revision_state(scene[k]) for k in revisions} == revisions
    assert {
        k: tuple(Article.objects.filter(pk=scene[k].article_id).values().get().items())
        for k in articles
    } == articles
    assert KnowledgeLicence.objects.get().level == Licence.CANDIDATE


# --- Diff ------------------------------------------------------------------------------------


def test_text_diff_shows_the_changed_lines_of_each_field() -> None:
    old = ArticleRevision(title="Parole", body="Pirmā rinda\nOtrā rinda\nTrešā rinda")
    new = ArticleRevision(
        title="Parole", body="Pirmā rinda\nOtrā rinda (labota)\nTrešā rinda", cause="Sertifikāts"
    )
    diff = ops.text_diff(old, new)
    lines = diff.splitlines()
    assert "## text (Markdown)" in lines
    assert "-Otrā rinda" in lines
    assert "+Otrā rinda (labota)" in lines
    assert " Pirmā rinda" in lines  # context
    assert "## cause" in lines
    assert "+Sertifikāts" in lines
    assert "## title" not in lines  # unchanged fields are left out
    assert not any(line.startswith(("---", "+++")) for line in lines)


def test_text_diff_of_a_first_revision_and_of_equal_texts() -> None:
    new = ArticleRevision(title="Parole", body="Teksts")
    diff = ops.text_diff(None, new).splitlines()
    assert diff[:2] == ["## title", "@@ -0,0 +1 @@"]
    assert "+Parole" in diff
    assert "+Teksts" in diff
    assert ops.text_diff(new, ArticleRevision(title="Parole", body="Teksts")) == ""
