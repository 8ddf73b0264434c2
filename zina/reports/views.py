"""Pages of the reports app: the dashboards a user may open, one dashboard with its filter bar
and figures, each figure's CSV and XLSX, the whole dashboard as one XLSX, and a printable page.

Every page and file goes through :func:`_prepare`: the dashboard is one the user may see
(:func:`~zina.reports.navigation.visible_dashboards`), the filters are read against the
dashboard's scope, and one :class:`~zina.reports.context.ReportContext` is built. Each metric
is computed at most once per request (:func:`compute`); views never compute figures
themselves and metrics never render.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import dashboards as registry
from .charts import NUMERIC_KINDS, date_text, display, period_text, render_chart
from .context import Filters, ReportContext, get_metric
from .dashboards import Dashboard, Section
from .exports import ExportInfo, Missing, csv_response, xlsx_response
from .forms import ReportFilterForm
from .navigation import visible_dashboards, visible_scopes
from .period import Period
from .scope import Scope, scoped_services
from .tables import Action, Table

logger = logging.getLogger(__name__)

# Who sees each dashboard, for the page of a user who sees none (the rule is in scope.py).
AUDIENCES = {
    "portfolio": gettext_lazy("service portfolio owners and auditors of an institution"),
    "service": gettext_lazy("service owners, for the services they own"),
    "resource": gettext_lazy("resource owners and resource portfolio owners"),
    "support": gettext_lazy("those who manage an institution's tickets and support teams"),
    "knowledge": gettext_lazy("knowledge managers"),
}
# A data table longer than this, under a chart, starts folded in a <details> on screen.
COLLAPSE_ROWS = 15
FILTER_NAMES = {"services": "service", "kinds": "type", "channels": "channel", "levels": "level"}


# --- Computing ----------------------------------------------------------------------------


@dataclass
class Problem:
    """Why a figure is not shown: its metric is not registered yet, or it failed."""

    message: str
    missing: bool = False


def compute(ctx: ReportContext, keys: Iterable[str]) -> dict[str, Table | Problem]:
    """Each metric of ``keys`` once. A metric that is not registered (during development) or
    that fails is a :class:`Problem` for its figure, logged, not an error page for the rest
    of the dashboard. Inside a transaction (tests, ``ATOMIC_REQUESTS``) each metric runs in
    a savepoint, so one failed query does not abort the others on PostgreSQL."""
    results: dict[str, Table | Problem] = {}
    for key in keys:
        if key in results:
            continue
        try:
            fn = get_metric(key)
        except KeyError:
            results[key] = Problem(_("This figure is not available yet."), missing=True)
            continue
        guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        try:
            with guard:
                results[key] = fn(ctx)
        except Exception:
            logger.exception("reports: metric %s failed on dashboard %s", key, ctx.dashboard)
            results[key] = Problem(_("This figure could not be computed. The error is logged."))
    return results


def metric_keys_of(dashboard: Dashboard) -> list[str]:
    """The dashboard's metrics in page order, each once."""
    return list(dict.fromkeys(k for s in dashboard.sections for k in s.metrics))


# --- Presenting ---------------------------------------------------------------------------


@dataclass
class CellView:
    text: str
    url: str = ""
    numeric: bool = False


@dataclass
class RowView:
    cells: list[CellView]
    header: int  # index of the cell that heads the row (<th scope="row">)
    action: Action | None = None

    @property
    def label(self) -> str:
        return self.cells[self.header].text if self.header < len(self.cells) else ""


@dataclass
class Figure:
    """One metric as the page draws it: chart, data table, notes, actions and export links."""

    uid: str
    key: str
    title: str
    table: Table | None = None
    problem: Problem | None = None
    chart: SafeString | str = ""
    headers: list[CellView] = field(default_factory=list)
    rows: list[RowView] = field(default_factory=list)
    has_row_actions: bool = False
    collapsed: bool = False  # a long table under its chart starts folded (not on paper)
    csv_url: str = ""
    xlsx_url: str = ""


