"""Portal pages for service recipients (level 0, no login): public knowledge — home, browse by
service and category, FAQ per service, article, search with as-you-type suggestions — and
submitting — the four request forms with suggested articles, the private tracking page, and a
logged-in recipient's own requests.

Every read of knowledge goes through the anonymous visitor's visibility rule, whoever is
logged in: the portal is the public face, and shows only what the public may see."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zina.accounts.models import Institution
from zina.accounts.security import client_address
from zina.catalog.models import Service
from zina.core.forms import add_operation_errors
from zina.knowledge import operations as knowledge_ops
from zina.knowledge.choices import TEMPLATES, ArticleRelationKind, ArticleType
from zina.knowledge.models import Article, ArticleRelation
from zina.knowledge.rendering import render_markdown
from zina.search import queries
from zina.tickets.choices import Kind
from zina.tickets.models import Ticket

from . import operations as ops
from .forms import (
    KIND_HELP,
    KIND_SLUGS,
    KIND_TITLES,
    DeflectForm,
    FeedbackForm,
    ReplyForm,
    SubmitForm,
    localized_name,
)
from .models import Deflection

SEARCH_PER_PAGE = 10
SUGGESTIONS = 5


def _public() -> AnonymousUser:
    return AnonymousUser()


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return min(int(raw), 500) if raw.isdigit() and int(raw) > 0 else 1


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


def _categories() -> list[str]:
    return list(
        ops.public_services()
        .exclude(category="")
        .values_list("category", flat=True)
        .distinct()
        .order_by("category")
    )


def _kinds() -> list[dict[str, Any]]:
    return [
        {"slug": slug, "title": KIND_TITLES[kind], "help": KIND_HELP[kind]}
        for slug, kind in KIND_SLUGS.items()
    ]


def _titles(article_ids: list[int]) -> dict[int, str]:
    """Titles of public articles in the page's language (else the other one)."""
    language = translation.get_language()
    titles: dict[int, str] = {}
    for article in public_with_revisions().filter(pk__in=article_ids):
        live = article.live_revision(language)
        if live is not None:
            titles[article.pk] = live.title
    return titles


def public_with_revisions() -> Any:
    return ops.public_articles().prefetch_related("revisions")


