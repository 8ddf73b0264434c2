"""What the knowledge base puts in the search index.

One document per article and language: the live revision, or — before anything in that
language is published — the latest draft, which only editors find. Titles weigh most, then
symptoms and keywords, then the rest. The access tokens are those ``article_rule`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, register

from .choices import ArticleType, Audience, State
from .models import Article, ArticleRevision
from .permissions import article_rule


def _current(revisions: Iterable[ArticleRevision]) -> dict[str, ArticleRevision]:
    """Per language: the live revision, else the newest one."""
    chosen: dict[str, ArticleRevision] = {}
    for rev in sorted(revisions, key=lambda r: (r.is_live, r.number)):
        chosen[rev.language] = rev
    return chosen


def _tokens(article: Any, revisions: Sequence[ArticleRevision]) -> set[str]:
    """The access tokens ``article_rule`` reads (``live`` is added per language)."""
    tokens = {f"aud:{article.audience}", f"inst:{article.institution_id}"}
    tokens |= {f"reach:{i.pk}" for i in article.shared_list} | {f"reach:{article.institution_id}"}
    if article.shared_with_all:
        tokens.add("reach:*")
    if article.archived_at:
        tokens.add("archived")
    tokens |= {f"svc:{s.pk}" for s in article.service_list}
    tokens |= {f"res:{r.pk}" for r in article.resource_list}
    if article.owner_id:
        tokens.add(f"owner:{article.owner_id}")
    tokens |= {f"author:{r.author_id}" for r in revisions if r.author_id}
    return tokens


def build(pks: Sequence[int]) -> Iterable[IndexDoc]:
    articles = Article.objects.filter(pk__in=pks).prefetch_related(
        "revisions",
        Prefetch("shared_with", to_attr="shared_list"),
        Prefetch("services", to_attr="service_list"),
        Prefetch("resources", to_attr="resource_list"),
    )
    for article in articles:
        revisions = list(article.revisions.all())
        services = [s.pk for s in article.service_list]
        tokens = _tokens(article, revisions)
        for language, rev in _current(revisions).items():
            yield IndexDoc(
                kind="article",
                pk=article.pk,
                language=language,
                title=rev.title,
                summary=f"{rev.symptoms}\n{rev.keywords}",
                body="\n".join([rev.environment, rev.cause, rev.resolution, rev.body]),
                acl=tokens | ({"live"} if rev.is_live else set()),
                type=article.type,
                state=rev.state,
                audience=article.audience,
                institution=article.institution_id,
                services=services,
                date=rev.updated_at,
                url=reverse("knowledge:article_detail", args=[article.pk]),
                meta={
                    "type": article.get_type_display(),
                    "audience": article.get_audience_display(),
                    "state": rev.get_state_display(),
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
        labels={
            "type": dict(ArticleType.choices),
            "audience": dict(Audience.choices),
            "state": dict(State.choices),
        },
    )
)
