"""Knowledge (KCS) metrics: whether knowledge is captured, reused, kept current and found.

Every figure starts from the context's permission-filtered querysets (``ctx.tickets``,
``ctx.articles``), so an article the viewer may not read, or one of another institution,
never reaches a table — not even as a count. Aggregates run in the database; the only work in
Python is over small sets already cut down by SQL (one period's first publications, the few
hundred most recent incidents that the knowledge gaps cluster, a table's capped rows).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zina.core.permissions import can, is_superuser
from zina.knowledge.choices import ArticleType, ReaderKind, TicketRelation
from zina.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleTicketLink,
    ArticleViewCount,
)
from zina.portal.models import AssistantSession, AssistantTurn, Deflection
from zina.search.analyzer import index_terms
from zina.search.models import SearchLog
from zina.tickets.choices import PREFIXES, Channel, Kind, Level, State
from zina.tickets.models import Ticket

from ..context import ReportContext, metric
from ..tables import Action, Cell, Chart, Column, Table, percent

# Row caps: a dashboard table is read, not scrolled; the note says how many there were.
TOP_ROWS = 20
LIST_ROWS = 50
SERVICE_ROWS = 50
# Knowledge gaps: how many recent incidents are clustered, how alike two subjects must be
# (weighted Jaccard of their analysed terms), and how many clusters are shown.
GAP_INCIDENTS = 300
GAP_SIMILARITY = 0.55
GAP_CLUSTERS = 20
# Finished incidents: resolved, or closed after being resolved.
FINISHED = (State.RESOLVED, State.CLOSED)


# --- shared pieces ---------------------------------------------------------------------------


def _ticket_links() -> QuerySet[ArticleTicketLink]:
    """Article links whose other end is a ticket of the tickets app."""
    return ArticleTicketLink.objects.filter(ticket_type=ContentType.objects.get_for_model(Ticket))


def _has_article(ref: str = "pk") -> Exists:
    """The ticket at ``ref`` has at least one linked article (any relation)."""
    return Exists(_ticket_links().filter(ticket_id=OuterRef(ref)))


def _in_scope(ctx: ReportContext, ref: str) -> Exists:
    """The ticket whose id is at ``ref`` is one of the viewer's tickets in scope."""
    return Exists(ctx.tickets.filter(pk=OuterRef(ref)))


def _articles(ctx: ReportContext) -> QuerySet[Article]:
    """The viewer's articles in scope, as a plain (non-distinct) queryset safe to group."""
    return Article.objects.filter(pk__in=ctx.articles.values("pk"))


def _live() -> Exists:
    return Exists(ArticleRevision.objects.filter(article=OuterRef("pk"), is_live=True))


def _title() -> Subquery:
    """The article's title as the viewer would read it: the live revision (in the viewer's
    language first), else the newest draft (only editors see articles without one)."""
    language = (translation.get_language() or "lv")[:2]
    revisions = ArticleRevision.objects.filter(article=OuterRef("pk")).order_by(
        Case(When(is_live=True, then=Value(0)), default=Value(1)),
        Case(When(language=language, then=Value(0)), default=Value(1)),
        "-number",
    )
    return Subquery(revisions.values("title")[:1])


def _article_link(pk: int, title: str | None) -> tuple[str, str]:
    return (title or f"#{pk}", reverse("knowledge:article_detail", args=[pk]))


