"""What the knowledge base puts in the search index.

One document per article and language: the live revision, or — before anything in that
language is published — the latest draft, which only editors find. Titles weigh most, then
symptoms and keywords, then the rest. The access tokens are those ``article_rule`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django.urls import reverse
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


def _links(pks: Sequence[int]) -> dict[str, dict[int, list[int]]]:
    """Per link table: article id → linked ids, in one plain query (searches hydrate hits
    through here, so it is kept lean)."""
    found: dict[str, dict[int, list[int]]] = {name: {} for name, _, _ in _LINK_TABLES}
    if not pks:
        return found
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(pks))
    sql = " UNION ALL ".join(
        f"SELECT '{name}', {quote('article_id')}, {quote(column)} "  # noqa: S608 (model names)
        f"FROM {quote(model._meta.db_table)} WHERE {quote('article_id')} IN ({marks})"
        for name, model, column in _LINK_TABLES
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(pks) * len(_LINK_TABLES))
        for name, article_id, other in cursor.fetchall():
            found[name].setdefault(article_id, []).append(other)
    return found


def _tokens(
    article: Article,
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
    articles = list(Article.objects.filter(pk__in=pks))
    pks = [a.pk for a in articles]
    links = _links(pks)
    shared, services, resources = links["shared"], links["services"], links["resources"]
    # Per article and language: the live revision, else the newest; and every author.
    chosen: dict[tuple[int, str], tuple[bool, int, int]] = {}
    authors: dict[int, set[int]] = {}
    for rev_id, article_id, language, is_live, number, author_id in ArticleRevision.objects.filter(
        article_id__in=pks
    ).values_list("id", "article_id", "language", "is_live", "number", "author_id"):
        authors.setdefault(article_id, set()).add(author_id)
        key = (article_id, language)
        if key not in chosen or (is_live, number) > chosen[key][:2]:
            chosen[key] = (is_live, number, rev_id)
    revisions: dict[int, list[ArticleRevision]] = {}
    for rev in ArticleRevision.objects.filter(pk__in=[c[2] for c in chosen.values()]):
        revisions.setdefault(rev.article_id, []).append(rev)
    for article in articles:
        linked = services.get(article.pk, [])
        tokens = _tokens(
            article,
            shared.get(article.pk, []),
            linked,
            resources.get(article.pk, []),
            authors.get(article.pk, set()) - {None},
        )
        for rev in sorted(revisions.get(article.pk, []), key=lambda r: r.language):
            yield IndexDoc(
                kind="article",
                pk=article.pk,
                language=rev.language,
                title=rev.title,
                summary=f"{rev.symptoms}\n{rev.keywords}",
                body="\n".join([rev.environment, rev.cause, rev.resolution, rev.body]),
                acl=tokens | ({"live"} if rev.is_live else set()),
                type=article.type,
                state=rev.state,
                audience=article.audience,
                institution=article.institution_id,
                services=linked,
                date=rev.updated_at,
                url=reverse("knowledge:article_detail", args=[article.pk]),
                # Lazy labels: translated only if a page shows them.
                meta={
                    "type": TYPE_LABELS.get(article.type, article.type),
                    "audience": AUDIENCE_LABELS.get(article.audience, article.audience),
                    "state": STATE_LABELS.get(rev.state, rev.state),
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
