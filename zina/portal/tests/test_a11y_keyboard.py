"""Keyboard-only walkthrough (issue 7, section 5): the skip link comes first and lands in the
main landmark; every interactive element is reachable with Tab and shows its focus (outline
or box-shadow); a visitor goes from the portal's home through search to an article, answers
"Was this helpful?" and submits a request with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from zina.portal.tests.a11y import assert_focus_visible, tab, tab_walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def portal_url(name: str, *args: Any) -> str | None:
    try:
        return reverse(f"portal:{name}", args=args)
    except NoReverseMatch:
        return None


def check_skip_link(page: Any, where: str) -> None:
    """The first Tab stop is the skip link; following it puts focus in <main>."""
    first = tab(page)
    assert_focus_visible(first, where)
    assert first is not None
    assert "skip-link" in first["cls"], f"{where}: the first Tab stop is {first}"
    assert first["href"] == "#main"
    page.keyboard.press("Enter")
    landed = page.evaluate(
        "() => document.activeElement.id === 'main' && document.activeElement.tagName"
    )
    assert landed == "MAIN", f"{where}: the skip link did not move focus to the main landmark"


@pytest.mark.parametrize("language", ["lv", "en"])
def test_site_home_by_keyboard(browser: Any, live_server: Any, language: str) -> None:
    base = str(live_server)
    context = browser.new_context()
    context.add_cookies([{"name": "zina_language", "value": language, "url": base}])
    page = context.new_page()
    page.goto(f"{base}/")
    check_skip_link(page, "home")
    # From <main>, the next stop is main's first link (the header is skipped).
    after = tab(page)
    assert_focus_visible(after, "home after the skip link")
    assert page.evaluate("() => !!document.activeElement.closest('main')")
    page.goto(f"{base}/")
    elements = tab_walk(page, where="home")
    # Skip link, brand, search field and button, language, log in (twice), API.
    assert len(elements) >= 8, elements
    assert "skip-link" in elements[0]
    context.close()


def test_the_walk_catches_focus_that_cannot_be_seen(browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.set_content(
        '<html lang="en"><head><title>x</title><style>button:focus { outline: none }</style>'
        '</head><body><main><a href="#a">A</a> <button type="button">B</button></main></body>'
        "</html>"
    )
    with pytest.raises(AssertionError, match=r"focus not visible on button 'B'"):
        tab_walk(page, where="bad page")
    context.close()
