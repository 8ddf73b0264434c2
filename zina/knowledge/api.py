"""API of the knowledge base: articles, revisions and their KCS lifecycle, feedback, flags,
relations.

Every read goes through ``visible_to`` and every write through
:mod:`zina.knowledge.operations`, exactly as on the pages.

Authentication: like the rest of the API, every endpoint needs an API token or a login —
reading included, so public articles are read anonymously on the pages, not here; a request
without credentials is a 401, writes included. The one exception is
``POST /articles/{id}/feedback``: “Was this helpful?” is also answered by anonymous readers of
a public article, rate-limited per address by the operation.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from zina.accounts.api_auth import Login, TokenAuth
from zina.accounts.models import Institution
from zina.accounts.security import client_address
from zina.catalog.models import Resource, Service
from zina.core.permissions import require

from . import operations as ops
from .choices import ArticleRelationKind, ArticleType, Audience, FlagState, Language, State
from .models import Article, ArticleFeedback, ArticleFlag, ArticleRelation, ArticleRevision
from .rendering import render_markdown


def actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- Authentication ------------------------------------------------------------------------------


def anonymous(request: HttpRequest) -> Any:
    """No token and no login: an anonymous reader. ``AnonymousUser`` is truthy, so ninja lets
    the request through with it as ``request.auth``."""
    return AnonymousUser()


TOKEN_OR_LOGIN = [TokenAuth(), Login()]
# Order matters: an invalid token is a 401 at once, a login without its CSRF token a 403; only
# a request with neither credential is taken for an anonymous reader.
TOKEN_LOGIN_OR_ANONYMOUS = [*TOKEN_OR_LOGIN, anonymous]

router = Router(tags=["knowledge"])  # the API's token-or-login authentication


# --- Schemas -------------------------------------------------------------------------------------


def _shown_revision(article: Article) -> ArticleRevision | None:
    """The revision whose title represents the article: the live one in the request's language,
    else the live one in the other; with nothing published, the newest revision the reader
    may see (a draft, for its editors). Uses the prefetched visible revisions."""
    revisions = list(article.revisions.all())
    language = translation.get_language()
    live = [r for r in revisions if r.is_live]
    if live:
        return next((r for r in live if r.language == language), live[0])
    if revisions:
        return max(revisions, key=lambda r: (r.language == language, r.created_at, r.pk))
    return None


class ArticleOut(Schema):
    id: int
    institution: str = Field(alias="institution.code")
    type: ArticleType
    audience: Audience
    owner: str = Field(alias="owner.username")
    review_by: date | None
    archived: bool
    archived_at: datetime | None
    title: str | None = Field(
        description="Title of the live revision in the request's language, else in the other "
        "language; with nothing published, of the newest revision the caller may see."
    )
    language: Language | None = Field(description="Language of the title.")
    live_numbers: dict[str, int] = Field(description="Live revision number per language.")

    @staticmethod
    def resolve_archived(obj: Article) -> bool:
        return obj.archived_at is not None

    @staticmethod
    def resolve_title(obj: Article) -> str | None:
        shown = _shown_revision(obj)
        return shown.title if shown else None

    @staticmethod
    def resolve_language(obj: Article) -> str | None:
        shown = _shown_revision(obj)
        return shown.language if shown else None

    @staticmethod
    def resolve_live_numbers(obj: Article) -> dict[str, int]:
        return {r.language: r.number for r in obj.revisions.all() if r.is_live}


class LiveRevisionOut(Schema):
    id: int
    language: Language
    number: int
    title: str
    symptoms: str
    environment: str
    cause: str
    resolution: str
    body: str
    body_html: str
    keywords: str

    @staticmethod
    def resolve_body_html(obj: ArticleRevision) -> str:
        return str(render_markdown(obj.body))


class ArticleDetailOut(ArticleOut):
    services: list[int]
    resources: list[int]
    shared_with: list[str]
    shared_with_all: bool
    live_revisions: list[LiveRevisionOut]

    @staticmethod
    def resolve_services(obj: Article, context: Any) -> list[int]:
        visible = Service.objects.visible_to(actor(context["request"]))
        return list(obj.services.filter(pk__in=visible.values("pk")).values_list("pk", flat=True))

    @staticmethod
    def resolve_resources(obj: Article, context: Any) -> list[int]:
        visible = Resource.objects.visible_to(actor(context["request"]))
        return list(obj.resources.filter(pk__in=visible.values("pk")).values_list("pk", flat=True))

    @staticmethod
    def resolve_shared_with(obj: Article, context: Any) -> list[str]:
        visible = Institution.objects.visible_to(actor(context["request"]))
        shared = obj.shared_with.filter(pk__in=visible.values("pk")).order_by("code")
        return list(shared.values_list("code", flat=True))

    @staticmethod
    def resolve_live_revisions(obj: Article) -> list[ArticleRevision]:
        return [r for r in obj.revisions.all() if r.is_live]


class RevisionOut(Schema):
    id: int
    article: int = Field(alias="article_id")
    language: Language
    number: int
    state: State
    is_live: bool
    title: str
    author: str = Field(alias="author.username")
    reviewed_by: str | None
    created_at: datetime
    version: int

    @staticmethod
    def resolve_reviewed_by(obj: ArticleRevision) -> str | None:
        return obj.reviewed_by.username if obj.reviewed_by else None


class RevisionDetailOut(RevisionOut):
    symptoms: str
    environment: str
    cause: str
    resolution: str
    body: str
    body_html: str
    keywords: str
    based_on: int | None = Field(alias="based_on_id")
    reviewed_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_body_html(obj: ArticleRevision) -> str:
        return str(render_markdown(obj.body))


class ArticleCreatedOut(Schema):
    article: ArticleDetailOut
    revision: RevisionDetailOut


class TextIn(Schema):
    """The KCS template plus a Markdown body. Lengths and blanks are checked by the operation."""

    title: str
    symptoms: str = ""
    environment: str = ""
    cause: str = ""
    resolution: str = ""
    body: str = ""
    keywords: str = ""


class ArticleCreateIn(TextIn):
    institution: str = Field(description="Institution code.")
    language: Language = Language.LATVIAN
    type: ArticleType = ArticleType.SOLUTION
    audience: Audience = Audience.INTERNAL
    services: list[int] = Field(default_factory=list, description="Service ids.")
    resources: list[int] = Field(default_factory=list, description="Resource ids.")
    shared_with: list[str] = Field(default_factory=list, description="Institution codes.")
    shared_with_all: bool = False


class ArticlePatch(Schema):
    type: ArticleType | None = None
    audience: Audience | None = None
    services: list[int] | None = None
    resources: list[int] | None = None
    shared_with: list[str] | None = None
    shared_with_all: bool | None = None


class DraftIn(TextIn):
    expected_version: int = Field(description="The draft's version when it was read.")


class ConflictOut(Schema):
    detail: str
    diff: str = Field(description="Their saved text against yours (unified diff).")
    version: int = Field(description="The draft's saved version: send it to overwrite theirs.")


class StartIn(Schema):
    language: Language = Language.LATVIAN


class DiffOut(Schema):
    diff: str


class FeedbackIn(Schema):
    helpful: bool
    comment: str = ""


class FeedbackOut(Schema):
    id: int
    article: int = Field(alias="article_id")
    helpful: bool
    comment: str
    created_at: datetime


class FlagIn(Schema):
    reason: str


class FlagOut(Schema):
    id: int
    article: int = Field(alias="article_id")
    reason: str
    state: FlagState
    reporter: str | None
    resolution: str
    created_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_reporter(obj: ArticleFlag) -> str | None:
        return obj.reporter.username if obj.reporter else None


class RelationIn(Schema):
    other: int = Field(description="Id of the other article.")
    kind: ArticleRelationKind = ArticleRelationKind.RELATED


class RelationOut(Schema):
    id: int
    from_article: int = Field(alias="from_article_id")
    to_article: int = Field(alias="to_article_id")
    kind: ArticleRelationKind


# --- Helpers -------------------------------------------------------------------------------------


def _articles(request: HttpRequest) -> QuerySet[Article]:
    user = actor(request)
    return (
        Article.objects.visible_to(user)
        .select_related("institution", "owner")
        .prefetch_related(Prefetch("revisions", queryset=ArticleRevision.objects.visible_to(user)))
    )


def _article(request: HttpRequest, pk: int) -> Article:
    return get_object_or_404(_articles(request), pk=pk)


def _revision(request: HttpRequest, pk: int, rid: int) -> ArticleRevision:
    return get_object_or_404(
        ArticleRevision.objects.visible_to(actor(request)).select_related(
            "article", "article__institution", "author", "reviewed_by"
        ),
        pk=rid,
        article_id=pk,
    )


def _institution(request: HttpRequest, code: str) -> Institution:
    return get_object_or_404(Institution.objects.visible_to(actor(request)), code=code)


def _choose(queryset: QuerySet[Any], field: str, values: list[Any], key: str = "pk") -> list[Any]:
    """The objects with these keys that the actor may see; any other key is a 422 on
    ``field`` (the same answer whether it does not exist or is hidden)."""
    found = {getattr(obj, key): obj for obj in queryset.filter(**{f"{key}__in": values})}
    missing = [v for v in dict.fromkeys(values) if v not in found]
    if missing:
        raise ValidationError(
            {
                field: _("Select a valid choice. %(value)s is not one of the available choices.")
                % {"value": missing[0]}
            }
        )
    return [found[v] for v in dict.fromkeys(values)]


def _services(request: HttpRequest, ids: list[int]) -> list[Service]:
    return _choose(Service.objects.visible_to(actor(request)), "services", ids)


def _resources(request: HttpRequest, ids: list[int]) -> list[Resource]:
    return _choose(Resource.objects.visible_to(actor(request)), "resources", ids)


def _shared_with(request: HttpRequest, codes: list[str]) -> list[Institution]:
    return _choose(Institution.objects.visible_to(actor(request)), "shared_with", codes, "code")


def _text(payload: TextIn) -> ops.ArticleText:
    return ops.ArticleText(**{name: getattr(payload, name) for name in ArticleRevision.TEXT_FIELDS})


def _new_or_existing(revision: ArticleRevision, before: set[int]) -> Status[ArticleRevision]:
    """201 for a new draft; 200 when the operation handed back the author's open draft."""
    return Status(200 if revision.pk in before else 201, revision)


