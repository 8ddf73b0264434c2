"""The knowledge API at /api/v1/knowledge/: articles, revisions, feedback, flags, relations.

Reads go through ``visible_to`` (a hidden article is a 404, like a missing one), writes through
the operations (403 when refused, 422 when invalid, 409 for a conflicting draft save). Every
endpoint needs a token or a login except the feedback one, which anonymous readers of a public
article may use too.
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
from zina.catalog import operations as catalog_ops
from zina.catalog.models import Service
from zina.core.models import AuditEvent
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience, FlagState, State
from zina.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleFlag,
    ArticleRelation,
    ArticleRevision,
)

API = "/api/v1/knowledge"
Make = Callable[..., Any]
FORBIDDEN = "You do not have permission to do this."


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

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.client.post(
            API + path,
            data if data is not None else {},
            content_type="application/json",
            headers=self.headers,
            **extra,
        )

    def put(self, path: str, data: Any = None) -> Any:
        return self.client.put(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, data: Any = None) -> Any:
        return self.client.patch(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers)

    def call(self, method: str, path: str, data: Any = None) -> Any:
        if method == "get":
            return self.get(path)
        if method == "delete":
            return self.delete(path)
        return getattr(self, method)(path, data)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body


def ids(body: Any) -> set[int]:
    items = body["items"] if isinstance(body, dict) else body
    return {i["id"] for i in items}


def counts() -> dict[str, int]:
    """Row counts of everything a knowledge endpoint may write."""
    return {
        "articles": Article.objects.count(),
        "revisions": ArticleRevision.objects.count(),
        "shared": Article.shared_with.through.objects.count(),
        "services": Article.services.through.objects.count(),
        "feedback": ArticleFeedback.objects.count(),
        "flags": ArticleFlag.objects.count(),
        "relations": ArticleRelation.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def revision_row(pk: int) -> dict[str, Any]:
    r = ArticleRevision.objects.get(pk=pk)
    return {n: getattr(r, n) for n in (*ArticleRevision.TEXT_FIELDS, "state", "is_live", "version")}


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def people(
    make_user: Make, institution: Institution, other_institution: Institution
) -> dict[str, User]:
    return {
        # Level 2: writes and reads expert knowledge, may not publish.
        "writer": make_user("rakstitajs", institution, Role.SUPPORT_EXPERT),
        # Knowledge manager: publishes anything of the institution.
        "manager": make_user("zinasanas", institution, Role.KNOWLEDGE_MANAGER),
        # Level 1: writes, but does not read experts-only articles.
        "specialist": make_user("atbalsts", institution, Role.SUPPORT_SPECIALIST),
        # Staff who reads (expert knowledge included) but writes nothing.
        "auditor": make_user("revidents", institution, Role.AUDITOR),
        # Staff of another institution.
        "outsider": make_user("spa-eksperts", other_institution, Role.SUPPORT_EXPERT),
    }


def new_service(actor: User, institution: Institution, identifier: str, name: str) -> Service:
    data = catalog_ops.ServiceData(identifier=identifier, name=name)
    return catalog_ops.create_service(actor=actor, institution=institution, data=data)


@pytest.fixture
def epak(superuser: User, institution: Institution) -> Service:
    return new_service(superuser, institution, "VRA-EPAK", "E-pakalpojumu portāls")


@pytest.fixture
def spa_service(superuser: User, other_institution: Institution) -> Service:
    """A public service of another institution: visible, but not for VRA's articles."""
    return new_service(superuser, other_institution, "SPA-PAB", "Pabalstu pieprasīšana")


@pytest.fixture
def write(institution: Institution) -> Callable[..., ArticleRevision]:
    """``write(author, title, audience=…, publisher=None, …)``: an article made through the
    operations; published by ``publisher`` when given. Returns its first revision."""

    def create(
        author: User,
        title: str = "Parole aizmirsta",
        *,
        body: str = "Atveriet **paroles** atjaunošanas lapu.",
        audience: str = Audience.INTERNAL,
        type: str = ArticleType.SOLUTION,
        services: list[Service] | None = None,
        shared_with: list[Institution] | None = None,
        shared_with_all: bool = False,
        language: str = "lv",
        publisher: User | None = None,
    ) -> ArticleRevision:
        revision = ops.create_article(
            actor=author,
            institution=institution,
            settings=ops.ArticleSettings(
                type=type,
                audience=audience,
                shared_with_all=shared_with_all,
                shared_with=shared_with or [],
                services=services or [],
            ),
            text=ops.ArticleText(title=title, body=body),
            language=language,
        )
        if publisher is not None:
            revision = ops.publish_revision(actor=publisher, revision=revision)
        return revision

    return create