def present(
    key: str, result: Table | Problem, uid: str, query: str, bucket: str | None = None
) -> Figure:
    """A computed metric made ready for the ``_figure.html`` template."""
    exports = f"?{query}&" if query else "?"
    if isinstance(result, Problem):
        return Figure(uid, key, key, problem=result)
    table = result
    header = table.columns.index(table.column(table.chart.x)) if table.chart else 0
    kinds = [c.kind for c in table.columns]
    rows = []
    for i, row in enumerate(table.rows):
        cells = []
        for value, kind in zip(row, kinds, strict=False):
            url = value[1] if kind == "link" and isinstance(value, tuple) else ""
            cells.append(CellView(display(value, kind), url, kind in NUMERIC_KINDS))
        action = table.row_actions[i] if i < len(table.row_actions) else None
        rows.append(RowView(cells, header, action))
    return Figure(
        uid=uid,
        key=key,
        title=str(table.title),
        table=table,
        chart=render_chart(table, uid, bucket),
        headers=[CellView(str(c.label), numeric=c.kind in NUMERIC_KINDS) for c in table.columns],
        rows=rows,
        has_row_actions=any(a is not None for a in table.row_actions),
        collapsed=table.chart is not None and len(table.rows) > COLLAPSE_ROWS,
        csv_url=exports + urlencode({"export": "csv", "table": key}),
        xlsx_url=exports + urlencode({"export": "xlsx", "table": key}),
    )


def sections_of(
    dashboard: Dashboard, results: dict[str, Table | Problem], query: str, bucket: str
) -> list[tuple[Section, list[Figure]]]:
    out = []
    n = 0
    for section in dashboard.sections:
        figures = []
        for key in section.metrics:
            n += 1
            uid = f"fig{n}-{key.replace('.', '-').replace('_', '-')}"
            figures.append(present(key, results[key], uid, query, bucket))
        out.append((section, figures))
    return out


def filter_query(period: Period, filters: Filters) -> str:
    """GET parameters that select this period and these filters again."""
    q = QueryDict(mutable=True)
    for name, value in period.query().items():
        q[name] = value
    for attr, name in FILTER_NAMES.items():
        values = getattr(filters, attr)
        if values:
            q.setlist(name, [str(v) for v in values])
    return q.urlencode()


# --- Requests -----------------------------------------------------------------------------


@dataclass
class Prepared:
    """A dashboard request whose filters were read: the context, or the form with errors."""

    dashboard: Dashboard
    dashboards: list[Dashboard]
    scope: Scope
    form: ReportFilterForm
    ctx: ReportContext | None = None

    @property
    def period(self) -> Period:
        assert self.ctx is not None
        return self.ctx.period

    @property
    def query(self) -> str:
        assert self.ctx is not None
        return filter_query(self.ctx.period, self.ctx.filters)


def _prepare(request: HttpRequest, key: str) -> Prepared:
    """The dashboard ``key`` for the request's user (404 unknown, 403 not theirs) with its
    filters read (``ctx`` is None when they are invalid)."""
    dashboard = registry.DASHBOARDS.get(key)
    if dashboard is None:
        raise Http404
    scopes = visible_scopes(request.user)
    if key not in scopes:
        raise PermissionDenied
    allowed, scope = visible_dashboards(request.user), scopes[key]
    services = _service_choices(request.user, scope)
    form = ReportFilterForm(request.GET, services=services)
    prepared = Prepared(dashboard, allowed, scope, form)
    if form.is_valid():
        prepared.ctx = ReportContext(
            request.user, dashboard.key, scope, form.report_period, form.filters
        )
    return prepared


def _service_choices(user: Any, scope: Scope) -> list[tuple[int, str]]:
    """The services in the dashboard's scope, named with their institution when several."""
    rows = list(
        scoped_services(user, scope)
        .order_by("name", "pk")
        .values_list("pk", "name", "institution__short_name", "institution__code")
    )
    several = len({r[3] for r in rows}) > 1
    return [
        (pk, f"{name} ({short or code.upper()})" if several else name)
        for pk, name, short, code in rows
    ]


def _page_context(request: HttpRequest, prepared: Prepared) -> dict[str, Any]:
    dashboard = prepared.dashboard
    context: dict[str, Any] = {
        "dashboard": dashboard,
        "dashboards": prepared.dashboards,
        "form": prepared.form,
        "nav_current": "reports",
    }
    if prepared.ctx is None:
        return context
    ctx = prepared.ctx
    period, query = ctx.period, prepared.query
    results = compute(ctx, metric_keys_of(dashboard))
    base = reverse("reports:dashboard", args=[dashboard.key])
    today = timezone.localdate()

    def link(p: Period) -> str:
        return f"{base}?{filter_query(p, ctx.filters)}"

    following = period.shifted(1)
    current = Period.of(period.kind, today) if period.kind != "custom" else None
    context.update(
        {
            "period": period,
            "period_text": period_text(period),
            "previous_url": link(period.shifted(-1)),
            "next_url": link(following) if following.first_day <= today else "",
            "current_url": link(current) if current and current != period else "",
            "query": query,
            # Other dashboards keep the period only: their scopes differ, and a service
            # chosen here may not be on them.
            "period_query": filter_query(period, Filters()),
            "sections": sections_of(dashboard, results, query, period.bucket),
            "summary": prepared.form.summary(),
            "print_url": reverse("reports:print", args=[dashboard.key]) + f"?{query}",
            "xlsx_url": f"{base}?{query}&export=xlsx",
            "generated_at": date_text(timezone.now()),
        }
    )
    return context


