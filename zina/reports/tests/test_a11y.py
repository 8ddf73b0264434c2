"""Accessibility of the reports pages (axe-core, WCAG 2.1 A and AA, through Playwright and
Debian's chromium): the index, every real dashboard with tickets in it, a dashboard with
every kind of figure (bars, lines, links, row actions, an empty and a failing figure), its
printable page and the page of bad filters; in Latvian and English, at desktop and at phone
width (375 px, where nothing may scroll sideways). No serious or critical violation allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zina.accounts.models import Institution, User
from zina.catalog.models import Service
from zina.conftest import PASSWORD, browser_login
from zina.portal.tests.a11y import blocking, describe, run_axe
from zina.reports.dashboards import DASHBOARDS

from .test_views import Demo, open_tickets
from .test_views import demo as demo  # the fixture, by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 740}
LANGUAGE_COOKIE = "zina_language"


@pytest.fixture
def viewer(db: Any, institution: Institution, other_institution: Institution) -> User:
    """An administrator of the installation (sees every dashboard), with some tickets about."""
    user = User.objects.create_superuser(
        username="parskati", email="parskati@zina.example.lv", password=PASSWORD
    )
    eadr = Service.objects.create(institution=institution, identifier="VRA-1", name="E-adrese")
    reg = Service.objects.create(
        institution=institution, identifier="VRA-2", name="Uzņēmumu reģistrs"
    )
    spa = Service.objects.create(institution=other_institution, identifier="SPA-1", name="Pabalsti")
    open_tickets(user, institution, eadr, 3)
    open_tickets(user, institution, reg, 2, kind="request")
    open_tickets(user, other_institution, spa, 1, kind="complaint")
    return user


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("mobile", MOBILE)])
def test_reports_pages_pass_axe(
    browser: Any,
    live_server: Any,
    viewer: User,
    demo: Demo,
    language: str,
    width: str,
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    base = str(live_server)
    context = browser.new_context(viewport=viewport, locale="lv-LV")
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, base, viewer.username, PASSWORD)
    pages = {
        "index": "/reports/",
        **{key: f"/reports/{key}/" for key in DASHBOARDS},
        "demo": "/reports/demo/?period=month&on=2026-03-01",
        "demo (filters open)": "/reports/demo/?period=month&on=2026-03-01&type=incident",
        "print": "/reports/demo/print/?period=month&on=2026-03-01",
        "bad filters": "/reports/portfolio/?period=custom&from=2026-03-10&to=2026-03-01",
    }
    failures: list[str] = []
    for name, path in pages.items():
        page.goto(f"{base}{path}")
        if name == "demo (filters open)":
            for summary in page.locator("details.filter-group > summary").all():
                summary.click()
        label = f"{name} {path} ({language}, {width})"
        lang = page.locator("html").get_attribute("lang")
        if lang != language:
            failures.append(f"{label}: <html lang={lang!r}>")
        serious = blocking(run_axe(page))
        if serious:
            failures.append(describe(serious, label))
        if width == "mobile":
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                failures.append(f"{label}: the page scrolls sideways by {overflow}px")
            page.screenshot(path=str(tmp_path / f"{language}-{name}.png"), full_page=True)
    context.close()
    assert not failures, "\n\n".join(failures)
    assert errors == [], errors


def test_print_button_prints(browser: Any, live_server: Any, viewer: User, demo: Demo) -> None:
    """The printable page's button appears with its script and opens the print dialogue."""
    base = str(live_server)
    context = browser.new_context()
    page = context.new_page()
    browser_login(page, base, viewer.username, PASSWORD)
    page.goto(f"{base}/reports/demo/print/?period=month&on=2026-03-01")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed++; }; }")
    button = page.locator("button[data-print]")
    assert button.is_visible()
    button.click()
    assert page.evaluate("() => window.__printed") == 1
    # Printed, the page keeps its charts and tables and drops the links to other pages.
    page.emulate_media(media="print")
    assert page.locator(".chart svg").first.is_visible()
    assert not page.locator(".print-tools").is_visible()
    context.close()