Write = Callable[..., ArticleRevision]


# --- Articles ------------------------------------------------------------------------------------


def test_create_read_and_change_an_article(
    people: dict[str, User], epak: Service, other_institution: Institution
) -> None:
    writer = people["writer"]
    api = Api(writer)
    body = ok(
        api.post(
            "/articles",
            {
                "institution": "vra",
                "language": "lv",
                "type": "known_error",
                "audience": "internal",
                "services": [epak.pk],
                "shared_with": ["spa"],
                "title": "  E-paraksts neizdodas  ",
                "symptoms": "Kļūda 0x80",
                "cause": "Novecojis sertifikāts",
                "resolution": "Atjaunojiet sertifikātu",
                "body": "## Soļi\n\n1. Atveriet",
                "keywords": "eparaksts",
            },
        ),
        201,
    )
    article, draft = body["article"], body["revision"]
    pk = article["id"]
    assert article["institution"] == "vra"
    assert article["owner"] == writer.username
    assert (article["type"], article["audience"]) == ("known_error", "internal")
    assert article["services"] == [epak.pk]
    assert article["resources"] == []
    assert article["shared_with"] == ["spa"]
    assert article["shared_with_all"] is False
    assert article["live_revisions"] == []
    assert article["live_numbers"] == {}
    assert article["archived"] is False
    # Nothing is published: the draft's title stands for the article (for its editors).
    assert article["title"] == "E-paraksts neizdodas"
    assert (draft["number"], draft["state"], draft["version"]) == (1, "draft", 1)
    assert (draft["article"], draft["author"], draft["cause"]) == (
        pk,
        writer.username,
        "Novecojis sertifikāts",
    )
    created = Article.objects.get(pk=pk)
    assert created.owner == writer
    assert AuditEvent.objects.for_object(created).get(verb="article.created").actor == writer

    assert ok(api.get(f"/articles/{pk}"))["services"] == [epak.pk]

    patched = ok(api.patch(f"/articles/{pk}", {"type": "workaround", "shared_with": []}))
    assert (patched["type"], patched["audience"]) == ("workaround", "internal")
    assert patched["shared_with"] == []
    assert patched["services"] == [epak.pk]  # left out: kept
    created.refresh_from_db()
    assert created.type == ArticleType.WORKAROUND
    assert not created.shared_with.exists()
    assert AuditEvent.objects.for_object(created).filter(verb="article.settings_changed").exists()