def _revision_ids(article: Article) -> set[int]:
    return set(ArticleRevision.objects.filter(article=article).values_list("pk", flat=True))


# --- Articles ------------------------------------------------------------------------------------


@router.get("/articles", response=list[ArticleOut])
@paginate(LimitOffsetPagination)
def list_articles(
    request: HttpRequest,
    institution: str | None = None,
    type: ArticleType | None = None,
    audience: Audience | None = None,
    service: int | None = None,
    state: Literal["published", "draft", "not_validated", "archived"] | None = None,
    due: bool = False,
) -> QuerySet[Article]:
    """Articles the caller may read. ``state``: published (has a live revision), draft or
    not_validated (has such a revision the caller may see), archived. ``due``: in use and
    past its review date."""
    user = actor(request)
    qs = _articles(request)
    if institution:
        qs = qs.filter(institution__code=institution)
    if type:
        qs = qs.filter(type=type)
    if audience:
        qs = qs.filter(audience=audience)
    if service is not None:
        qs = qs.filter(services=service)
    if state == "archived":
        qs = qs.filter(archived_at__isnull=False)
    elif state == "published":
        live = ArticleRevision.objects.visible_to(user).filter(is_live=True)
        qs = qs.filter(pk__in=live.values("article_id"))
    elif state in (State.DRAFT, State.NOT_VALIDATED):
        waiting = ArticleRevision.objects.visible_to(user).filter(state=state)
        qs = qs.filter(pk__in=waiting.values("article_id"))
    if due:
        qs = qs.filter(review_by__lte=timezone.localdate(), archived_at__isnull=True)
    return qs


