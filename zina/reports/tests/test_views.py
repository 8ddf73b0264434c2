"""The reports pages: who opens which dashboard, the filter bar (bad input is a 400 with a
message, never a 500), each figure drawn once per request as chart plus data table, the
printable page, the menu entry, Latvian first and English second, and the real dashboards.

Rendering is checked on a ``demo`` dashboard whose metrics the tests register (known
figures, a missing metric, a failing one); the real dashboards are opened with real tickets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import Service
from zina.conftest import refresh
from zina.reports import context as report_context
from zina.reports import scope as scopes
from zina.reports.context import ReportContext, metric_keys
from zina.reports.dashboards import DASHBOARDS, Dashboard, Section
from zina.reports.tables import Action, Chart, Column, Table
from zina.tickets import operations as tops

pytestmark = pytest.mark.django_db

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


# --- Helpers and fixtures -------------------------------------------------------------------


def client_for(user: Any, language: str = "en") -> Client:
    client = Client()
    if language:
        client.cookies[LANGUAGE_COOKIE] = language
    if user is not None:
        client.force_login(user)
    return client


def text_of(response: Any) -> str:
    return response.content.decode("utf-8")


def count(pattern: str, text: str) -> int:
    return len(re.findall(pattern, text))


@pytest.fixture
def services(institution: Institution, other_institution: Institution) -> dict[str, Service]:
    """Two services of VRA, one of SPA."""
    return {
        "eadr": Service.objects.create(
            institution=institution, identifier="VRA-1", name="E-adrese"
        ),
        "reg": Service.objects.create(
            institution=institution, identifier="VRA-2", name="Uzņēmumu reģistrs"
        ),
        "spa": Service.objects.create(
            institution=other_institution, identifier="SPA-1", name="Pabalsti"
        ),
    }


@pytest.fixture
def owner(
    superuser: User,
    make_user: Callable[..., User],
    institution: Institution,
    services: dict[str, Service],
) -> User:
    """Owner of the service "E-adrese" only."""
    user = make_user("saimnieks", institution)
    account_ops.assign_role(
        actor=superuser,
        user=user,
        institution=institution,
        role=Role.SERVICE_OWNER,
        responsibility="A",
        scope=services["eadr"],
    )
    return refresh(user)


@pytest.fixture
def portfolio_owner(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER)


@pytest.fixture
def nobody(make_user: Callable[..., User], institution: Institution) -> User:
    """Staff of the institution without a role: no dashboard."""
    return make_user("bez-lomas", institution)


@dataclass
class Demo:
    """The ``demo`` dashboard: what its metrics return, how often each was called."""

    calls: dict[str, int] = field(default_factory=dict)
    contexts: list[ReportContext] = field(default_factory=list)

    def record(self, key: str, ctx: ReportContext) -> None:
        self.calls[key] = self.calls.get(key, 0) + 1
        self.contexts.append(ctx)


DEMO_KEYS = ("test.bars", "test.line", "test.empty", "test.missing", "test.broken")


def demo_tables() -> dict[str, Table]:
    """Known figures for the demo dashboard (also used by the export and chart tests)."""
    return {
        "test.bars": Table(
            key="test.bars",
            title="Kinds of tickets",
            description="Tickets opened in the period, by kind.",
            columns=[
                Column("kind", "Kind"),
                Column("count", "Tickets", "int"),
                Column("sla", "Within SLA", "percent"),
                Column("time", "Mean time to resolve", "minutes"),
                Column("last", "Last opened", "date"),
                Column("ticket", "Example", "link"),
            ],
            rows=[
                [
                    '=HYPERLINK("http://evil")',
                    1200,
                    97.5,
                    125,
                    datetime(2026, 3, 10, 22, 30, tzinfo=timezone.UTC),
                    ("INC-1", "/tickets/1/"),
                ],
                ["Change request", 3, 50.0, 3000, date(2026, 3, 2), ("CHG-2", "/tickets/2/")],
                ["Suggestion", 0, None, None, None, None],
            ],
            chart=Chart("bar", "kind", ("count",)),
            note="Figures include merged duplicates.",
            actions=[Action("Open the queue", "/tickets/")],
            row_actions=[Action("Create article", "/knowledge/new/", "post"), None, None],
        ),
        "test.line": Table(
            key="test.line",
            title="Tickets over time",
            columns=[
                Column("day", "Day", "date"),
                Column("opened", "Opened", "int"),
                Column("closed", "Closed", "int"),
            ],
            rows=[
                [date(2026, 3, 1) + timedelta(days=i), i, None if i == 2 else i * 2]
                for i in range(5)
            ],
            chart=Chart("line", "day", ("opened", "closed")),
        ),
        "test.empty": Table(
            key="test.empty",
            title="Nothing here",
            columns=[Column("a", "A")],
            rows=[],
            note="No interruptions in this period.",
        ),
    }


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Demo:
    """A ``demo`` dashboard (portfolio scope) over test metrics; ``test.missing`` is not
    registered and ``test.broken`` raises."""
    state = Demo()
    tables = demo_tables()

    def make(key: str) -> Callable[[ReportContext], Table]:
        def fn(ctx: ReportContext) -> Table:
            state.record(key, ctx)
            if key == "test.broken":
                raise RuntimeError("boom")
            return tables[key]

        return fn

    for key in ("test.bars", "test.line", "test.empty", "test.broken"):
        monkeypatch.setitem(report_context._metrics, key, make(key))
    monkeypatch.setitem(
        DASHBOARDS,
        "demo",
        Dashboard(
            "demo",
            "Demo dashboard",  # type: ignore[arg-type]
            "For the tests.",  # type: ignore[arg-type]
            scopes.portfolio_scope,
            (
                Section("first", "First section", ("test.bars", "test.line")),  # type: ignore[arg-type]
                # test.bars again: drawn twice, computed once.
                Section(
                    "second",
                    "Second section",  # type: ignore[arg-type]
                    ("test.empty", "test.missing", "test.broken", "test.bars"),
                ),
            ),
        ),
    )
    return state


def open_tickets(
    user: User, institution: Institution, service: Service, n: int, **data: Any
) -> list[Any]:
    return [
        tops.open_ticket(
            actor=user,
            institution=institution,
            kind=data.get("kind", "incident"),
            data=tops.TicketData(subject=f"Pieteikums {i}", service=service),
            reporter=tops.Reporter(name="Pilsonis", email="pilsonis@example.lv"),
        )
        for i in range(n)
    ]


# --- Access ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(db: Any) -> None:
    for path in ("/reports/", "/reports/portfolio/", "/reports/portfolio/print/"):
        response = client_for(None).get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def test_a_user_without_dashboards_is_told_why(nobody: User) -> None:
    client = client_for(nobody)
    response = client.get("/reports/")
    assert response.status_code == 403
    page = text_of(response)
    assert "You have no reports to see." in page
    assert "knowledge managers" in page  # who sees what
    assert 'href="/reports/"' not in page  # no menu entry
    for key in DASHBOARDS:
        assert client.get(f"/reports/{key}/").status_code == 403, key
        assert client.get(f"/reports/{key}/print/").status_code == 403, key
        assert client.get(f"/reports/{key}/?export=xlsx").status_code == 403, key


def test_superuser_sees_every_dashboard_and_the_menu_entry(superuser: User) -> None:
    response = client_for(superuser).get("/reports/")
    assert response.status_code == 200
    page = text_of(response)
    for key in DASHBOARDS:
        assert f'href="/reports/{key}/"' in page, key
    assert '<a href="/reports/" aria-current="page">Reports</a>' in page


def test_service_owner_sees_own_services_only(
    owner: User, services: dict[str, Service], superuser: User, institution: Institution
) -> None:
    client = client_for(owner)
    index = text_of(client.get("/reports/"))
    assert 'href="/reports/service/"' in index
    assert 'href="/reports/portfolio/"' not in index
    assert client.get("/reports/portfolio/").status_code == 403
    response = client.get("/reports/service/")
    assert response.status_code == 200
    page = text_of(response)
    # The service filter lists only the owner's service.
    assert f'name="service" value="{services["eadr"].pk}"' in page
    assert f'name="service" value="{services["reg"].pk}"' not in page
    assert "Uzņēmumu reģistrs" not in page
    assert "Pabalsti" not in page
    # Another service's id in the address is refused, not silently used.
    response = client.get(f"/reports/service/?service={services['reg'].pk}")
    assert response.status_code == 400
    assert "is not a service on this dashboard" in text_of(response)


def test_unknown_dashboard_is_404(superuser: User) -> None:
    assert client_for(superuser).get("/reports/nonexistent/").status_code == 404
    assert client_for(superuser).get("/reports/nonexistent/print/").status_code == 404


def test_only_get(superuser: User) -> None:
    assert client_for(superuser).post("/reports/portfolio/").status_code == 405


def test_menu_entry_follows_the_dashboards(
    superuser: User, nobody: User, owner: User, portfolio_owner: User
) -> None:
    from zina.core.navigation import nav_for

    assert "reports" in [i.key for i in nav_for(superuser)]
    assert "reports" in [i.key for i in nav_for(owner)]
    assert "reports" in [i.key for i in nav_for(portfolio_owner)]
    assert "reports" not in [i.key for i in nav_for(nobody)]


# --- Filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("on=2026-13-01", "is not a date"),
        ("on=yesterday", "is not a date"),
        ("period=custom&from=2026-03-10&to=2026-03-01", "The period ends before it starts."),
        ("period=custom&from=2026-03-10", "Give both dates of a custom period."),
        ("period=custom&from=2020-01-01&to=2026-01-01", "can be at most"),
        ("period=year", "Unknown period"),
        ("type=meeting", "is not a type of ticket."),
        ("channel=pigeon", "is not a channel."),
        ("level=7", "is not a support level."),
        ("level=x", "is not a support level."),
        ("service=abc", "is not a service on this dashboard."),
        ("service=999999", "is not a service on this dashboard."),
        ("export=pdf", "Unknown export format"),
        ("export=csv", "Choose one table to download as CSV."),
    ],
)
def test_bad_filters_are_a_400_with_a_message(superuser: User, query: str, message: str) -> None:
    response = client_for(superuser).get(f"/reports/portfolio/?{query}")
    assert response.status_code == 400, query
    page = text_of(response)
    assert message in page, page[page.find('id="filter-errors"') :][:800]
    assert 'role="alert"' in page
    assert "report-figure" not in page  # no figures from bad filters
    assert '<form method="get"' in page  # the filter bar to correct them


def test_bad_filters_on_print_and_export_are_400_too(superuser: User) -> None:
    client = client_for(superuser)
    assert client.get("/reports/portfolio/print/?on=2026-02-30").status_code == 400
    assert client.get("/reports/portfolio/?on=2026-02-30&export=xlsx").status_code == 400


def test_filters_reach_the_context(
    superuser: User, demo: Demo, services: dict[str, Service]
) -> None:
    sid = services["reg"].pk
    response = client_for(superuser).get(
        f"/reports/demo/?period=week&on=2026-03-11&service={sid}&type=incident&type=change"
        "&channel=email&level=1&level=2"
    )
    assert response.status_code == 200
    ctx = demo.contexts[0]
    assert ctx.dashboard == "demo"
    assert ctx.period.kind == "week"
    assert (ctx.period.first_day, ctx.period.last_day) == (date(2026, 3, 9), date(2026, 3, 15))
    assert ctx.filters.services == (sid,)
    assert ctx.filters.kinds == ("change", "incident")
    assert ctx.filters.channels == ("email",)
    assert ctx.filters.levels == (1, 2)
    page = text_of(response)
    # The boxes stay ticked, and the export links keep the filters.
    assert f'name="service" value="{sid}" checked' in page
    assert 'name="type" value="incident" checked' in page
    assert "2 chosen" in page
    assert "export=csv&amp;table=test.bars" in page
    assert f"service={sid}" in page[page.find("export=csv") - 200 : page.find("export=csv")]


def test_period_navigation(superuser: User, demo: Demo) -> None:
    page = text_of(client_for(superuser).get("/reports/demo/?period=month&on=2026-03-15"))
    assert 'href="/reports/demo/?period=month&amp;on=2026-02-01" rel="prev"' in page
    assert 'href="/reports/demo/?period=month&amp;on=2026-04-01" rel="next"' in page
    assert "March 2026" in page
    assert "2026-03-01 – 2026-03-31" in page
    # The current period has no "next" (it has not happened yet).
    today = timezone.localdate()
    page = text_of(client_for(superuser).get(f"/reports/demo/?period=day&on={today}"))
    assert 'rel="next"' not in page
    assert 'rel="prev"' in page
    # A custom period moves by its own length.
    page = text_of(
        client_for(superuser).get("/reports/demo/?period=custom&from=2026-03-01&to=2026-03-10")
    )
    assert "period=custom&amp;from=2026-02-19&amp;to=2026-02-28" in page


def test_default_period_is_this_month(superuser: User, demo: Demo) -> None:
    client_for(superuser).get("/reports/demo/")
    period = demo.contexts[0].period
    assert period.kind == "month"
    assert period.first_day == timezone.localdate().replace(day=1)


# --- Figures --------------------------------------------------------------------------------


def test_each_figure_is_a_chart_and_its_table(superuser: User, demo: Demo) -> None:
    response = client_for(superuser).get("/reports/demo/?period=month&on=2026-03-01")
    assert response.status_code == 200
    page = text_of(response)
    # Each metric computed once, though test.bars is drawn in two sections.
    assert demo.calls == {"test.bars": 1, "test.line": 1, "test.empty": 1, "test.broken": 1}
    assert count(r'<figure class="report-figure"', page) == 6
    # Charts: an image with a name and a description, one mark per value.
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 3  # bars twice, line once; none for the empty table
    bars = svgs[0]
    assert 'role="img"' in bars
    ids = re.search(r'aria-labelledby="([^"]+)"', bars)
    assert ids is not None
    for i in ids.group(1).split():
        assert f'id="{i}"' in bars
    assert "<title" in bars
    assert "<desc" in bars
    assert count(r'class="bar point', bars) == 3
    assert count(r'class="point series-', svgs[1]) == 9  # 5 + 4 (one value missing)
    # Ids are unique on the page although the same figure is drawn twice.
    all_ids = re.findall(r' id="([^"]+)"', page)
    assert len(all_ids) == len(set(all_ids))
    # The table: caption, column and row headers, values formatted per kind.
    assert "<caption" in page
    assert '<th scope="col" class="num">Tickets</th>' in page
    assert '<th scope="row">Change request</th>' in page
    assert "97.5%" in page
    assert "1,200" in page
    assert "2 h 5 min" in page
    assert "2 d 2 h" in page
    assert "2026-03-11 00:30" in page  # 22:30 UTC is past midnight in Riga
    assert '<a href="/tickets/2/">CHG-2</a>' in page
    assert "&lt;" not in page.split("<main", 1)[1].split("=HYPERLINK", 1)[0][-5:]
    assert "Tickets opened in the period, by kind." in page
    assert "Figures include merged duplicates." in page
    # An empty table says so, a missing metric and a failing one do not take the page down.
    assert "No interruptions in this period." in page
    assert "This figure is not available yet." in page
    assert "This figure could not be computed." in page
    # Actions: a link, and a POST form with its CSRF token.
    assert '<a class="button secondary small" href="/tickets/">Open the queue</a>' in page
    post = re.search(r'<form method="post" action="/knowledge/new/".*?</form>', page, re.S)
    assert post is not None
    assert "csrfmiddlewaretoken" in post.group(0)
    assert 'Create article<span class="visually-hidden">' in post.group(0)
    # Downloads beside each table, and for the whole dashboard.
    assert "export=xlsx&amp;table=test.line" in page
    assert "&amp;export=xlsx" in page


def test_a_failing_metric_is_logged(
    superuser: User, demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    client_for(superuser).get("/reports/demo/")
    assert any("test.broken" in r.getMessage() for r in caplog.records)


def test_print_page(superuser: User, demo: Demo, services: dict[str, Service]) -> None:
    sid = services["eadr"].pk
    response = client_for(superuser).get(
        f"/reports/demo/print/?period=month&on=2026-03-01&service={sid}&type=incident"
    )
    assert response.status_code == 200
    page = text_of(response)
    assert '<form method="get"' not in page  # no filter bar
    assert 'class="main-nav"' not in page  # no menu
    assert "March 2026 (2026-03-01 – 2026-03-31)" in page
    assert "<dt>Service</dt><dd>E-adrese (VRA)</dd>" in page  # several institutions
    assert "<dt>Type</dt><dd>Incident</dd>" in page
    assert "<dt>Channel</dt><dd>all</dd>" in page
    assert count(r"<svg ", page) == 3
    assert "<table" in page
    assert "Open the queue" not in page  # actions are for the screen
    assert "export=csv" not in page
    assert "reports/print.js" in page
    assert "reports/reports.css" in page
    assert f"/reports/demo/?period=month&amp;on=2026-03-01&amp;service={sid}" in page
    assert demo.calls["test.bars"] == 1


# --- Languages -------------------------------------------------------------------------------


def test_latvian_first(superuser: User) -> None:
    response = client_for(superuser, language="").get("/reports/portfolio/")
    assert response.status_code == 200
    assert response["Content-Language"] == "lv"
    page = text_of(response)
    assert '<html lang="lv">' in page
    assert "<summary>Veids: " in page  # "Type" in the filter bar


def test_english_second(superuser: User) -> None:
    response = client_for(superuser, language="en").get("/reports/portfolio/")
    assert response["Content-Language"] == "en"
    page = text_of(response)
    assert '<html lang="en">' in page
    assert "Previous period" in page
    assert "<summary>Type: " in page


# --- The real dashboards ---------------------------------------------------------------------


def test_every_metric_of_every_dashboard_is_registered() -> None:
    wanted = {key for d in DASHBOARDS.values() for s in d.sections for key in s.metrics}
    assert wanted - metric_keys() == set()


@pytest.fixture
def tickets(
    superuser: User, institution: Institution, other_institution: Institution, services: Any
) -> None:
    open_tickets(superuser, institution, services["eadr"], 2)
    open_tickets(superuser, institution, services["reg"], 1, kind="request")
    open_tickets(superuser, other_institution, services["spa"], 1)


@pytest.mark.parametrize("key", list(DASHBOARDS))
def test_real_dashboards_render_for_the_superuser(superuser: User, tickets: None, key: str) -> None:
    client = client_for(superuser)
    response = client.get(f"/reports/{key}/")
    assert response.status_code == 200
    page = text_of(response)
    assert "figure-problem" not in page, re.findall(r'figure-problem">(.*?)</p>', page)
    figures = count(r'<figure class="report-figure"', page)
    assert figures == sum(len(s.metrics) for s in DASHBOARDS[key].sections)
    assert client.get(f"/reports/{key}/print/").status_code == 200


def test_service_owner_figures_leave_out_other_services(
    owner: User, tickets: None, services: dict[str, Service]
) -> None:
    page = text_of(client_for(owner).get("/reports/service/"))
    assert "E-adrese" in page
    assert "Uzņēmumu reģistrs" not in page
    assert "Pabalsti" not in page


def test_query_count_does_not_grow_with_tickets(
    superuser: User, institution: Institution, services: dict[str, Service]
) -> None:
    client = client_for(superuser)
    open_tickets(superuser, institution, services["eadr"], 1)
    client.get("/reports/portfolio/")  # warm caches
    with CaptureQueriesContext(connection) as few:
        client.get("/reports/portfolio/")
    open_tickets(superuser, institution, services["eadr"], 4)
    open_tickets(superuser, institution, services["reg"], 3, kind="request")
    with CaptureQueriesContext(connection) as many:
        client.get("/reports/portfolio/")
    assert len(many) <= len(few) + 2, (len(few), len(many))


def test_other_dashboards_keep_the_period_not_the_filters(
    superuser: User, demo: Demo, services: dict[str, Service]
) -> None:
    sid = services["eadr"].pk
    page = text_of(
        client_for(superuser).get(f"/reports/demo/?period=week&on=2026-03-11&service={sid}")
    )
    assert 'href="/reports/portfolio/?period=week&amp;on=2026-03-09"' in page


def test_a_long_table_under_its_chart_starts_folded() -> None:
    from zina.reports.views import COLLAPSE_ROWS, present

    long = demo_tables()["test.line"]
    long.rows = [[date(2026, 1, 1) + timedelta(days=i), i, i] for i in range(COLLAPSE_ROWS + 1)]
    assert present("test.line", long, "f1", "").collapsed
    long.rows = long.rows[:COLLAPSE_ROWS]
    assert not present("test.line", long, "f1", "").collapsed
    no_chart = demo_tables()["test.empty"]
    no_chart.rows = [["x"]] * 40
    assert not present("test.empty", no_chart, "f1", "").collapsed


def test_the_bad_date_field_is_marked(superuser: User) -> None:
    client = client_for(superuser)
    page = text_of(client.get("/reports/portfolio/?period=week&on=2026-02-30"))
    assert re.search(r'id="f-on"[^>]*aria-invalid="true"', page)
    assert not re.search(r'id="f-from"[^>]*aria-invalid', page)
    page = text_of(client.get("/reports/portfolio/?period=custom&from=2026-03-02&to=2026-03-01"))
    assert re.search(r'id="f-from"[^>]*aria-invalid="true"', page)
    assert re.search(r'id="f-to"[^>]*aria-invalid="true"', page)
    assert not re.search(r'id="f-on"[^>]*aria-invalid', page)
    assert 'value="2026-03-02"' in page  # what was typed stays for correcting