def test_revision_lifecycle(people: dict[str, User], write: Write) -> None:
    writer, manager = people["writer"], people["manager"]
    api, boss = Api(writer), Api(manager)
    first = write(writer)
    pk, r1 = first.article_id, first.pk

    saved = ok(
        api.put(
            f"/articles/{pk}/revisions/{r1}",
            {"title": "Parole aizmirsta", "body": "1. **Atveriet**", "expected_version": 1},
        )
    )
    assert (saved["version"], saved["state"]) == (2, "draft")
    assert saved["body_html"] == "<ol>\n<li><strong>Atveriet</strong></li>\n</ol>"
    assert ok(api.post(f"/articles/{pk}/revisions/{r1}/submit"))["state"] == "not_validated"
    published = ok(boss.post(f"/articles/{pk}/revisions/{r1}/publish"))
    assert (published["state"], published["is_live"]) == ("validated", True)
    assert published["reviewed_by"] == manager.username

    article = ok(api.get(f"/articles/{pk}"))
    assert article["live_numbers"] == {"lv": 1}
    [live] = article["live_revisions"]
    assert (live["id"], live["language"], live["number"], live["title"]) == (
        r1,
        "lv",
        1,
        "Parole aizmirsta",
    )
    assert live["body_html"] == "<ol>\n<li><strong>Atveriet</strong></li>\n</ol>"
    assert article["review_by"] is not None

    # A new draft copies the live text; asking again hands back the same open draft.
    second = ok(api.post(f"/articles/{pk}/revisions", {"language": "lv"}), 201)
    assert (second["number"], second["state"], second["based_on"]) == (2, "draft", r1)
    assert second["body"] == "1. **Atveriet**"
    assert ok(api.post(f"/articles/{pk}/revisions", {"language": "lv"}))["id"] == second["id"]
    r2 = second["id"]
    ok(
        api.put(
            f"/articles/{pk}/revisions/{r2}",
            {"title": "Parole aizmirsta", "body": "1. Zvaniet", "expected_version": 1},
        )
    )
    listed = ok(api.get(f"/articles/{pk}/revisions"))
    assert [(r["number"], r["state"], r["is_live"]) for r in listed] == [
        (2, "draft", False),
        (1, "validated", True),
    ]
    assert listed[0]["author"] == writer.username
    assert ok(api.get(f"/articles/{pk}/revisions/{r2}"))["body"] == "1. Zvaniet"

    diff = ok(api.get(f"/articles/{pk}/diff", a=r1, b=r2))["diff"]
    assert "-1. **Atveriet**" in diff
    assert "+1. Zvaniet" in diff

    # Reverting to r1 (by someone without an open draft) starts a new draft with r1's text.
    reverted = ok(boss.post(f"/articles/{pk}/revisions/{r1}/revert"), 201)
    assert (reverted["number"], reverted["body"], reverted["author"]) == (
        3,
        "1. **Atveriet**",
        manager.username,
    )

    archived = ok(boss.post(f"/articles/{pk}/archive"))
    assert archived["archived"] is True
    assert archived["archived_at"] is not None
    assert ArticleRevision.objects.get(pk=r2).state == State.ARCHIVED


def test_list_filters_and_pagination(
    people: dict[str, User], write: Write, epak: Service, institution: Institution
) -> None:
    writer, manager = people["writer"], people["manager"]
    solution = write(writer, "Risinājums", services=[epak], publisher=manager).article_id
    faq = write(writer, "BUJ", type=ArticleType.FAQ, audience=Audience.PUBLIC, publisher=manager)
    draft = write(writer, "Melnraksts").article_id
    waiting = write(writer, "Gaida").pk
    ops.submit_for_review(actor=writer, revision=ArticleRevision.objects.get(pk=waiting))
    waiting_article = ArticleRevision.objects.get(pk=waiting).article_id
    old = write(writer, "Vecs", publisher=manager).article
    ops.archive_article(actor=manager, article=old)
    Article.objects.filter(pk=solution).update(review_by=timezone.localdate() - timedelta(days=1))

    api = Api(writer)
    everything = {solution, faq.article_id, draft, waiting_article, old.pk}
    assert ids(ok(api.get("/articles"))) == everything
    assert ids(ok(api.get("/articles", institution="vra"))) == everything
    assert ids(ok(api.get("/articles", institution="spa"))) == set()
    assert ids(ok(api.get("/articles", type="faq"))) == {faq.article_id}
    assert ids(ok(api.get("/articles", audience="public"))) == {faq.article_id}
    assert ids(ok(api.get("/articles", service=epak.pk))) == {solution}
    assert ids(ok(api.get("/articles", state="published"))) == {solution, faq.article_id, old.pk}
    assert ids(ok(api.get("/articles", state="draft"))) == {draft}
    assert ids(ok(api.get("/articles", state="not_validated"))) == {waiting_article}
    assert ids(ok(api.get("/articles", state="archived"))) == {old.pk}
    assert ids(ok(api.get("/articles", due="true"))) == {solution}
    error(api.get("/articles", state="deleted"), 422)
    error(api.get("/articles", type="novel"), 422)

    page = ok(api.get("/articles", limit=2, offset=0))
    assert page["count"] == 5
    assert len(page["items"]) == 2
    rest = ok(api.get("/articles", limit=3, offset=2))
    assert ids(page) | ids(rest) == everything

    item = next(i for i in ok(api.get("/articles"))["items"] if i["id"] == solution)
    assert item["title"] == "Risinājums"
    assert (item["owner"], item["institution"], item["live_numbers"]) == (
        writer.username,
        "vra",
        {"lv": 1},
    )
    # Staff who may not edit read none of the draft text, whether or not they see the article.
    auditor = Api(people["auditor"])
    titles = {i["title"] for i in ok(auditor.get("/articles"))["items"]}
    assert titles.isdisjoint({"Melnraksts", "Gaida"})
    assert ids(ok(auditor.get("/articles", state="draft"))) == set()