def _invalid(request: HttpRequest, prepared: Prepared) -> HttpResponse:
    """The dashboard page with the filter bar's messages and no figures (400)."""
    return render(request, "reports/dashboard.html", _page_context(request, prepared), status=400)


def _export_info(request: HttpRequest, prepared: Prepared) -> ExportInfo:
    assert prepared.ctx is not None
    user = request.user
    return ExportInfo(
        dashboard_key=prepared.dashboard.key,
        dashboard_title=str(prepared.dashboard.title),
        period=prepared.period,
        period_text=period_text(prepared.period),
        filters=prepared.form.summary(),
        generated_at=timezone.now(),
        generated_by=str(getattr(user, "get_full_name", lambda: "")() or user),
        address=request.build_absolute_uri(
            reverse("reports:dashboard", args=[prepared.dashboard.key]) + f"?{prepared.query}"
        ),
    )


def _export(request: HttpRequest, prepared: Prepared, kind: str) -> HttpResponse:
    assert prepared.ctx is not None
    keys = metric_keys_of(prepared.dashboard)
    table_key = request.GET.get("table", "")
    info = _export_info(request, prepared)
    if table_key:
        if table_key not in keys:
            raise Http404
        result = compute(prepared.ctx, [table_key])[table_key]
        if isinstance(result, Problem):
            if result.missing:
                raise Http404
            return render(
                request,
                "core/error.html",
                {
                    "status": 503,
                    "title": _("The figure could not be computed"),
                    "message": result.message,
                },
                status=503,
            )
        if kind == "csv":
            return csv_response(result, info)
        return xlsx_response(info, [result], result.key)
    if kind == "csv":
        prepared.form.add_error(None, _("Choose one table to download as CSV."))
        prepared.ctx = None
        return _invalid(request, prepared)
    results = compute(prepared.ctx, keys)
    items: list[Table | Missing] = [
        Missing(key, key, r.message) if isinstance(r, Problem) else r for key, r in results.items()
    ]
    return xlsx_response(info, items, None)


@never_cache
@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The dashboards the user may open; a page that says why when there are none (403)."""
    dashboards = visible_dashboards(request.user)
    return render(
        request,
        "reports/index.html",
        {
            "dashboards": dashboards,
            "audiences": [(d, AUDIENCES.get(d.key, "")) for d in registry.DASHBOARDS.values()],
            "nav_current": "reports",
        },
        status=200 if dashboards else 403,
    )


@never_cache
@require_GET
@login_required
def dashboard(request: HttpRequest, key: str) -> HttpResponse:
    """One dashboard: the filter bar, then each section's figures; ``?export=csv|xlsx``
    (with ``table=<metric key>`` for one table) downloads instead."""
    prepared = _prepare(request, key)
    if prepared.ctx is None:
        return _invalid(request, prepared)
    export = request.GET.get("export", "")
    if export:
        if export not in ("csv", "xlsx"):
            prepared.form.add_error(
                None,
                _("Unknown export format “%(value)s”: choose CSV or XLSX.") % {"value": export},
            )
            prepared.ctx = None
            return _invalid(request, prepared)
        return _export(request, prepared, export)
    return render(request, "reports/dashboard.html", _page_context(request, prepared))


@never_cache
@require_GET
@login_required
def dashboard_print(request: HttpRequest, key: str) -> HttpResponse:
    """The same figures for paper: no menu and no filter bar; the period and filters on top."""
    prepared = _prepare(request, key)
    if prepared.ctx is None:
        return _invalid(request, prepared)
    context = _page_context(request, prepared)
    context["dashboard_url"] = reverse("reports:dashboard", args=[key]) + f"?{prepared.query}"
    return render(request, "reports/print.html", context)
