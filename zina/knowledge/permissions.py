"""Who reads, writes and publishes knowledge — the one rule every surface uses.

Reading an article (its live text):
- public: everyone, anonymous included, once a revision is published and until archived;
- internal: staff of the owning institution, and of the institutions it is shared with;
- experts: those of them with the expert-knowledge capability (level 2, owners, managers);
- partners: staff as for internal, plus partners assigned to one of its services or resources.
Authors and the owner always see their own articles. Drafts are a separate rule: see
``can_edit``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from zina.accounts.choices import Role
from zina.accounts.models import Institution
from zina.accounts.roles import (
    MANAGE_KNOWLEDGE,
    READ_EXPERT_KNOWLEDGE,
    ROLE_CAPABILITIES,
    WRITE_KNOWLEDGE,
    has_capability,
    holds_role_on,
    institutions_with,
    scoped_ids,
    staff_institutions,
)
from zina.catalog.models import Resource, Service
from zina.core.permissions import NOTHING, register, register_actions
from zina.core.rules import Leaf, Rule, ids_leaf, leaf

from .choices import Audience, Licence, State
from .models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleFlag,
    ArticleRelation,
    ArticleRevision,
    ArticleTicketLink,
    KnowledgeLicence,
    KnowledgeProcedure,
)

SharedWith = Article.shared_with.through


def _has_live() -> Q:
    return Q(Exists(ArticleRevision.objects.filter(article=OuterRef("pk"), is_live=True)))


def _live() -> Leaf:
    return leaf(_has_live, ["live"])


def _audience(*values: str) -> Leaf:
    return leaf(Q(audience__in=values), [f"aud:{v}" for v in values])


def _reach(institution_ids: set[int]) -> Rule:
    """Articles of these institutions, or shared with them (or with everyone)."""
    if not institution_ids:
        return leaf(NOTHING, [])

    def where() -> Q:
        shared = SharedWith.objects.filter(institution_id__in=institution_ids)
        return Q(institution_id__in=institution_ids) | Q(pk__in=shared.values("article_id"))

    return ids_leaf(where, "reach", institution_ids) | leaf(Q(shared_with_all=True), ["reach:*"])


# Roles that may write knowledge when held on one service or resource (not institution-wide).
STAFF_WRITER_ROLES = {role for role, caps in ROLE_CAPABILITIES.items() if WRITE_KNOWLEDGE in caps}


def _linked_to(service_ids: set[int], resource_ids: set[int]) -> Rule:
    """Articles linked to any of these services or resources."""

    def by_service() -> Q:
        links = Article.services.through.objects.filter(service_id__in=service_ids)
        return Q(pk__in=links.values("article_id"))

    def by_resource() -> Q:
        links = Article.resources.through.objects.filter(resource_id__in=resource_ids)
        return Q(pk__in=links.values("article_id"))

    return ids_leaf(by_service, "svc", service_ids) | ids_leaf(by_resource, "res", resource_ids)


def _scoped(user: Any, roles: set[str]) -> tuple[set[int], set[int]]:
    return scoped_ids(user, Service, roles), scoped_ids(user, Resource, roles)


def article_rule(user: Any) -> Rule:
    """Who reads an article — one rule, compiled to a database filter (``article_view``) and
    to the search index's filter over the tokens of ``knowledge.search``."""
    not_archived = ~leaf(Q(archived_at__isnull=False), ["archived"])
    public = _audience(Audience.PUBLIC) & not_archived & _live()
    if not getattr(user, "is_authenticated", False):
        return public
    staff_ids = staff_institutions(user)
    expert_ids = institutions_with(user, READ_EXPERT_KNOWLEDGE) & staff_ids
    # "Experts" means level 2 and owners: owners of a linked service or resource count too.
    owner_links = _linked_to(*_scoped(user, {Role.SERVICE_OWNER, Role.RESOURCE_OWNER}))
    experts = _reach(expert_ids) | owner_links
    not_expert_only = ~_audience(Audience.EXPERTS) | experts
    partner_links = _linked_to(*_scoped(user, {Role.PARTNER}))
    readers = _live() & (
        (_audience(Audience.PUBLIC, Audience.INTERNAL, Audience.PARTNERS) & _reach(staff_ids))
        | (_audience(Audience.EXPERTS) & experts)
        | (_audience(Audience.PARTNERS) & partner_links)
    )
    # Before anything is published, an article is seen only by those who may edit it.
    writer_ids = institutions_with(user, WRITE_KNOWLEDGE) & staff_ids
    staff_links = _linked_to(*_scoped(user, STAFF_WRITER_ROLES))
    own = leaf(Q(owner=user), [f"owner:{user.pk}"]) | leaf(
        lambda: Q(pk__in=ArticleRevision.objects.filter(author=user).values("article_id")),
        [f"author:{user.pk}"],
    )
    editors = (
        own
        | (
            (ids_leaf(Q(institution_id__in=writer_ids), "inst", writer_ids) | staff_links)
            & not_expert_only
        )
        | (partner_links & _audience(Audience.PARTNERS))
    )
    return public | readers | editors


def article_view(user: Any) -> Q:
    return article_rule(user).q()


def licence_level(user: Any, institution_id: int) -> str | None:
    """The user's KCS licence in the institution; it counts only while they are its staff."""
    cache = getattr(user, "_zina_licences", None)
    if cache is None:
        cache = dict(
            KnowledgeLicence.objects.filter(user=user).values_list("institution_id", "level")
        )
        user._zina_licences = cache
    return cache.get(institution_id) if institution_id in staff_institutions(user) else None