def _article_items(articles: Any) -> list[dict[str, Any]]:
    language = translation.get_language()
    items = []
    for article in articles:
        live = article.live_revision(language)
        if live is not None:
            items.append({"article": article, "live": live})
    return items


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Search, browse by category and service, and the ways to submit a request."""
    categories = _categories()
    uncategorised = ops.public_services().filter(category="").select_related("institution")
    return render(
        request,
        "portal/home.html",
        {
            "categories": categories,
            "uncategorised": uncategorised.order_by("name")[:50],
            "service_count": ops.public_services().count(),
            "kinds": _kinds(),
        },
    )


@require_GET
def services(request: HttpRequest) -> HttpResponse:
    """Public services, all or of one category."""
    category = request.GET.get("category", "").strip()[:120]
    qs = ops.public_services().select_related("institution").order_by("name")
    if category:
        qs = qs.filter(category=category)
    page = Paginator(qs, 50).get_page(_page_number(request))
    return render(
        request,
        "portal/services.html",
        {"page": page, "category": category, "categories": _categories()},
    )


@require_GET
def service(request: HttpRequest, pk: int) -> HttpResponse:
    """One public service: its description, its FAQ and its other public articles."""
    svc = get_object_or_404(
        Service.objects.visible_to(_public()).select_related("institution"), pk=pk
    )
    linked = public_with_revisions().filter(services=svc).order_by("-updated_at")
    faq = _article_items(linked.filter(type=ArticleType.FAQ))
    others = _article_items(linked.exclude(type=ArticleType.FAQ)[:50])
    english = translation.get_language() == "en"
    return render(
        request,
        "portal/service.html",
        {
            "service": svc,
            "name": localized_name(svc),
            "description": (svc.description_en if english and svc.description_en else None)
            or svc.description,
            "institution_name": localized_name(svc.institution),
            "faq": faq,
            "articles": others,
            "kinds": _kinds(),
            "can_submit": ops.public_services().filter(pk=svc.pk).exists(),
        },
    )


@require_GET
def article(request: HttpRequest, pk: int) -> HttpResponse:
    """A public article (never anything else), with “Was this helpful?” and related articles."""
    item = get_object_or_404(public_with_revisions().select_related("institution"), pk=pk)
    language = translation.get_language()
    live = item.live_revision(language)
    if live is None:
        raise Http404
    knowledge_ops.record_view(user=request.user, article=item)
    return render(request, "portal/article.html", _article_context(item, live, FeedbackForm()))


def _article_context(item: Article, live: Any, form: FeedbackForm) -> dict[str, Any]:
    public = ops.public_articles()
    relations = (
        ArticleRelation.objects.visible_to(_public())
        .filter(from_article=item, to_article__in=public)
        .order_by("kind", "to_article_id")
    )
    related_ids = [r.to_article_id for r in relations]
    titles = _titles(related_ids)
    superseded_by = (
        public.filter(relations__to_article=item, relations__kind=ArticleRelationKind.SUPERSEDES)
        .order_by("-updated_at")
        .first()
    )
    return {
        "article": item,
        "live": live,
        "other_language": live.language != translation.get_language(),
        "sections": [
            (label, getattr(live, name))
            for name, label in TEMPLATES.get(item.type, [])
            if getattr(live, name)
        ],
        "html": render_markdown(live.body),
        "related": [
            {"pk": pk, "title": titles[pk], "kind": r.get_kind_display()}
            for r, pk in zip(relations, related_ids, strict=True)
            if pk in titles
        ],
        "superseded_by": superseded_by,
        "superseded_title": _titles([superseded_by.pk]).get(superseded_by.pk)
        if superseded_by
        else None,
        "services": [
            {"pk": s.pk, "name": localized_name(s)}
            for s in ops.public_services().filter(pk__in=item.services.values("pk"))
        ],
        "feedback_form": form,
    }


@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """“Was this helpful?” on a public article (rate-limited per address by the knowledge
    operation); a plain form, or an htmx swap of the feedback box."""
    item = get_object_or_404(ops.public_articles(), pk=pk)
    form = FeedbackForm(request.POST)
    thanks = False
    if form.is_valid():
        try:
            knowledge_ops.give_feedback(
                actor=request.user,
                article=item,
                helpful=form.cleaned_data["helpful"] == "yes",
                comment=form.cleaned_data["comment"],
                address=client_address(request),
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise Http404 from exc
            add_operation_errors(form, exc)
        else:
            thanks = True
    if request.headers.get("HX-Request"):
        return render(
            request, "portal/_feedback.html", {"article": item, "form": form, "thanks": thanks}
        )
    if thanks:
        messages.success(request, _("Thank you for your feedback."))
        return redirect("portal:article", pk=item.pk)
    live = item.live_revision(translation.get_language())
    if live is None:
        raise Http404
    return render(request, "portal/article.html", _article_context(item, live, form), status=400)


def _portal_hits(results: queries.Results) -> list[dict[str, Any]]:
    return [
        {
            "url": reverse("portal:article", args=[hit.pk]),
            "pk": hit.pk,
            "title": hit.title,
            "snippet": hit.snippet,
            "language": hit.language,
        }
        for hit in results.hits
        if hit.kind == "article"
    ]


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Search public articles."""
    text = request.GET.get("q", "").replace("\x00", "").strip()[:500]
    page = _page_number(request)
    results = queries.search(
        _public(),
        text,
        kinds=["article"],
        page=page,
        per_page=SEARCH_PER_PAGE,
        surface="portal" if text and page == 1 else "",
    )
    return render(
        request,
        "portal/search.html",
        {"q": text, "results": results, "hits": _portal_hits(results)},
    )


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """As-you-type suggestions (htmx partial): public articles for the search box (``q``) or
    for a request being written (``subject``, ``description``) — the latter with a “This
    answered my question” button that records a deflection instead of submitting."""
    parts = [request.GET.get(name, "") for name in ("q", "subject", "description")]
    text = " ".join(p.strip() for p in parts if p.strip()).replace("\x00", "")[:2000]
    results = queries.search(
        _public(), text, kinds=["article"], per_page=SUGGESTIONS, as_you_type=True, count=False
    )
    submitting = "subject" in request.GET or "description" in request.GET
    kind = request.GET.get("kind", "")
    return render(
        request,
        "portal/_suggest.html",
        {
            "text": text,
            "hits": _portal_hits(results),
            "submitting": submitting,
            "kind": kind if kind in Kind.values else "",
            "service": _int(request.GET.get("service")),
            "institution": _int(request.GET.get("institution")),
        },
    )


