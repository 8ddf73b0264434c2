"""Browser test: search as you type (htmx suggestions under the CSP), then the results page
and its facets (loaded by htmx after the results)."""

from __future__ import annotations

from typing import Any

import pytest

from zina.accounts.models import Institution, User
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_suggestions_while_typing_and_highlighted_results(
    browser: Any, live_server: Any, superuser: User, institution: Institution
) -> None:
    draft = ops.create_article(
        actor=superuser,
        institution=institution,
        settings=ops.ArticleSettings(type=ArticleType.FAQ, audience=Audience.PUBLIC),
        text=ops.ArticleText(
            title="Pakalpojumu pārtraukums e-adresē",
            body="Plānotā pārtraukuma laikā e-adreses pakalpojumi nav pieejami.",
        ),
        language="lv",
    )
    ops.publish_revision(actor=superuser, revision=draft)
    base = str(live_server)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/search/")
    # Typed without diacritics and cut short, as people type.
    page.locator("#search-q").press_sequentially("partraukum", delay=30)
    page.wait_for_selector("#search-suggest .suggestions a")
    assert "Pakalpojumu pārtraukums e-adresē" in page.inner_text("#search-suggest")
    page.locator("#search-q").press("Enter")
    page.wait_for_selector(".search-results mark")
    assert page.locator(".search-results h3 a").first.inner_text() == (
        "Pakalpojumu pārtraukums e-adresē"
    )
    # The facets and the exact total load after the results (a second htmx request).
    page.wait_for_selector("#search-facets h2")
    assert page.inner_text("#results-total") == "1 rezultāts"
    assert errors == []  # no CSP violations
    context.close()