@router.get("/articles/{pk}", response=ArticleDetailOut)
def get_article(request: HttpRequest, pk: int) -> Article:
    return _article(request, pk)


@router.post("/articles", response={201: ArticleCreatedOut})
def create_article(request: HttpRequest, payload: ArticleCreateIn) -> Status[dict[str, Any]]:
    """Start an article: the article and its first draft (revision 1), owned by the caller."""
    institution = _institution(request, payload.institution)
    require(actor(request), "write_knowledge", institution)
    settings = ops.ArticleSettings(
        type=payload.type,
        audience=payload.audience,
        shared_with_all=payload.shared_with_all,
        shared_with=_shared_with(request, payload.shared_with),
        services=_services(request, payload.services),
        resources=_resources(request, payload.resources),
    )
    revision = ops.create_article(
        actor=actor(request),
        institution=institution,
        settings=settings,
        text=_text(payload),
        language=payload.language,
    )
    return Status(
        201,
        {
            "article": _article(request, revision.article_id),
            "revision": _revision(request, revision.article_id, revision.pk),
        },
    )


@router.patch("/articles/{pk}", response=ArticleDetailOut)
def update_article(request: HttpRequest, pk: int, payload: ArticlePatch) -> Article:
    """Change type, audience, sharing and links; fields left out keep their values."""
    article = _article(request, pk)
    require(actor(request), "edit", article)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    settings = ops.ArticleSettings(
        type=data.get("type", article.type),
        audience=data.get("audience", article.audience),
        shared_with_all=data.get("shared_with_all", article.shared_with_all),
        shared_with=(
            _shared_with(request, data["shared_with"])
            if "shared_with" in data
            else list(article.shared_with.all())
        ),
        services=(
            _services(request, data["services"])
            if "services" in data
            else list(article.services.all())
        ),
        resources=(
            _resources(request, data["resources"])
            if "resources" in data
            else list(article.resources.all())
        ),
    )
    ops.update_article_settings(actor=actor(request), article=article, settings=settings)
    return _article(request, pk)