@require_GET
def submit_choose(request: HttpRequest) -> HttpResponse:
    """Which kind of request: the four forms."""
    service_id = _int(request.GET.get("service"))
    return render(request, "portal/submit_choose.html", {"kinds": _kinds(), "service": service_id})


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, kind_slug: str) -> HttpResponse:
    """One of the four forms; matching public articles are suggested while typing."""
    kind = KIND_SLUGS.get(kind_slug)
    if kind is None:
        raise Http404
    if request.method == "POST":
        form = SubmitForm(request.POST, kind=kind, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            email = data["email"] or (request.user.email if request.user.is_authenticated else "")
            try:
                ticket = ops.submit_request(
                    actor=request.user,
                    submission=ops.Submission(
                        kind=kind,
                        subject=data["subject"],
                        description=data["description"],
                        name=data["name"],
                        email=email,
                        phone=data["phone"],
                        service=data["service"],
                        institution=data.get("institution"),
                        language=translation.get_language() or "lv",
                    ),
                    address=client_address(request),
                )
            except ValidationError as exc:
                add_operation_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Thank you. Your request is registered as %(ref)s. We sent the "
                        "reference and a private link to this page to your e-mail address."
                    )
                    % {"ref": ticket.reference},
                )
                return redirect("portal:track", token=ops.tracking_token(ticket))
        status = 400
    else:
        initial: dict[str, Any] = {}
        service_id = _int(request.GET.get("service"))
        if service_id and ops.public_services().filter(pk=service_id).exists():
            initial["service"] = service_id
        for name in ("subject", "description"):
            if request.GET.get(name):
                initial[name] = request.GET[name][: 300 if name == "subject" else 5000]
        form = SubmitForm(initial=initial, kind=kind, user=request.user)
        status = 200
    return render(
        request,
        "portal/submit.html",
        {
            "form": form,
            "kind": kind,
            "kind_slug": kind_slug,
            "title": KIND_TITLES[kind],
            "help": KIND_HELP[kind],
        },
        status=status,
    )


@require_POST
def deflect(request: HttpRequest) -> HttpResponse:
    """“This answered my question”: record a deflection, and open the article."""
    form = DeflectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Something went wrong. Please try again."))
        return redirect("portal:submit_choose")
    data = form.cleaned_data
    item = get_object_or_404(ops.public_articles(), pk=data["article"])
    svc = (
        ops.public_services().filter(pk=data["service"]).select_related("institution").first()
        if data["service"]
        else None
    )
    institution = (
        Institution.objects.visible_to(_public()).filter(pk=data["institution"]).first()
        if data["institution"]
        else None
    )
    try:
        ops.record_deflection(
            article=item,
            source=Deflection.Source.SUBMIT_FORM,
            service=svc,
            institution=institution,
            kind=data["kind"] or "",
            query=data["query"] or "",
            address=client_address(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("We are glad it helped. Nothing was sent; you can close this page.")
        )
    return redirect("portal:article", pk=item.pk)


def _request_page(
    request: HttpRequest, ticket: Ticket, form: ReplyForm, *, token: str | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "portal/request.html",
        {
            "ticket": ticket,
            "entries": ops.public_entries(ticket),
            "form": form,
            "token": token,
            "service_name": localized_name(ticket.service) if ticket.service_id else "",
            "institution_name": localized_name(ticket.institution),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, token: str) -> HttpResponse:
    """The private tracking page of a request: subject, state and the public conversation;
    the reporter replies here without logging in."""
    ticket = ops.ticket_for_token(token)
    if ticket is None:
        raise Http404
    form = ReplyForm()
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                ops.reply_by_tracking_link(
                    ticket=ticket, body=form.cleaned_data["body"], address=client_address(request)
                )
            except ValidationError as exc:
                add_operation_errors(form, exc)
            else:
                messages.success(request, _("Your message was sent."))
                return redirect("portal:track", token=token)
        return _request_page(request, ticket, form, token=token, status=400)
    return _request_page(request, ticket, form, token=token)


def _my_tickets(user: Any) -> Any:
    return (
        Ticket.objects.visible_to(user)
        .filter(reporter=user)
        .select_related("institution", "service")
        .order_by("-created_at")
    )


@login_required
@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    """A logged-in recipient's own requests."""
    page = Paginator(_my_tickets(request.user), 25).get_page(_page_number(request))
    return render(request, "portal/my_requests.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def my_request(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the recipient's own requests, with the public conversation and a reply form."""
    ticket = get_object_or_404(_my_tickets(request.user), pk=pk)
    form = ReplyForm()
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                ops.reply_as_reporter(
                    actor=request.user,
                    ticket=ticket,
                    body=form.cleaned_data["body"],
                    address=client_address(request),
                )
            except ValidationError as exc:
                add_operation_errors(form, exc)
            else:
                messages.success(request, _("Your message was sent."))
                return redirect("portal:my_request", pk=ticket.pk)
        return _request_page(request, ticket, form, token=None, status=400)
    return _request_page(request, ticket, form, token=None)
