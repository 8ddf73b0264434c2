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
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, register, url_maker

from .choices import ArticleType, Audience, State
from .models import Article, ArticleRevision
from .permissions import article_rule

TYPE_LABELS = dict(ArticleType.choices)
AUDIENCE_LABELS = dict(Audience.choices)
STATE_LABELS = dict(State.choices)


# The link tables, in the order ``build`` reads their lists: shared with, services, resources.
_LINK_TABLES = (
    (Article.shared_with.through, "institution_id"),
    (Article.services.through, "service_id"),
    (Article.resources.through, "resource_id"),
)


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[models.Model], name: str) -> str:
    field = cast("models.Field[Any, Any]", model._meta.get_field(name))
    return connection.ops.quote_name(field.column or field.name)


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


def _id_list(vendor: str, column: str, *, distinct: bool = False) -> str:
    """An aggregate of ``column`` as comma-separated text (NULL when no row)."""
    first = "DISTINCT " if distinct else ""
    if vendor == "postgresql":
        return f"string_agg({first}{column}::text, ',')"
    return f"group_concat({first}{column})"


@lru_cache(maxsize=64)
def _chosen_sql(vendor: str, count: int) -> str:
    """Per article and language: the live revision, else the newest; and the article's
    links and its revisions' authors as lists of ids (one statement: a second one for the
    links cost a search 0.7 ms more on PostgreSQL)."""
    a = {name: "a." + _column(Article, name) for name in (*_ARTICLE_FIELDS, "archived_at")}
    r = {name: "r." + _column(ArticleRevision, name) for name in _REVISION_FIELDS}
    article, language = _column(ArticleRevision, "article"), _column(ArticleRevision, "language")
    live, number = _column(ArticleRevision, "is_live"), _column(ArticleRevision, "number")
    rev_id, author = _column(ArticleRevision, "id"), _column(ArticleRevision, "author")
    quote = connection.ops.quote_name
    lists = [
        f"(SELECT {_id_list(vendor, 'l.' + quote(column))} "  # noqa: S608 (model names)
        f"FROM {_table(model)} l WHERE l.{quote('article_id')} = {a['id']})"
        for model, column in _LINK_TABLES
    ]
    authors = _id_list(vendor, "w." + author, distinct=True)
    lists.append(
        f"(SELECT {authors} FROM {_table(ArticleRevision)} w "  # noqa: S608 (model names)
        f"WHERE w.{article} = {a['id']} AND w.{author} IS NOT NULL)"
    )
    columns = ", ".join([*a.values(), *r.values(), *lists])
    return (
        f"SELECT {columns} FROM {_table(Article)} a "  # noqa: S608 (model names)
        f"JOIN {_table(ArticleRevision)} r ON r.{article} = {a['id']} "
        f"WHERE {a['id']} IN ({', '.join(['%s'] * count)}) AND r.{rev_id} = ("
        f"SELECT r2.{rev_id} FROM {_table(ArticleRevision)} r2 "
        f"WHERE r2.{article} = r.{article} AND r2.{language} = r.{language} "
        f"ORDER BY r2.{live} DESC, r2.{number} DESC LIMIT 1) "
        f"ORDER BY {a['id']}, r.{language}"
    )


def _ids(text: str | None) -> list[int]:
    return [int(i) for i in text.split(",")] if text else []


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
    """Documents of these articles, in one plain statement (rows, chosen revisions, links
    and authors): searches hydrate every hit through here."""
    pks = sorted({int(pk) for pk in pks})
    if not pks:
        return
    with connection.cursor() as cursor:
        cursor.execute(_chosen_sql(connection.vendor, len(pks)), pks)
        rows = cursor.fetchall()
    url = url_maker("knowledge:article_detail")
    tokens_of: dict[int, set[str]] = {}
    width = len(_ARTICLE_FIELDS) + 1
    for row in rows:
        article = _Article._make(row[:width])
        *revision, shared, services_, resources, authors = row[width:]
        (language, is_live, state, title, symptoms, keywords, *texts, updated_at) = revision
        pk = article.pk
        services = _ids(services_)
        if pk not in tokens_of:
            tokens_of[pk] = _tokens(
                article, _ids(shared), services, _ids(resources), set(_ids(authors))
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
            services=services,
            date=_datetime(updated_at),
            url=url(pk),
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
