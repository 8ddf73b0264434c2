"""Search pages: results with facets, the suggestions component, clicks, knowledge gaps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from zina.accounts.roles import MANAGE_KNOWLEDGE, has_any_capability

from . import queries, registry
from .facets import date_options, facet_groups, read_filters
from .models import SearchLog
from .operations import record_click

PER_PAGE = 20


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return min(int(raw), 500) if raw.isdigit() and int(raw) > 0 else 1


def _search(request: HttpRequest, *, facets: bool, **extra: Any) -> queries.Results:
    text = request.GET.get("q", "").strip()[:500]
    filters, since = read_filters(request.GET)
    return queries.search(
        request.user,
        text,
        filters=filters,
        since_days=since,
        page=_page_number(request),
        per_page=PER_PAGE,
        newest_first=request.GET.get("sort") == "new",
        facets=facets,
        count=facets,
        **extra,
    )


def _facet_context(request: HttpRequest, results: queries.Results) -> dict[str, Any]:
    return {
        "groups": facet_groups(request.user, results.facets, request.GET, results.facet_labels),
        "dates": date_options(results.facets, request.GET),
    }


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Results first: the facet counts and the exact total come with a second request
    (``search_facets``, loaded by htmx), so a page does not wait for them. Without
    JavaScript, ``?facets=1`` renders them in the page."""
    text = request.GET.get("q", "").strip()[:500]
    with_facets = request.GET.get("facets") == "1"
    results = _search(
        request,
        facets=with_facets,
        surface="page" if text and _page_number(request) == 1 else "",
    )
    filters, since = read_filters(request.GET)
    context: dict[str, Any] = {
        "results": results,
        "q": text,
        "sort": request.GET.get("sort", ""),
        "filtered": bool(filters or since),
        "with_facets": with_facets,
        "groups": [],
        "dates": [],
    }
    if with_facets:
        context.update(_facet_context(request, results))
    return render(request, "search/search.html", context)


@require_GET
def search_facets(request: HttpRequest) -> HttpResponse:
    """The facet counts and the exact total of a search page (htmx partial, same query
    string), counted over what the user may see."""
    results = _search(request, facets=True, snippets=False)
    return render(
        request,
        "search/_facets.html",
        {"results": results, "oob": True, **_facet_context(request, results)},
    )


def suggestion_text(request: HttpRequest) -> str:
    """Free text from the fields being typed: ``q``, or a ticket's subject and description."""
    parts = [request.GET.get(name, "") for name in ("q", "subject", "description")]
    return " ".join(p.strip() for p in parts if p.strip())[:2000]


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """The suggestions component (htmx): the top articles (and, once tickets are indexed,
    similar tickets) for the text being typed."""
    text = suggestion_text(request)
    articles, similar = queries.suggestions(request.user, text)
    return render(
        request,
        "search/_suggest.html",
        {"articles": articles, "similar": similar, "text": text},
    )


@require_GET
def click(request: HttpRequest, log_id: int, kind: str, pk: int, rank: int) -> HttpResponse:
    """Record which result of a logged search was opened, then open it."""
    if kind not in registry.doc_types():
        raise Http404
    search = get_object_or_404(SearchLog, pk=log_id)
    language = request.GET.get("lang", "lv")[:5]
    item = queries.checked(request.user, [(kind, pk, language)]).get((kind, pk, language))
    if item is None:
        raise Http404
    record_click(search=search, kind=kind, object_id=pk, rank=rank)
    return HttpResponseRedirect(item.url)


@login_required
@require_GET
def gaps(request: HttpRequest) -> HttpResponse:
    """Searches that found nothing — the knowledge gaps — for knowledge managers."""
    if not (request.user.is_superuser or has_any_capability(request.user, {MANAGE_KNOWLEDGE})):
        raise PermissionDenied
    days_raw = request.GET.get("days", "30")
    days = int(days_raw) if days_raw in ("7", "30", "90", "365") else 30
    since = timezone.now() - timedelta(days=days)
    rows = (
        SearchLog.objects.filter(results=0, created_at__gte=since)
        .values("normalized")
        .annotate(times=Count("id"), last=Max("created_at"), example=Max("text"))
        .order_by("-times", "-last")[:200]
    )
    context: dict[str, Any] = {"rows": rows, "days": days, "choices": (7, 30, 90, 365)}
    context["total"] = SearchLog.objects.filter(created_at__gte=since).count()
    context["empty"] = SearchLog.objects.filter(results=0, created_at__gte=since).count()
    return render(request, "search/gaps.html", context)
