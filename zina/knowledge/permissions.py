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
    WRITE_KNOWLEDGE,
    has_capability,
    holds_role_on,
    institutions_with,
    scoped_ids,
    staff_institutions,
)
from zina.catalog.models import Resource, Service
from zina.core.permissions import NOTHING, register, register_actions

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


def _live() -> Exists:
    return Exists(ArticleRevision.objects.filter(article=OuterRef("pk"), is_live=True))


def _reach(institution_ids: set[int]) -> Q:
    """Articles of these institutions, or shared with them (or with everyone)."""
    if not institution_ids:
        return NOTHING
    shared = SharedWith.objects.filter(institution_id__in=institution_ids).values("article_id")
    return Q(institution_id__in=institution_ids) | Q(shared_with_all=True) | Q(pk__in=shared)


def article_view(user: Any) -> Q:
    public = Q(audience=Audience.PUBLIC, archived_at__isnull=True) & Q(_live())
    if not getattr(user, "is_authenticated", False):
        return public
    staff = _reach(staff_institutions(user))
    experts = _reach(institutions_with(user, READ_EXPERT_KNOWLEDGE) & staff_institutions(user))
    partner_services = scoped_ids(user, Service, {Role.PARTNER})
    partner_resources = scoped_ids(user, Resource, {Role.PARTNER})
    partners = Q(
        pk__in=Article.services.through.objects.filter(service_id__in=partner_services).values(
            "article_id"
        )
    ) | Q(
        pk__in=Article.resources.through.objects.filter(resource_id__in=partner_resources).values(
            "article_id"
        )
    )
    own = Q(owner=user) | Q(pk__in=ArticleRevision.objects.filter(author=user).values("article_id"))
    return (
        public
        | (Q(audience__in=[Audience.PUBLIC, Audience.INTERNAL, Audience.PARTNERS]) & staff)
        | (Q(audience=Audience.EXPERTS) & experts)
        | (Q(audience=Audience.PARTNERS) & partners)
        | own
    )


def licence_level(user: Any, institution_id: int) -> str | None:
    cache = getattr(user, "_zina_licences", None)
    if cache is None:
        cache = dict(
            KnowledgeLicence.objects.filter(user=user).values_list("institution_id", "level")
        )
        user._zina_licences = cache
    return cache.get(institution_id)


def _owns_linked(user: Any, article: Article) -> bool:
    """Is the user an owner of one of the article's services or resources?"""
    return any(holds_role_on(user, Role.SERVICE_OWNER, s) for s in article.services.all()) or any(
        holds_role_on(user, Role.RESOURCE_OWNER, r) for r in article.resources.all()
    )


def _assigned_partner(user: Any, article: Article) -> bool:
    services = scoped_ids(user, Service, {Role.PARTNER})
    resources = scoped_ids(user, Resource, {Role.PARTNER})
    return (
        article.services.filter(pk__in=services).exists()
        or article.resources.filter(pk__in=resources).exists()
    )


def can_write_in(user: Any, institution: Institution) -> bool:
    """May the user start articles in this institution?"""
    return has_capability(user, WRITE_KNOWLEDGE, institution.pk) or bool(
        Service.objects.filter(
            institution=institution, pk__in=scoped_ids(user, Service, {Role.PARTNER})
        ).exists()
    )


def can_edit(user: Any, article: Article) -> bool:
    """May the user draft revisions of this article (and see its drafts)? Only someone who
    may read it: a level-1 writer does not edit an experts-only article."""
    readable = Article.objects.filter(pk=article.pk).filter(article_view(user)).exists()
    return readable and (
        article.owner_id == user.pk
        or has_capability(user, WRITE_KNOWLEDGE, article.institution_id)
        or _assigned_partner(user, article)
    )


def revision_view(user: Any) -> Q:
    """Published revisions (live or past) go with the article; drafts and revisions waiting
    for approval only to those who may edit it."""
    readable = Q(article__in=Article.objects.filter(article_view(user)))
    published = Q(state__in=[State.VALIDATED, State.ARCHIVED])
    if not getattr(user, "is_authenticated", False):
        return readable & Q(is_live=True)
    partner_articles = Article.objects.filter(
        Q(services__in=scoped_ids(user, Service, {Role.PARTNER}))
        | Q(resources__in=scoped_ids(user, Resource, {Role.PARTNER}))
    ).values("pk")
    editors = (
        Q(author=user)
        | Q(article__owner=user)
        | Q(article__institution_id__in=institutions_with(user, WRITE_KNOWLEDGE))
        | Q(article__in=partner_articles)
    )
    return readable & (published | editors)


def can_publish(user: Any, article: Article) -> bool:
    """Approval: a knowledge manager of the institution, an owner of a linked service or
    resource, or a KCS licence holder — contributors for internal audiences, publishers for
    the public. Candidates' work always goes to someone else."""
    if has_capability(user, MANAGE_KNOWLEDGE, article.institution_id) or _owns_linked(
        user, article
    ):
        return True
    level = licence_level(user, article.institution_id)
    if level == Licence.PUBLISHER:
        return True
    return level == Licence.CONTRIBUTOR and article.audience != Audience.PUBLIC


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
