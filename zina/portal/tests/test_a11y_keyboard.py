"""Keyboard-only walkthrough (issue 7, section 5): the skip link comes first and lands in the
main landmark; every interactive element is reachable with Tab and shows its focus (outline
or box-shadow); a visitor goes from the portal's home through search to an article, answers
"Was this helpful?" and submits a request with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse

from zina.portal.tests.a11y import assert_focus_visible, tab, tab_to, tab_walk

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


def test_portal_by_keyboard_alone(
    browser: Any, live_server: Any, superuser: Any, institution: Any
) -> None:
    """Portal home → search → article → "Was this helpful?" → the submission form, with
    the keyboard only; on every page each interactive element is reachable by Tab and shows
    its focus."""
    if portal_url("home") is None or portal_url("submit_choose") is None:
        pytest.skip("the portal's public pages are not there yet")
    from zina.catalog import operations as cops
    from zina.knowledge import operations as kops
    from zina.knowledge.choices import ArticleType, Audience
    from zina.knowledge.models import ArticleFeedback
    from zina.tickets.models import Ticket

    service = cops.create_service(
        actor=superuser,
        institution=institution,
        data=cops.ServiceData(identifier="VRA-EADR", name="E-adrese", category="Saziņa"),
    )
    draft = kops.create_article(
        actor=superuser,
        institution=institution,
        settings=kops.ArticleSettings(
            type=ArticleType.FAQ, audience=Audience.PUBLIC, services=[service]
        ),
        text=kops.ArticleText(
            title="Kā pieslēgties e-adresei",
            body="Pieslēdzieties portālā ar eID karti vai internetbanku.",
        ),
        language="lv",
    )
    article = kops.publish_revision(actor=superuser, revision=draft).article
    base = str(live_server)
    context = browser.new_context(locale="lv-LV")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def walk(url: str, where: str) -> None:
        page.goto(url)
        tab_walk(page, where=where)

    # Home: the skip link first, then the search field; type and go with Enter.
    home = f"{base}{portal_url('home')}"
    walk(home, "portal home")
    page.goto(home)
    check_skip_link(page, "portal home")
    tab_to(page, lambda f: f["id"] == "portal-q", where="portal home")
    page.keyboard.type("pieslegties e-adresei", delay=20)
    page.wait_for_selector("#portal-suggest a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    results = page.url
    walk(results, "search results")
    page.goto(results)
    tab_to(page, lambda f: f["text"] == "Kā pieslēgties e-adresei", where="search results")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(portal_url("article", article.pk) or "")

    # The article: "Was this helpful?" — Yes (Space), then Send (Enter).
    article_url = page.url
    walk(article_url, "article")
    page.goto(article_url)
    tab_to(page, lambda f: f["type"] == "radio", where="article feedback")
    page.keyboard.press("Space")
    tab_to(page, lambda f: f["tag"] == "button", where="feedback")
    assert page.evaluate("() => !!document.activeElement.closest('#feedback')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#feedback form", state="detached")
    assert ArticleFeedback.objects.filter(article=article, helpful=True).count() == 1

    # Still needs help: to the submission form, filled in and sent by keyboard.
    page.goto(article_url)
    tab_to(page, lambda f: "/portal/submit/" in f["href"] and "?" in f["href"], where="article")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    choose = page.url
    walk(choose, "submission choices")
    page.goto(choose)
    tab_to(page, lambda f: f["href"].count("/") > 3 and "/submit/" in f["href"], where="choose")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    form_url = page.url
    walk(form_url, "submission form")
    page.goto(form_url)
    fields = {
        "id_subject": "Nevaru pieslegties e-adresei",
        "id_description": "Pec autentifikacijas redzu tuksu lapu.",
        "id_name": "Līga Kalniņa",
        "id_email": "liga.kalnina@example.lv",
    }
    service_field = tab_to(page, lambda f: f["id"] == "id_service", where="submission form")
    if page.locator("#id_service").input_value() != str(service.pk):
        page.keyboard.type("E-adrese")  # a select chooses by typing its option's name
    assert service_field is not None
    for field_id, text in fields.items():
        tab_to(page, lambda f, field_id=field_id: f["id"] == field_id, where="submission form")
        page.keyboard.type(text)
    assert page.locator("#id_service").input_value() == str(service.pk)
    page.wait_for_timeout(3200)  # a person takes a few seconds (the form's spam check)
    tab_to(page, lambda f: f["tag"] == "button" and f["type"] == "submit", where="form")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    ticket = Ticket.objects.get(reporter_email="liga.kalnina@example.lv")
    assert ticket.reference in page.inner_text("main")
    walk(page.url, "tracking page")
    assert errors == [], errors
    context.close()