@router.post("/articles/{pk}/archive", response=ArticleDetailOut)
def archive_article(request: HttpRequest, pk: int) -> Article:
    ops.archive_article(actor=actor(request), article=_article(request, pk))
    return _article(request, pk)


@router.get("/articles/{pk}/diff", response=DiffOut)
def diff_revisions(request: HttpRequest, pk: int, a: int, b: int) -> dict[str, str]:
    """The text changes from revision ``a`` to revision ``b`` (both must be visible)."""
    old, new = _revision(request, pk, a), _revision(request, pk, b)
    return {"diff": ops.text_diff(old, new)}


# --- Revisions -----------------------------------------------------------------------------------


@router.get("/articles/{pk}/revisions", response=list[RevisionOut])
def list_revisions(request: HttpRequest, pk: int) -> QuerySet[ArticleRevision]:
    """Published revisions for every reader; drafts and waiting ones for its editors."""
    article = _article(request, pk)
    return (
        ArticleRevision.objects.visible_to(actor(request))
        .filter(article=article)
        .select_related("author", "reviewed_by")
    )


@router.get("/articles/{pk}/revisions/{rid}", response=RevisionDetailOut)
def get_revision(request: HttpRequest, pk: int, rid: int) -> ArticleRevision:
    return _revision(request, pk, rid)


@router.post("/articles/{pk}/revisions", response={200: RevisionDetailOut, 201: RevisionDetailOut})
def start_revision(request: HttpRequest, pk: int, payload: StartIn) -> Status[ArticleRevision]:
    """A new draft copied from the live revision of the language (201), or the caller's open
    draft in that language if there is one (200)."""
    article = _article(request, pk)
    before = _revision_ids(article)
    revision = ops.start_revision(actor=actor(request), article=article, language=payload.language)
    return _new_or_existing(revision, before)


@router.put(
    "/articles/{pk}/revisions/{rid}",
    response={200: RevisionDetailOut, 409: ConflictOut},
)
def save_draft(request: HttpRequest, pk: int, rid: int, payload: DraftIn) -> Status[Any]:
    """Save a draft's whole text. If it was saved by someone else since ``expected_version``,
    nothing is written: 409 with a diff of their text against yours and the saved version."""
    revision = _revision(request, pk, rid)
    try:
        saved = ops.save_draft(
            actor=actor(request),
            revision=revision,
            text=_text(payload),
            expected_version=payload.expected_version,
        )
    except ops.EditConflict as conflict:
        return Status(
            409,
            {
                "detail": conflict.messages[0],
                "diff": conflict.diff,
                "version": conflict.theirs.version,
            },
        )
    return Status(200, _revision(request, pk, saved.pk))