def test_titles_follow_the_request_language(people: dict[str, User], write: Write) -> None:
    writer, manager = people["writer"], people["manager"]
    both = write(writer, "Parole aizmirsta", publisher=manager).article
    english = ops.start_revision(actor=writer, article=both, language="en")
    english = ops.save_draft(
        actor=writer,
        revision=english,
        text=ops.ArticleText(title="Forgotten password"),
        expected_version=english.version,
    )
    ops.publish_revision(actor=manager, revision=english)
    latvian_only = write(writer, "Tikai latviski", publisher=manager).article_id

    def titles(language: str) -> dict[int, tuple[str, str]]:
        items = ok(Api(writer, language).get("/articles"))["items"]
        return {i["id"]: (i["title"], i["language"]) for i in items}

    assert titles("en") == {
        both.pk: ("Forgotten password", "en"),
        latvian_only: ("Tikai latviski", "lv"),  # no English: falls back to Latvian
    }
    assert titles("lv")[both.pk] == ("Parole aizmirsta", "lv")
    detail = ok(Api(writer, "en").get(f"/articles/{both.pk}"))
    assert detail["live_numbers"] == {"lv": 1, "en": 1}
    assert {r["language"]: r["title"] for r in detail["live_revisions"]} == {
        "lv": "Parole aizmirsta",
        "en": "Forgotten password",
    }


# --- Authentication and permissions ----------------------------------------------------------


Endpoint = tuple[str, str, dict[str, Any] | None]


def endpoints(article: int, revision: int, flag: int, relation: int) -> list[Endpoint]:
    """Every endpoint but feedback, each with a valid payload (so that no schema error comes
    before the answer under test)."""
    a, r = f"/articles/{article}", f"/articles/{article}/revisions/{revision}"
    return [
        ("get", "/articles", None),
        ("post", "/articles", {"institution": "vra", "title": "X"}),
        ("get", a, None),
        ("patch", a, {"type": "faq"}),
        ("post", f"{a}/archive", None),
        ("get", f"{a}/diff?a={revision}&b={revision}", None),
        ("get", f"{a}/revisions", None),
        ("post", f"{a}/revisions", {"language": "lv"}),
        ("get", r, None),
        ("put", r, {"title": "X", "expected_version": 1}),
        ("post", f"{r}/submit", None),
        ("post", f"{r}/publish", None),
        ("post", f"{r}/revert", None),
        ("post", f"{a}/flags", {"reason": "X"}),
        ("get", "/flags", None),
        ("post", f"/flags/{flag}/reject", {"reason": "X"}),
        ("post", f"{a}/relations", {"other": article}),
        ("delete", f"/relations/{relation}", None),
    ]


@pytest.fixture
def scene(people: dict[str, User], write: Write) -> dict[str, Any]:
    """A published public article with a flag and a relation, and a draft article."""
    writer, manager = people["writer"], people["manager"]
    public = write(writer, "Publisks", audience=Audience.PUBLIC, publisher=manager)
    other = write(writer, "Cits", publisher=manager)
    flag = ops.flag_article(actor=manager, article=public.article, reason="Novecojis")
    relation = ops.relate_articles(
        actor=writer, article=public.article, other=other.article, kind="related"
    )
    return {
        "article": public.article_id,
        "revision": public.pk,
        "other": other.article_id,
        "flag": flag.pk,
        "relation": relation.pk,
    }