def _person(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _type_label(value: str) -> str:
    return str(dict(ArticleType.choices).get(value, value))


def _shown_note(shown: int, total: int) -> str:
    if total <= shown:
        return ""
    return ngettext(
        "Showing %(shown)d of %(total)d row.",
        "Showing %(shown)d of %(total)d rows.",
        total,
    ) % {"shown": shown, "total": total}


def _finished_incidents(ctx: ReportContext) -> QuerySet[Ticket]:
    """Incidents resolved in the period and still resolved or closed. A ticket is closed only
    once resolved and reopening clears both times, so ``resolved_at`` dates both (one range
    on one column: an index on (kind, resolved_at) serves it)."""
    return ctx.created_in(ctx.tickets.filter(kind=Kind.INCIDENT, state__in=FINISHED), "resolved_at")


# --- capture and reuse -----------------------------------------------------------------------


@metric("knowledge.link_rate")
def link_rate(ctx: ReportContext) -> Table:
    groups = list(
        _finished_incidents(ctx)
        .values("service_id", "service__name")
        .annotate(closed=Count("pk"), linked=Count("pk", filter=Q(_has_article())))
        .order_by("-closed", "service__name")
    )
    closed = sum(g["closed"] for g in groups)
    linked = sum(g["linked"] for g in groups)
    rows: list[list[Cell]] = []
    if groups:
        rows.append([_("All services"), closed, linked, percent(linked, closed)])
    for g in groups[:SERVICE_ROWS]:
        label = g["service__name"] if g["service_id"] else _("No service")
        rows.append([label, g["closed"], g["linked"], percent(g["linked"], g["closed"])])
    return Table(
        key="knowledge.link_rate",
        title=_("Link rate"),
        description=_(
            "Incidents resolved in the period that have at least one linked knowledge article, "
            "out of all incidents resolved in the period, overall and per service."
        ),
        columns=[
            Column("service", _("Service")),
            Column("closed", _("Resolved incidents"), "int"),
            Column("linked", _("With an article"), "int"),
            Column("rate", _("Link rate"), "percent"),
        ],
        rows=rows,
        chart=Chart("bar", "service", ("rate",)) if rows else None,
        note=_shown_note(SERVICE_ROWS, len(groups))
        if rows
        else _("No incidents were resolved in this period."),
    )


@metric("knowledge.reuse")
def reuse(ctx: ReportContext) -> Table:
    # Correlated EXISTS, not IN: the period's links are few, the viewer's tickets many.
    links = ctx.created_in(_ticket_links()).filter(_in_scope(ctx, "ticket_id"))
    counts = {
        row["relation"]: row
        for row in links.values("relation").annotate(
            links=Count("pk"),
            articles=Count("article_id", distinct=True),
            tickets=Count("ticket_id", distinct=True),
        )
    }
    total = sum(row["links"] for row in counts.values())
    labels = {
        TicketRelation.USED_TO_RESOLVE: _("Existing articles used to resolve"),
        TicketRelation.CREATED_FROM: _("New articles created from tickets"),
    }
    rows: list[list[Cell]] = []
    for relation, label in labels.items():
        row = counts.get(relation, {})
        n = row.get("links", 0)
        rows.append([label, n, row.get("articles", 0), row.get("tickets", 0), percent(n, total)])
    return Table(
        key="knowledge.reuse",
        title=_("Reuse"),
        description=_(
            "Links made in the period between tickets and articles: existing articles used to "
            "resolve tickets against new articles written from them; the reuse rate is the "
            "first row's share."
        ),
        columns=[
            Column("relation", _("Kind of link")),
            Column("links", _("Links"), "int"),
            Column("articles", _("Articles"), "int"),
            Column("tickets", _("Tickets"), "int"),
            Column("share", _("Share"), "percent"),
        ],
        rows=rows if total else [],
        chart=Chart("bar", "relation", ("links",)) if total else None,
        note="" if total else _("No articles were linked to tickets in this period."),
    )


@metric("knowledge.from_tickets")
def from_tickets(ctx: ReportContext) -> Table:
    created_from = _ticket_links().filter(
        article_id=OuterRef("pk"), relation=TicketRelation.CREATED_FROM
    )
    archived = Q(archived_at__isnull=False)
    groups = (
        ctx.created_in(_articles(ctx))
        .filter(Exists(created_from))
        .annotate(live=_live())
        .values("type")
        .annotate(
            total=Count("pk"),
            published=Count("pk", filter=Q(live=True) & ~archived),
            in_progress=Count("pk", filter=Q(live=False) & ~archived),
            archived=Count("pk", filter=archived),
        )
        .order_by("-total", "type")
    )
    rows: list[list[Cell]] = [
        [
            _type_label(g["type"]),
            g["total"],
            g["in_progress"],
            g["published"],
            g["archived"],
        ]
        for g in groups
    ]
    return Table(
        key="knowledge.from_tickets",
        title=_("Articles created from tickets"),
        description=_(
            "Articles started in the period from a ticket (KCS capture), by type and by where "
            "they are now: still a draft or in review, published, or archived."
        ),
        columns=[
            Column("type", _("Type")),
            Column("total", _("Articles"), "int"),
            Column("in_progress", _("Draft or in review"), "int"),
            Column("published", _("Published"), "int"),
            Column("archived", _("Archived"), "int"),
        ],
        rows=rows,
        chart=Chart("stacked", "type", ("in_progress", "published", "archived")) if rows else None,
        note="" if rows else _("No articles were created from tickets in this period."),
    )


@metric("knowledge.time_to_publish")
def time_to_publish(ctx: ReportContext) -> Table:
    # First publication = the earliest approval of any revision; only articles whose first
    # publication falls in the period (HAVING), a set small enough for a median in Python.
    firsts = _articles(ctx).annotate(
        first_published=Min("revisions__reviewed_at"),
        first_created=Min("revisions__created_at"),
    )
    found = ctx.created_in(firsts, "first_published").values_list(
        "type", "first_created", "first_published"
    )
    minutes: dict[str, list[float]] = defaultdict(list)
    for kind, created, published in found:
        minutes[kind].append(max(0.0, (published - created).total_seconds() / 60))
    everything = [m for values in minutes.values() for m in values]

    def row(label: str, values: list[float]) -> list[Cell]:
        return [
            label,
            len(values),
            round(statistics.fmean(values), 1),
            round(statistics.median(values), 1),
        ]

    rows: list[list[Cell]] = []
    if everything:
        rows.append(row(_("All types"), everything))
        for kind in sorted(minutes, key=lambda k: (-len(minutes[k]), k)):
            rows.append(row(_type_label(kind), minutes[kind]))
    return Table(
        key="knowledge.time_to_publish",
        title=_("Time to publish"),
        description=_(
            "For articles first published in the period: the time from their first draft to "
            "that publication, mean and median."
        ),
        columns=[
            Column("type", _("Type")),
            Column("articles", _("Articles"), "int"),
            Column("mean", _("Mean"), "minutes"),
            Column("median", _("Median"), "minutes"),
        ],
        rows=rows,
        chart=Chart("bar", "type", ("mean", "median")) if rows else None,
        note="" if rows else _("No articles were published for the first time in this period."),
    )


# --- self-service ----------------------------------------------------------------------------


def _narrowed_services(ctx: ReportContext) -> set[int] | None:
    """The services a dashboard or filter narrows to (None: not narrowed)."""
    services: set[int] | None = None
    if ctx.scope.services is not None:
        services = set(ctx.scope.services)
    if ctx.filters.services:
        wanted = set(ctx.filters.services)
        services = wanted if services is None else services & wanted
    return services


def _deflections(ctx: ReportContext) -> QuerySet[Deflection]:
    """Portal deflections the viewer may count: their institution's, about their services."""
    rows = ctx.created_in(Deflection.objects.visible_to(ctx.user))
    if ctx.scope.institutions is not None:
        rows = rows.filter(institution_id__in=ctx.scope.institutions)
    services = _narrowed_services(ctx)
    if services is not None:
        rows = rows.filter(
            Q(service_id__in=services)
            | Q(service__isnull=True, article_id__in=ctx.articles.values("pk"))
        )
    return rows


def _session_counts(ctx: ReportContext) -> dict[str, int]:
    """Assistant sessions started in the period that belong to the viewer's part: the request
    it became is one of its tickets, or one of its articles answered in it. Sessions that
    reached no institution are counted only where nothing narrows the view (superusers).

    Two aggregates over disjoint sets rather than one ``EXISTS … OR EXISTS …``: each EXISTS
    then stands alone in its WHERE and becomes a semi- or anti-join (an index lookup per
    session), where the OR made PostgreSQL hash every ticket the viewer sees."""
    became_request = Q(outcome=AssistantSession.Outcome.ESCALATED) | Q(ticket__isnull=False)
    counts = {
        "total": Count("pk"),
        "requests": Count("pk", filter=became_request),
        "helped": Count("pk", filter=Q(outcome=AssistantSession.Outcome.HELPED) & ~became_request),
    }
    sessions = ctx.created_in(AssistantSession.objects.all(), "started_at")
    unlimited = (
        is_superuser(ctx.user)
        and ctx.scope.institutions is None
        and ctx.scope.services is None
        and ctx.scope.resources is None
        and not ctx.filters.services
    )
    if unlimited:
        return sessions.aggregate(**counts)
    request_here = _in_scope(ctx, "ticket_id")
    answered_here = Exists(
        AssistantTurn.objects.filter(
            session=OuterRef("pk"), article_id__in=ctx.articles.values("pk")
        )
    )
    by_request = sessions.filter(ticket__isnull=False).filter(request_here).aggregate(**counts)
    by_answer = sessions.filter(answered_here).exclude(request_here).aggregate(**counts)
    return {key: by_request[key] + by_answer[key] for key in counts}


@metric("knowledge.self_service")
def self_service(ctx: ReportContext) -> Table:
    deflected = (
        _deflections(ctx)
        .exclude(source=Deflection.Source.ASSISTANT)  # the sessions below count those
        .count()
    )
    sessions = _session_counts(ctx)
    tickets = ctx.created_in().aggregate(
        portal=Count(
            "pk",
            filter=Q(channel=Channel.PORTAL, kind__in=(Kind.INCIDENT, Kind.REQUEST))
            & ~Q(level=Level.SELF_SERVICE),
        ),
        level0=Count("pk", filter=Q(level=Level.SELF_SERVICE)),
    )
    assistant_without = sessions["total"] - sessions["requests"]
    rows: list[list[Cell]] = [
        [
            _("Portal (search and submission form)"),
            deflected,
            deflected,
            tickets["portal"],
            percent(deflected, deflected + tickets["portal"]),
        ],
        [
            _("Virtual assistant"),
            assistant_without,
            sessions["helped"],
            sessions["requests"],
            percent(assistant_without, sessions["total"]),
        ],
        [
            _("Level-0 answers recorded as tickets"),
            tickets["level0"],
            tickets["level0"],
            0,
            percent(tickets["level0"], tickets["level0"]),
        ],
    ]
    without = deflected + assistant_without + tickets["level0"]
    requests = tickets["portal"] + sessions["requests"]
    rows.append(
        [
            _("Total"),
            without,
            deflected + sessions["helped"] + tickets["level0"],
            requests,
            percent(without, without + requests),
        ]
    )
    return Table(
        key="knowledge.self_service",
        title=_("Self-service success"),
        description=_(
            "Portal visits and virtual assistant conversations in the period that ended without "
            "a request, against those that became one; a conversation counts for an institution "
            "whose article answered in it or which received its request."
        ),
        columns=[
            Column("where", _("Where")),
            Column("without", _("Ended without a request"), "int"),
            Column("helpful", _("Confirmed helpful"), "int"),
            Column("requests", _("Became a request"), "int"),
            Column("success", _("Success"), "percent"),
        ],
        rows=rows if without + requests else [],
        chart=Chart("stacked", "where", ("without", "requests")) if without + requests else None,
        note="" if without + requests else _("No self-service use in this period."),
    )


# --- keeping knowledge current ---------------------------------------------------------------


def _published(ctx: ReportContext) -> QuerySet[Article]:
    """Live articles: a published revision, not archived."""
    return _articles(ctx).filter(_live(), archived_at__isnull=True)


@metric("knowledge.review_overdue")
def review_overdue(ctx: ReportContext) -> Table:
    today = timezone.localdate()
    overdue = _published(ctx).filter(review_by__lt=today)
    total = overdue.count()
    found = (
        overdue.annotate(title=_title())
        .order_by("review_by", "pk")
        .values(
            "pk",
            "title",
            "review_by",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )[:LIST_ROWS]
    )
    rows: list[list[Cell]] = [
        [
            _article_link(a["pk"], a["title"]),
            _person(a["owner__first_name"], a["owner__last_name"], a["owner__username"]),
            a["review_by"],
            (today - a["review_by"]).days if a["review_by"] else None,
        ]
        for a in found
    ]
    return Table(
        key="knowledge.review_overdue",
        title=_("Articles past their review date"),
        description=_(
            "Published articles whose review date has passed, the longest overdue first."
        ),
        columns=[
            Column("article", _("Article"), "link"),
            Column("owner", _("Owner")),
            Column("review_by", _("Review by"), "date"),
            Column("overdue", _("Days overdue"), "int"),
        ],
        rows=rows,
        note=_shown_note(len(rows), total) if rows else _("No article is past its review date."),
    )


@metric("knowledge.feedback")
def feedback(ctx: ReportContext) -> Table:
    given = ctx.created_in(ArticleFeedback.objects.filter(article_id__in=ctx.articles.values("pk")))
    per_article = (
        given.values("article_id")
        .annotate(
            answers=Count("pk"),
            yes=Count("pk", filter=Q(helpful=True)),
            no=Count("pk", filter=Q(helpful=False)),
            comments=Count("pk", filter=~Q(comment="")),
        )
        .annotate(share=Cast(F("yes"), FloatField()) / Cast(F("answers"), FloatField()))
    )
    total = per_article.count()
    worst = list(per_article.order_by("share", "-no", "article_id")[:LIST_ROWS])
    titles = dict(
        Article.objects.filter(pk__in=[r["article_id"] for r in worst])
        .annotate(title=_title())
        .values_list("pk", "title")
    )
    rows: list[list[Cell]] = [
        [
            _article_link(r["article_id"], titles.get(r["article_id"])),
            r["yes"],
            r["no"],
            percent(r["yes"], r["answers"]),
            r["comments"],
        ]
        for r in worst
    ]
    return Table(
        key="knowledge.feedback",
        title=_("Feedback per article"),
        description=_(
            "Readers' “Was this helpful?” answers given in the period, per article, the least "
            "helpful first."
        ),
        columns=[
            Column("article", _("Article"), "link"),
            Column("helpful", _("Helpful"), "int"),
            Column("unhelpful", _("Not helpful"), "int"),
            Column("share", _("Helpful share"), "percent"),
            Column("comments", _("Comments"), "int"),
        ],
        rows=rows,
        note=_shown_note(len(rows), total) if rows else _("No feedback in this period."),
    )


# --- reading and finding ---------------------------------------------------------------------

READERS = (ReaderKind.ANONYMOUS, ReaderKind.STAFF, ReaderKind.OTHER, ReaderKind.PARTNER)


@metric("knowledge.most_viewed")
def most_viewed(ctx: ReportContext) -> Table:
    counts = ArticleViewCount.objects.filter(
        article_id__in=ctx.articles.values("pk"),
        day__gte=ctx.period.first_day,
        day__lte=ctx.period.last_day,
    )
    top = cast(
        list[dict[str, Any]],
        list(
            counts.values("article_id")
            .annotate(
                views=Sum("count"),
                **{r.value: Sum("count", filter=Q(reader=r.value), default=0) for r in READERS},
            )
            .order_by("-views", "article_id")[:TOP_ROWS]
        ),
    )
    titles = dict(
        Article.objects.filter(pk__in=[r["article_id"] for r in top])
        .annotate(title=_title())
        .values_list("pk", "title")
    )
    rows: list[list[Cell]] = [
        [
            _article_link(r["article_id"], titles.get(r["article_id"])),
            r["views"],
            *(r[reader.value] for reader in READERS),
        ]
        for r in top
    ]
    return Table(
        key="knowledge.most_viewed",
        title=_("Most viewed articles"),
        description=_("The articles read most often in the period, by kind of reader."),
        columns=[
            Column("article", _("Article"), "link"),
            Column("views", _("Views"), "int"),
            *(Column(r.value, r.label, "int") for r in READERS),
        ],
        rows=rows,
        note="" if rows else _("No article was read in this period."),
    )


@metric("knowledge.never_viewed")
def never_viewed(ctx: ReportContext) -> Table:
    unread = _published(ctx).filter(
        ~Exists(ArticleViewCount.objects.filter(article=OuterRef("pk")))
    )
    total = unread.count()
    found = (
        unread.annotate(title=_title(), published=Min("revisions__reviewed_at"))
        .order_by("published", "pk")
        .values(
            "pk",
            "title",
            "type",
            "published",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )[:LIST_ROWS]
    )
    rows: list[list[Cell]] = [
        [
            _article_link(a["pk"], a["title"]),
            _type_label(a["type"]),
            _person(a["owner__first_name"], a["owner__last_name"], a["owner__username"]),
            a["published"],
        ]
        for a in found
    ]
    return Table(
        key="knowledge.never_viewed",
        title=_("Articles never viewed"),
        description=_("Published articles that nobody has opened yet, the oldest first."),
        columns=[
            Column("article", _("Article"), "link"),
            Column("type", _("Type")),
            Column("owner", _("Owner")),
            Column("published", _("Published"), "date"),
        ],
        rows=rows,
        note=_shown_note(len(rows), total) if rows else _("Every published article has been read."),
    )


@metric("knowledge.no_result_searches")
def no_result_searches(ctx: ReportContext) -> Table:
    # The search log records no institution and no person: the public's searches are shown
    # to every knowledge viewer; staff searches may hold internal words, so only superusers.
    searches = SearchLog.objects.none()
    if not ctx.scope.empty:
        searches = ctx.created_in(SearchLog.objects.filter(results=0), "created_at")
        if not is_superuser(ctx.user):
            searches = searches.filter(staff=False)
    grouped = searches.values("normalized").annotate(
        times=Count("pk"), last=Max("created_at"), example=Max("text")
    )
    total = grouped.count()
    top = grouped.order_by("-times", "-last", "normalized")[:LIST_ROWS]
    rows: list[list[Cell]] = [[r["example"], r["times"], r["last"]] for r in top]
    return Table(
        key="knowledge.no_result_searches",
        title=_("Searches with no result"),
        description=_(
            "Searches in the period that found nothing, grouped by their words; searches by the "
            "public are shown to every knowledge manager, searches by staff only to "
            "administrators of the installation."
        ),
        columns=[
            Column("query", _("Query")),
            Column("times", _("Searches"), "int"),
            Column("last", _("Last searched"), "date"),
        ],
        rows=rows,
        note=_shown_note(len(rows), total) if rows else _("Every search found something."),
    )


# --- knowledge gaps --------------------------------------------------------------------------

# A hyphen inside a word joins it ("e-pasts" and "epasts" are the same word to a reader).
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


def subject_terms(subject: str, language: str) -> frozenset[str]:
    """The significant index terms of a subject: the search analyzer's (folded, stemmed, stop
    words dropped), without one-letter terms and numbers."""
    terms = index_terms(_INNER_HYPHEN.sub("", subject), language).split()
    return frozenset(t for t in terms if len(t) > 1 and not t.isdigit())


def clusters(docs: list[frozenset[str]], threshold: float = GAP_SIMILARITY) -> list[list[int]]:
    """Group documents (term sets) whose weighted Jaccard similarity reaches ``threshold``
    (single linkage). A term's weight is its inverse document frequency in ``docs``, so
    words every subject shares ("nevar", "cannot") count for less than what the subject is
    about. Returns groups of indexes into ``docs``, each in ascending order."""
    n = len(docs)
    frequency = Counter(t for terms in docs for t in terms)
    weight = {t: math.log(1 + n / f) for t, f in frequency.items()}
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    postings: dict[str, list[int]] = defaultdict(list)
    for i, terms in enumerate(docs):
        compared: set[int] = set()
        for t in terms:
            for j in postings[t]:
                if j in compared:
                    continue
                compared.add(j)
                if _similarity(terms, docs[j], weight) >= threshold:
                    parent[root(i)] = root(j)
            postings[t].append(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        if docs[i]:
            groups[root(i)].append(i)
    return list(groups.values())


def _similarity(a: frozenset[str], b: frozenset[str], weight: dict[str, float]) -> float:
    union = sum(weight[t] for t in a | b)
    return sum(weight[t] for t in a & b) / union if union else 0.0


def _representative(members: list[int], docs: list[frozenset[str]], weight: Any) -> int:
    """The member most like the others (ties: the newest, i.e. the lowest index)."""
    sample = members[:60]
    return max(
        sample,
        key=lambda i: (sum(_similarity(docs[i], docs[j], weight) for j in sample), -i),
    )


def _gap_incidents(ctx: ReportContext) -> list[dict[str, Any]]:
    """The most recent incidents of the period that no article is linked to — neither to
    them nor to the master incident they report — newest first."""
    return list(
        ctx.created_in(ctx.tickets.filter(kind=Kind.INCIDENT))
        .exclude(state=State.CANCELLED)
        .filter(merged_into__isnull=True)
        .filter(~_has_article(), ~_has_article("master_id"))
        .order_by("-created_at", "-pk")
        .values("pk", "kind", "subject", "language", "created_at", "service__name")[:GAP_INCIDENTS]
    )


@metric("knowledge.gaps")
def gaps(ctx: ReportContext) -> Table:
    incidents = _gap_incidents(ctx)
    docs = [subject_terms(t["subject"], t["language"]) for t in incidents]
    frequency = Counter(term for terms in docs for term in terms)
    weight = {t: math.log(1 + len(docs) / f) for t, f in frequency.items()}
    found = [g for g in clusters(docs) if len(g) >= 2]
    found.sort(key=lambda g: (-len(g), g[0]))
    shown = found[:GAP_CLUSTERS]
    newest_ids = [incidents[g[0]]["pk"] for g in shown]
    workable = {
        t.pk
        for t in Ticket.objects.filter(pk__in=newest_ids).only(
            "pk", "institution_id", "assignee_id", "service_id", "resource_id"
        )
        if can(ctx.user, "work", t)
    }
    rows: list[list[Cell]] = []
    actions: list[Action | None] = []
    for group in shown:
        newest = incidents[group[0]]
        services = Counter(
            incidents[i]["service__name"] for i in group if incidents[i]["service__name"]
        )
        rows.append(
            [
                len(group),
                incidents[_representative(group, docs, weight)]["subject"],
                ", ".join(name for name, _n in services.most_common()),
                (_reference(newest), reverse("tickets:detail", args=[newest["pk"]])),
                newest["created_at"],
            ]
        )
        actions.append(
            Action(
                _("Create article"),
                reverse("tickets:action", args=[newest["pk"], "draft_article"]),
                "post",
            )
            if newest["pk"] in workable
            else None
        )
    notes: list[str] = []
    if not rows:
        notes.append(_("No similar incidents without an article in this period."))
    elif len(found) > len(shown):
        notes.append(_shown_note(len(shown), len(found)))
    if len(incidents) >= GAP_INCIDENTS:
        notes.append(
            _("Only the %(n)d most recent incidents without an article were grouped.")
            % {"n": GAP_INCIDENTS}
        )
    if None in actions:
        notes.append(_("“Create article” is offered on the incidents you may work on."))
    return Table(
        key="knowledge.gaps",
        title=_("Knowledge gaps"),
        description=_(
            "Groups of similar incidents reported in the period that no knowledge article is "
            "linked to; “Create article” drafts one from the newest incident of the group."
        ),
        columns=[
            Column("incidents", _("Incidents"), "int"),
            Column("subject", _("Typical subject")),
            Column("services", _("Services")),
            Column("newest", _("Newest incident"), "link"),
            Column("last", _("Last reported"), "date"),
        ],
        rows=rows,
        row_actions=actions,
        note=" ".join(notes),
    )


def _reference(ticket: dict[str, Any]) -> str:
    return f"{PREFIXES.get(ticket['kind'], 'T')}-{ticket['pk']}"
