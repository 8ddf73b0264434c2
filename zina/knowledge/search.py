"""What the knowledge base puts in the search index.

One document per article and language: the live revision, or — before anything in that
language is published — the latest draft, which only editors find. Titles weigh most, then
symptoms and keywords, then the rest. The access tokens are those ``article_rule`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, register

from .choices import ArticleType, Audience, State
from .models import Article, ArticleRevision
from .permissions import article_rule

TYPE_LABELS = dict(ArticleType.choices)
AUDIENCE_LABELS = dict(Audience.choices)
STATE_LABELS = dict(State.choices)


_LINK_TABLES = (
    ("shared", Article.shared_with.through, "institution_id"),
    ("services", Article.services.through, "service_id"),
    ("resources", Article.resources.through, "resource_id"),
)
_URL_SENTINEL = 987_654_321_987  # stands for the primary key in one reversed URL


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[models.Model], name: str) -> str:
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))
    return connection.ops.quote_name(field.column or field.name)


def _links(pks: Sequence[int]) -> dict[str, dict[int, list[int]]]:
    """Per link table: article id → linked ids; and the authors of each article's revisions
    (``authors``) — in one plain query (searches hydrate hits through here)."""
    found: dict[str, dict[int, list[int]]] = {
        name: {} for name in (*(n for n, _, _ in _LINK_TABLES), "authors")
    }
    if not pks:
        return found
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(pks))
    parts = [
        f"SELECT '{name}', {quote('article_id')}, {quote(column)} "  # noqa: S608 (model names)
        f"FROM {_table(model)} WHERE {quote('article_id')} IN ({marks})"
        for name, model, column in _LINK_TABLES
    ]
    author = _column(ArticleRevision, "author")
    parts.append(
        f"SELECT DISTINCT 'authors', {_column(ArticleRevision, 'article')}, {author} "  # noqa: S608
        f"FROM {_table(ArticleRevision)} WHERE {_column(ArticleRevision, 'article')} IN ({marks})"
        f" AND {author} IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), list(pks) * len(parts))
        for name, article_id, other in cursor.fetchall():
            found[name].setdefault(article_id, []).append(other)
    return found


_ARTICLE_FIELDS = ("id", "type", "audience", "institution", "shared_with_all", "owner")
_REVISION_FIELDS = (
    "language",
    "is_live",
    "state",
    "title",
    "symptoms",
    "keywords",
    "environment",
    "cause",
    "resolution",
    "body",
    "updated_at",
)


@lru_cache(maxsize=64)
def _chosen_sql(vendor: str, count: int) -> str:
    """Per article and language: the live revision, else the newest (one statement)."""
    a = {name: "a." + _column(Article, name) for name in (*_ARTICLE_FIELDS, "archived_at")}
    r = {name: "r." + _column(ArticleRevision, name) for name in _REVISION_FIELDS}
    article, language = _column(ArticleRevision, "article"), _column(ArticleRevision, "language")
    live, number = _column(ArticleRevision, "is_live"), _column(ArticleRevision, "number")
    rev_id = _column(ArticleRevision, "id")
    columns = ", ".join([*a.values(), *r.values()])
    return (
        f"SELECT {columns} FROM {_table(Article)} a "  # noqa: S608 (model names)
        f"JOIN {_table(ArticleRevision)} r ON r.{article} = {a['id']} "
        f"WHERE {a['id']} IN ({', '.join(['%s'] * count)}) AND r.{rev_id} = ("
        f"SELECT r2.{rev_id} FROM {_table(ArticleRevision)} r2 "
        f"WHERE r2.{article} = r.{article} AND r2.{language} = r.{language} "
        f"ORDER BY r2.{live} DESC, r2.{number} DESC LIMIT 1) "
        f"ORDER BY {a['id']}, r.{language}"
    )


def _datetime(value: Any) -> datetime | None:
    """A timestamp as the ORM would give it (SQLite returns text, PostgreSQL datetimes)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(str(value))
        if value is None:
            return None
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


class _Article(NamedTuple):
    """The article columns ``_tokens`` reads."""

    pk: int
    type: str
    audience: str
    institution_id: int
    shared_with_all: bool
    owner_id: int | None
    archived_at: Any


def _tokens(
    article: Any,
    shared: list[int],
    services: list[int],
    resources: list[int],
    authors: set[int],
) -> set[str]:
    """The access tokens ``article_rule`` reads (``live`` is added per language)."""
    tokens = {f"aud:{article.audience}", f"inst:{article.institution_id}"}
    tokens |= {f"reach:{i}" for i in [article.institution_id, *shared]}
    if article.shared_with_all:
        tokens.add("reach:*")
    if article.archived_at:
        tokens.add("archived")
    tokens |= {f"svc:{s}" for s in services} | {f"res:{r}" for r in resources}
    if article.owner_id:
        tokens.add(f"owner:{article.owner_id}")
    return tokens | {f"author:{a}" for a in authors}


def build(pks: Sequence[int]) -> Iterable[IndexDoc]:
    """Documents of these articles, in two plain statements (rows and chosen revisions;
    links and authors): searches hydrate every hit through here."""
    pks = sorted({int(pk) for pk in pks})
    if not pks:
        return
    with connection.cursor() as cursor:
        cursor.execute(_chosen_sql(connection.vendor, len(pks)), pks)
        rows = cursor.fetchall()
    if not rows:
        return
    links = _links(sorted({row[0] for row in rows}))
    shared, services, resources = links["shared"], links["services"], links["resources"]
    authors = links["authors"]
    url = reverse("knowledge:article_detail", args=[_URL_SENTINEL])
    tokens_of: dict[int, set[str]] = {}
    width = len(_ARTICLE_FIELDS) + 1
    for row in rows:
        article = _Article._make(row[:width])
        (language, is_live, state, title, symptoms, keywords, *texts, updated_at) = row[width:]
        pk = article.pk
        if pk not in tokens_of:
            tokens_of[pk] = _tokens(
                article,
                shared.get(pk, []),
                services.get(pk, []),
                resources.get(pk, []),
                set(authors.get(pk, [])),
            )
        yield IndexDoc(
            kind="article",
            pk=pk,
            language=language,
            title=title,
            summary=f"{symptoms}\n{keywords}",
            body="\n".join(texts),
            acl=tokens_of[pk] | ({"live"} if is_live else set()),
            type=article.type,
            state=state,
            audience=article.audience,
            institution=article.institution_id,
            services=services.get(pk, []),
            date=_datetime(updated_at),
            url=url.replace(str(_URL_SENTINEL), str(pk)),
            # Lazy labels: translated only if a page shows them.
            meta={
                "type": TYPE_LABELS.get(article.type, article.type),
                "audience": AUDIENCE_LABELS.get(article.audience, article.audience),
                "state": STATE_LABELS.get(state, state),
            },
        )


register(
    DocType(
        kind="article",
        label=_("Knowledge article"),
        model=Article,
        build=build,
        rule=article_rule,
        sources={ArticleRevision: lambda rev: [rev.article_id]},
        labels={"type": TYPE_LABELS, "audience": AUDIENCE_LABELS, "state": STATE_LABELS},
    )
)