def test_every_endpoint_but_feedback_needs_credentials(scene: dict[str, Any]) -> None:
    """GET endpoints too, even for a public article: the API is for signed-in people and
    integrations; anonymous readers use the pages."""
    anonymous = Api(None)
    before = counts()
    every = endpoints(scene["article"], scene["revision"], scene["flag"], scene["relation"])
    for method, path, payload in every:
        body = error(anonymous.call(method, path, payload), 401)
        assert body["detail"] == "Authentication required: a valid API token or a login.", path
    bad = Api(None)
    bad.headers = {"Authorization": "Bearer zina_deadbeef_nope"}
    error(bad.get(f"/articles/{scene['article']}"), 401)
    # A wrong token is refused on the feedback endpoint too, not taken for an anonymous reader.
    error(bad.post(f"/articles/{scene['article']}/feedback", {"helpful": True}), 401)
    assert counts() == before


def test_forbidden_writes_are_403_json(
    people: dict[str, User], write: Write, scene: dict[str, Any], other_institution: Institution
) -> None:
    writer, manager = people["writer"], people["manager"]
    auditor, specialist = Api(people["auditor"]), Api(people["specialist"])
    shared = write(writer, "Visiem", shared_with_all=True, publisher=manager)
    draft = write(people["specialist"], "Mans")
    outsider = Api(people["outsider"])
    before = counts()

    # Staff who read but do not write.
    body = error(auditor.post("/articles", {"institution": "vra", "title": "X"}), 403)
    assert body["detail"] == FORBIDDEN
    error(auditor.post(f"/articles/{shared.article_id}/revisions", {"language": "lv"}), 403)
    # Staff of another institution read a shared article but do not change it.
    pk = shared.article_id
    assert ok(outsider.get(f"/articles/{pk}"))["title"] == "Visiem"
    error(outsider.patch(f"/articles/{pk}", {"type": "faq"}), 403)
    error(outsider.post(f"/articles/{pk}/revisions", {"language": "lv"}), 403)
    error(outsider.post(f"/articles/{pk}/archive"), 403)
    error(outsider.post(f"/articles/{pk}/relations", {"other": scene["article"]}), 403)
    # …nor write in another institution than their own.
    error(outsider.post("/articles", {"institution": "vra", "title": "X"}), 403)
    # A level-1 writer may not publish, nor widen an article to the public.
    error(specialist.post(f"/articles/{draft.article_id}/revisions/{draft.pk}/publish"), 403)
    error(specialist.patch(f"/articles/{draft.article_id}", {"audience": "public"}), 403)
    # A reader who may not edit does not remove relations.
    error(auditor.delete(f"/relations/{scene['relation']}"), 403)
    assert counts() == before
    assert Article.objects.get(pk=pk).type == ArticleType.SOLUTION
    assert ArticleFlag.objects.get(pk=scene["flag"]).state == FlagState.OPEN


def test_reporter_may_not_reject_their_flag(people: dict[str, User], write: Write) -> None:
    """The flag is visible to its reporter (their report) — rejecting it is the owner's."""
    revision = write(people["writer"], publisher=people["manager"])
    flag = ops.flag_article(actor=people["auditor"], article=revision.article, reason="Kļūda")
    api = Api(people["auditor"])
    assert ids(ok(api.get("/flags"))) == {flag.pk}
    error(api.post(f"/flags/{flag.pk}/reject", {"reason": "Nē"}), 403)
    assert ArticleFlag.objects.get(pk=flag.pk).state == FlagState.OPEN


def test_articles_the_user_may_not_see_are_404(
    people: dict[str, User], write: Write, scene: dict[str, Any]
) -> None:
    writer, manager = people["writer"], people["manager"]
    internal = write(writer, "Iekšējs", publisher=manager)  # VRA staff only
    experts = write(writer, "Ekspertiem", audience=Audience.EXPERTS, publisher=manager)
    hidden_relation = ops.relate_articles(
        actor=writer, article=internal.article, other=experts.article, kind="related"
    )
    cases = [(Api(people["outsider"]), internal), (Api(people["specialist"]), experts)]
    before = counts()
    for api, revision in cases:
        pk = revision.article_id
        assert pk not in ids(ok(api.get("/articles")))
        for method, path, payload in endpoints(pk, revision.pk, 0, hidden_relation.pk):
            if "/articles/" not in path and "/relations/" not in path:
                continue  # lists, creation and flags: not about this article
            body = error(api.call(method, path, payload), 404)
            assert body["detail"] == "Not found.", (method, path)
        error(api.post(f"/articles/{pk}/feedback", {"helpful": True}), 404)
        # Nor may they point their own relation at it.
        error(api.post(f"/articles/{scene['article']}/relations", {"other": pk}), 404)
    assert counts() == before