@router.post("/articles/{pk}/revisions/{rid}/submit", response=RevisionDetailOut)
def submit_revision(request: HttpRequest, pk: int, rid: int) -> ArticleRevision:
    ops.submit_for_review(actor=actor(request), revision=_revision(request, pk, rid))
    return _revision(request, pk, rid)


@router.post("/articles/{pk}/revisions/{rid}/publish", response=RevisionDetailOut)
def publish_revision(request: HttpRequest, pk: int, rid: int) -> ArticleRevision:
    ops.publish_revision(actor=actor(request), revision=_revision(request, pk, rid))
    return _revision(request, pk, rid)


@router.post(
    "/articles/{pk}/revisions/{rid}/revert",
    response={200: RevisionDetailOut, 201: RevisionDetailOut},
)
def revert_revision(request: HttpRequest, pk: int, rid: int) -> Status[ArticleRevision]:
    """A new draft with this revision's text (201); history is never rewritten."""
    revision = _revision(request, pk, rid)
    before = _revision_ids(revision.article)
    draft = ops.revert_to(actor=actor(request), revision=revision)
    return _new_or_existing(draft, before)


# --- Readers: feedback and flags -----------------------------------------------------------------


@router.post("/articles/{pk}/feedback", response={201: FeedbackOut}, auth=TOKEN_LOGIN_OR_ANONYMOUS)
def give_feedback(request: HttpRequest, pk: int, payload: FeedbackIn) -> Status[ArticleFeedback]:
    """“Was this helpful?” — open to anonymous readers of a public article, who are limited
    to a number of answers per address and hour (422 beyond it)."""
    article = get_object_or_404(Article.objects.visible_to(actor(request)), pk=pk)
    feedback = ops.give_feedback(
        actor=actor(request),
        article=article,
        helpful=payload.helpful,
        comment=payload.comment,
        address=client_address(request),
    )
    return Status(201, feedback)


@router.post("/articles/{pk}/flags", response={201: FlagOut})
def flag_article(request: HttpRequest, pk: int, payload: FlagIn) -> Status[ArticleFlag]:
    """Report the article as outdated or incorrect: an improvement task for its owner."""
    flag = ops.flag_article(
        actor=actor(request), article=_article(request, pk), reason=payload.reason
    )
    return Status(201, flag)


@router.get("/flags", response=list[FlagOut])
@paginate(LimitOffsetPagination)
def list_flags(
    request: HttpRequest,
    state: Literal["open", "resolved", "rejected", "all"] = "open",
    article: int | None = None,
) -> QuerySet[ArticleFlag]:
    """Improvement tasks the caller may see (their articles' and their own reports); open
    ones unless ``state`` says otherwise."""
    qs = ArticleFlag.objects.visible_to(actor(request)).select_related("reporter")
    if state != "all":
        qs = qs.filter(state=state)
    if article is not None:
        qs = qs.filter(article_id=article)
    return qs


@router.post("/flags/{pk}/reject", response=FlagOut)
def reject_flag(request: HttpRequest, pk: int, payload: FlagIn) -> ArticleFlag:
    """Close an improvement task without a change, giving the reason."""
    flag = get_object_or_404(
        ArticleFlag.objects.visible_to(actor(request)).select_related("article", "reporter"),
        pk=pk,
    )
    return ops.reject_flag(actor=actor(request), flag=flag, reason=payload.reason)


# --- Relations -----------------------------------------------------------------------------------


@router.post("/articles/{pk}/relations", response={201: RelationOut})
def relate_articles(request: HttpRequest, pk: int, payload: RelationIn) -> Status[ArticleRelation]:
    """Record that this article is related to, or supersedes, ``other``."""
    article = _article(request, pk)
    other = get_object_or_404(Article.objects.visible_to(actor(request)), pk=payload.other)
    relation = ops.relate_articles(
        actor=actor(request), article=article, other=other, kind=payload.kind
    )
    return Status(201, relation)


@router.delete("/relations/{pk}", response={204: None})
def remove_relation(request: HttpRequest, pk: int) -> Status[None]:
    relation = get_object_or_404(
        ArticleRelation.objects.visible_to(actor(request)).select_related(
            "from_article", "from_article__institution"
        ),
        pk=pk,
    )
    ops.unrelate_articles(actor=actor(request), relation=relation)
    return Status(204, None)
