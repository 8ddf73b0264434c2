"""Search over the REST API: ranked results with facets, and suggestions while typing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from . import queries
from .facets import read_filters

router = Router(tags=["search"])


class HitOut(Schema):
    kind: str
    id: int
    language: str
    title: str
    url: str
    snippet: str
    score: float


class ResultsOut(Schema):
    query: str
    total: int
    page: int
    pages: int
    did_you_mean: str
    approximate: bool
    rebuilding: bool
    hits: list[HitOut]
    facets: dict[str, dict[str, int]]


class SearchIn(Schema):
    q: str = ""
    page: int = 1
    per_page: int = 20
    sort: str = ""


class SuggestOut(Schema):
    articles: list[HitOut]
    similar: list[HitOut]


def _hits(results: queries.Results) -> list[dict[str, Any]]:
    return [
        {
            "kind": h.kind,
            "id": h.pk,
            "language": h.language,
            "title": h.title,
            "url": h.url,
            "snippet": str(h.snippet),
            "score": h.score,
        }
        for h in results.hits
    ]


@router.get("", response=ResultsOut, summary="Search everything the caller may see")
def search(request: HttpRequest, params: Query[SearchIn]) -> dict[str, Any]:
    """Filters repeat as query parameters: ``kind``, ``type``, ``state``, ``audience``,
    ``institution``, ``services``; ``since`` = 7, 30 or 365 days. Snippets are HTML with the
    matches in ``<mark>``, everything else escaped."""
    filters, since = read_filters(request.GET)
    per_page = min(max(params.per_page, 1), 100)
    results = queries.search(
        request.user,
        params.q,
        filters=filters,
        since_days=since,
        page=min(max(params.page, 1), 500),
        per_page=per_page,
        newest_first=params.sort == "new",
        facets=True,
        surface="api" if params.q else "",
    )
    return {
        "query": results.text,
        "total": results.total,
        "page": results.page,
        "pages": results.pages,
        "did_you_mean": results.did_you_mean,
        "approximate": results.approximate,
        "rebuilding": results.rebuilding,
        "hits": _hits(results),
        "facets": results.facets,
    }


class SuggestIn(Schema):
    q: str = ""
    subject: str = ""
    description: str = ""
    k: int = 5


@router.get("/suggest", response=SuggestOut, summary="Articles and similar tickets for text")
def suggest(request: HttpRequest, params: Query[SuggestIn]) -> dict[str, Any]:
    """For text being typed (a ticket's subject and description): the top ``k`` articles
    and similar tickets (possible duplicates), with scores."""
    text = " ".join(t for t in (params.q, params.subject, params.description) if t)[:2000]
    k = min(max(params.k, 1), 20)
    articles, similar = queries.suggestions(request.user, text, k)
    return {"articles": _hits(articles), "similar": _hits(similar) if similar else []}