def test_drafts_are_404_for_readers_who_may_not_edit(people: dict[str, User], write: Write) -> None:
    published = write(people["writer"], publisher=people["manager"])
    pk = published.article_id
    draft = ops.start_revision(actor=people["writer"], article=published.article)
    auditor = Api(people["auditor"])
    assert [r["id"] for r in ok(auditor.get(f"/articles/{pk}/revisions"))] == [published.pk]
    error(auditor.get(f"/articles/{pk}/revisions/{draft.pk}"), 404)
    error(auditor.get(f"/articles/{pk}/diff", a=published.pk, b=draft.pk), 404)
    # A revision of another article under this article's path is not found either.
    other = write(people["writer"], "Cits", publisher=people["manager"])
    error(auditor.get(f"/articles/{pk}/revisions/{other.pk}"), 404)


# --- Invalid input and conflicts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "X" * 301}, "title"),
        ({"services": [999999]}, "services"),
        ({"shared_with": ["nav"]}, "shared_with"),
        ({"services": "foreign"}, "services"),  # a public service of another institution
    ],
    ids=["blank-title", "long-title", "unknown-service", "unknown-institution", "foreign"],
)
def test_invalid_articles_are_422(
    people: dict[str, User],
    spa_service: Service,
    payload: dict[str, Any],
    field: str,
) -> None:
    if payload.get("services") == "foreign":
        payload = {"services": [spa_service.pk]}
    api = Api(people["writer"])
    before = counts()
    body = error(api.post("/articles", {"institution": "vra", "title": "T", **payload}), 422)
    assert field in body["errors"]
    assert isinstance(body["detail"], str)
    assert counts() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"institution": "vra"},  # no title
        {"institution": "vra", "title": "T", "type": "novel"},
        {"institution": "vra", "title": "T", "audience": "everyone"},
        {"institution": "vra", "title": "T", "language": "de"},
        {"institution": "vra", "title": "T", "services": ["x"]},
    ],
    ids=["no-title", "type", "audience", "language", "service-id"],
)
def test_schema_errors_are_422(people: dict[str, User], payload: dict[str, Any]) -> None:
    api = Api(people["writer"])
    before = counts()
    error(api.post("/articles", payload), 422)
    assert counts() == before


def test_unknown_institution_is_404(people: dict[str, User]) -> None:
    error(Api(people["writer"]).post("/articles", {"institution": "nav", "title": "T"}), 404)


def test_invalid_lifecycle_steps_are_422(
    people: dict[str, User], write: Write, scene: dict[str, Any]
) -> None:
    writer, manager = people["writer"], people["manager"]
    api, boss = Api(writer), Api(manager)
    published = write(writer, publisher=manager)
    pk, rid = published.article_id, published.pk
    before = counts()
    body = error(
        api.put(f"/articles/{pk}/revisions/{rid}", {"title": "T", "expected_version": 1}), 422
    )
    assert body["detail"] == "Only drafts can be edited; start a new revision."
    assert error(api.post(f"/articles/{pk}/revisions/{rid}/submit"), 422)["detail"] == (
        "Only a draft can be submitted."
    )
    assert error(boss.post(f"/articles/{pk}/revisions/{rid}/publish"), 422)["detail"] == (
        "This revision is already published or archived."
    )
    body = error(api.post(f"/articles/{pk}/flags", {"reason": "  "}), 422)
    assert body["errors"] == {"reason": ["Say what is outdated or incorrect."]}
    body = error(api.post(f"/flags/{scene['flag']}/reject", {"reason": ""}), 422)
    assert body["detail"] == "Give the reason for rejecting."
    body = error(api.post(f"/articles/{pk}/relations", {"other": pk}), 422)
    assert body["errors"] == {"other": ["An article cannot be related to itself."]}
    error(api.post(f"/articles/{pk}/relations", {"other": scene["article"], "kind": "x"}), 422)
    error(api.post(f"/articles/{pk}/revisions", {"language": "de"}), 422)
    error(api.get(f"/articles/{pk}/diff", a="x", b=rid), 422)
    error(api.post(f"/articles/{pk}/feedback", {"helpful": True, "comment": "x" * 2001}), 422)
    assert counts() == before