def _owns_linked(user: Any, article: Article) -> bool:
    """Is the user an owner of one of the article's services or resources?"""
    return any(holds_role_on(user, Role.SERVICE_OWNER, s) for s in article.services.all()) or any(
        holds_role_on(user, Role.RESOURCE_OWNER, r) for r in article.resources.all()
    )


def _scoped_writer_on(user: Any, services: Any, resources: Any) -> bool:
    """Does the user write knowledge through a role on one of these services or resources?"""
    service_ids, resource_ids = _scoped(user, STAFF_WRITER_ROLES | {Role.PARTNER})
    return any(s.pk in service_ids for s in services) or any(
        r.pk in resource_ids for r in resources
    )


def can_write_in(user: Any, institution: Institution) -> bool:
    """May the user start articles in this institution (institution-wide, or about the services
    and resources they hold a role on)?"""
    if has_capability(user, WRITE_KNOWLEDGE, institution.pk):
        return True
    service_ids, resource_ids = _scoped(user, STAFF_WRITER_ROLES | {Role.PARTNER})
    return (
        Service.objects.filter(institution=institution, pk__in=service_ids).exists()
        or Resource.objects.filter(institution=institution, pk__in=resource_ids).exists()
    )


def may_link(user: Any, institution: Institution, services: Any, resources: Any) -> bool:
    """A writer by an object-scoped role must link the article to one of their objects."""
    return has_capability(user, WRITE_KNOWLEDGE, institution.pk) or _scoped_writer_on(
        user, services, resources
    )


def _readable(user: Any, article: Article) -> bool:
    return Article.objects.filter(pk=article.pk).filter(article_view(user)).exists()


def can_edit(user: Any, article: Article) -> bool:
    """May the user draft revisions of this article (and see its drafts)? Only someone who
    may read it: a level-1 writer does not edit an experts-only article."""
    return _readable(user, article) and (
        article.owner_id == user.pk
        or has_capability(user, WRITE_KNOWLEDGE, article.institution_id)
        or _scoped_writer_on(user, article.services.all(), article.resources.all())
    )


def can_publish(user: Any, article: Article) -> bool:
    """Approval: someone who may read the article and is a knowledge manager of the
    institution, an owner of a linked service or resource, or a KCS licence holder there —
    contributors for internal audiences, publishers for the public."""
    if not _readable(user, article):
        return False
    if has_capability(user, MANAGE_KNOWLEDGE, article.institution_id) or _owns_linked(
        user, article
    ):
        return True
    level = licence_level(user, article.institution_id)
    if level == Licence.PUBLISHER:
        return True
    return level == Licence.CONTRIBUTOR and article.audience != Audience.PUBLIC


def revision_view(user: Any) -> Q:
    """Published revisions (live or past) go with the article; drafts and revisions waiting
    for approval only to those who may edit it."""
    readable = Q(article__in=Article.objects.filter(article_view(user)))
    published = Q(state=State.VALIDATED)  # archived drafts were never approved
    if not getattr(user, "is_authenticated", False):
        return readable & Q(is_live=True)
    # The same people as can_edit (readable, and owner, writer or scoped writer).
    scoped = Article.objects.filter(
        _linked_to(*_scoped(user, STAFF_WRITER_ROLES | {Role.PARTNER})).q()
    )
    editors = (
        Q(author=user)
        | Q(article__owner=user)
        | Q(article__institution_id__in=institutions_with(user, WRITE_KNOWLEDGE))
        | Q(article__in=scoped.values("pk"))
    )
    return readable & (published | editors)


register(
    Article,
    view=article_view,
    edit=can_edit,
    publish=can_publish,
    archive=lambda user, obj: can_publish(user, obj) or obj.owner_id == user.pk,
)
register(ArticleRevision, view=revision_view)
register_actions(
    Institution,
    write_knowledge=can_write_in,
    manage_knowledge=lambda user, obj: has_capability(user, MANAGE_KNOWLEDGE, obj.pk),
)
register(
    KnowledgeLicence,
    view=lambda user: (
        Q(user=user) | Q(institution_id__in=staff_institutions(user))
        if getattr(user, "is_authenticated", False)
        else NOTHING
    ),
)


def _editors_q(user: Any, prefix: str = "article__") -> Q:
    """Rows about articles the user works on: owned, or in institutions where they write."""
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    return Q(**{f"{prefix}owner": user}) | Q(
        **{f"{prefix}institution_id__in": institutions_with(user, WRITE_KNOWLEDGE)}
    )


register(
    ArticleFeedback,
    view=lambda user: (
        _editors_q(user) | (Q(user=user) if getattr(user, "is_authenticated", False) else NOTHING)
    ),
)
register(
    ArticleFlag,
    view=lambda user: (
        _editors_q(user)
        | (Q(reporter=user) if getattr(user, "is_authenticated", False) else NOTHING)
    ),
)
register(
    KnowledgeProcedure,
    view=lambda user: (
        Q(institution_id__in=staff_institutions(user))
        if getattr(user, "is_authenticated", False)
        else NOTHING
    ),
)

register(
    ArticleTicketLink,
    # The ticket's own rule applies too: the tickets app filters links through its tickets.
    view=lambda user: Q(article__in=Article.objects.filter(article_view(user))),
)
register(
    ArticleRelation,
    view=lambda user: (
        Q(from_article__in=Article.objects.filter(article_view(user)))
        & Q(to_article__in=Article.objects.filter(article_view(user)))
    ),
    delete=lambda user, obj: can_edit(user, obj.from_article),
)
register(
    ArticleAttachment,
    view=lambda user: Q(article__in=Article.objects.filter(article_view(user))),
)