def test_a_conflicting_save_is_409_with_a_diff(people: dict[str, User], write: Write) -> None:
    writer, colleague = people["writer"], people["specialist"]
    draft = write(writer, "Parole aizmirsta", body="Sākums")
    pk, rid = draft.article_id, draft.pk
    # Both open version 1; the colleague saves first.
    ok(
        Api(colleague).put(
            f"/articles/{pk}/revisions/{rid}",
            {"title": "Parole aizmirsta", "body": "Viņu teksts", "expected_version": 1},
        )
    )
    saved = revision_row(rid)
    api = Api(writer)
    before = counts()
    mine = {"title": "Parole aizmirsta", "body": "Mans teksts", "expected_version": 1}
    body = error(api.put(f"/articles/{pk}/revisions/{rid}", mine), 409)
    assert body["detail"] == (
        "Someone else saved this draft while you were editing it. Compare the changes, "
        "then save again."
    )
    assert body["version"] == 2
    assert "-Mans teksts" in body["diff"]
    assert "+Viņu teksts" in body["diff"]
    assert revision_row(rid) == saved
    assert counts() == before
    # Having compared, they save over the version they now know.
    again = ok(api.put(f"/articles/{pk}/revisions/{rid}", {**mine, "expected_version": 2}))
    assert (again["body"], again["version"]) == ("Mans teksts", 3)


# --- Feedback ------------------------------------------------------------------------------------


def test_feedback_from_a_signed_in_reader(people: dict[str, User], scene: dict[str, Any]) -> None:
    auditor = people["auditor"]
    body = ok(
        Api(auditor).post(
            f"/articles/{scene['article']}/feedback", {"helpful": False, "comment": " Par īsu "}
        ),
        201,
    )
    assert (body["article"], body["helpful"], body["comment"]) == (
        scene["article"],
        False,
        "Par īsu",
    )
    feedback = ArticleFeedback.objects.get(pk=body["id"])
    assert (feedback.user, feedback.address_hash) == (auditor, "")


def test_anonymous_feedback_on_a_public_article_is_rate_limited(
    people: dict[str, User],
    write: Write,
    scene: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ops, "FEEDBACK_PER_ADDRESS_PER_HOUR", 2)
    anonymous = Api(None)  # CSRF is enforced, and not needed without a login
    path = f"/articles/{scene['article']}/feedback"
    for _ in range(2):
        body = ok(anonymous.post(path, {"helpful": True}), 201)
    feedback = ArticleFeedback.objects.get(pk=body["id"])
    assert feedback.user is None
    assert feedback.address_hash == ops.address_hash("127.0.0.1")
    before = counts()
    body = error(anonymous.post(path, {"helpful": True}), 422)
    assert body["detail"] == "Too much feedback from your address. Try again later."
    assert counts() == before
    # Another address is counted on its own.
    ok(anonymous.post(path, {"helpful": False}, REMOTE_ADDR="10.1.2.3"), 201)
    # Signed-in readers are not limited by their address.
    ok(Api(people["auditor"]).post(path, {"helpful": True}), 201)

    # Anonymous readers see only public, published articles.
    internal = write(people["writer"], "Iekšējs", publisher=people["manager"])
    error(anonymous.post(f"/articles/{internal.article_id}/feedback", {"helpful": True}), 404)
    archived = write(
        people["writer"], "Arhīvs", audience=Audience.PUBLIC, publisher=people["manager"]
    ).article
    ops.archive_article(actor=people["manager"], article=archived)
    error(anonymous.post(f"/articles/{archived.pk}/feedback", {"helpful": True}), 404)


def test_feedback_with_a_login_still_checks_csrf(
    people: dict[str, User], scene: dict[str, Any]
) -> None:
    """A logged-in browser is not taken for an anonymous reader: without the CSRF token a
    cross-site form cannot answer in the user's name."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["auditor"])
    path = f"{API}/articles/{scene['article']}/feedback"
    before = counts()
    response = client.post(path, {"helpful": True}, content_type="application/json")
    assert response.status_code == 403
    assert counts() == before
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    response = client.post(
        path, {"helpful": True}, content_type="application/json", headers={"X-CSRFToken": secret}
    )
    assert response.status_code == 201, response.content
    assert ArticleFeedback.objects.get(pk=response.json()["id"]).user == people["auditor"]


def test_session_login_reads_the_api(people: dict[str, User], scene: dict[str, Any]) -> None:
    client = Client()
    client.force_login(people["auditor"])
    response = client.get(f"{API}/articles/{scene['article']}")
    assert response.status_code == 200
    assert response.json()["title"] == "Publisks"


# --- Flags and relations -----------------------------------------------------------------------


def test_flags_list_and_reject(
    people: dict[str, User], write: Write, scene: dict[str, Any]
) -> None:
    writer, reporter = people["writer"], people["auditor"]
    pk = scene["article"]
    flag = ok(Api(reporter).post(f"/articles/{pk}/flags", {"reason": " Saite nestrādā "}), 201)
    assert (flag["article"], flag["reason"], flag["state"], flag["reporter"]) == (
        pk,
        "Saite nestrādā",
        "open",
        reporter.username,
    )
    owner = Api(writer)
    assert ids(ok(owner.get("/flags"))) == {scene["flag"], flag["id"]}
    assert ids(ok(owner.get("/flags", article=pk))) == {scene["flag"], flag["id"]}
    assert ids(ok(owner.get("/flags", article=scene["other"]))) == set()
    assert ids(ok(Api(reporter).get("/flags"))) == {flag["id"]}  # only their own report
    assert ids(ok(Api(people["outsider"]).get("/flags"))) == set()

    rejected = ok(owner.post(f"/flags/{flag['id']}/reject", {"reason": "Saite strādā."}))
    assert (rejected["state"], rejected["resolution"]) == ("rejected", "Saite strādā.")
    assert rejected["closed_at"] is not None
    assert ids(ok(owner.get("/flags"))) == {scene["flag"]}
    assert ids(ok(owner.get("/flags", state="rejected"))) == {flag["id"]}
    assert ids(ok(owner.get("/flags", state="all"))) == {scene["flag"], flag["id"]}
    error(owner.post(f"/flags/{flag['id']}/reject", {"reason": "Vēlreiz"}), 422)
    error(owner.get("/flags", state="closed"), 422)
    # An invisible flag is not found.
    error(Api(people["outsider"]).post(f"/flags/{scene['flag']}/reject", {"reason": "X"}), 404)


def test_relations_add_and_remove(people: dict[str, User], write: Write) -> None:
    writer, manager = people["writer"], people["manager"]
    old = write(writer, "Vecs", publisher=manager).article_id
    new = write(writer, "Jauns", publisher=manager).article_id
    api = Api(writer)
    relation = ok(api.post(f"/articles/{new}/relations", {"other": old, "kind": "supersedes"}), 201)
    assert (relation["from_article"], relation["to_article"], relation["kind"]) == (
        new,
        old,
        "supersedes",
    )
    # Recording it again changes nothing.
    again = ok(api.post(f"/articles/{new}/relations", {"other": old, "kind": "supersedes"}), 201)
    assert again["id"] == relation["id"]
    assert ok(api.delete(f"/relations/{relation['id']}"), 204) is None
    assert not ArticleRelation.objects.exists()
    error(api.delete(f"/relations/{relation['id']}"), 404)
    verbs = list(
        AuditEvent.objects.filter(verb__in=["article.related", "article.unrelated"])
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["article.related", "article.unrelated"]


def test_the_list_does_not_query_per_article(people: dict[str, User], write: Write) -> None:
    writer, manager = people["writer"], people["manager"]
    api = Api(writer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            ok(api.get("/articles"))
        return len(captured)

    write(writer, "Pirmais", publisher=manager)
    write(writer, "Otrais")
    queries()  # once first: the token's last use and content types are written or cached
    few = queries()
    for n in range(4):
        write(writer, f"Vēl {n}", publisher=manager if n % 2 else None)
    assert queries() == few
