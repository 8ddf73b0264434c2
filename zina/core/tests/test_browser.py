"""Browser test: every demo role logs in and sees its home page in Latvian and in English.

Drives Debian's chromium (/usr/bin/chromium) through Playwright; nothing is downloaded.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from zina.accounts.choices import Role
from zina.core.demo import DEMO_PASSWORD, PEOPLE, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def role_label(role: str, language: str) -> str:
    with translation.override(language):
        return str(Role(role).label)


@pytest.mark.parametrize(("username", "role"), [(p[0], p[4]) for p in PEOPLE])
def test_each_role_sees_its_home_page_in_latvian_and_english(
    browser: object, live_server: object, username: str, role: str
) -> None:
    load_demo()
    context = browser.new_context(locale="en-GB")  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    base = str(live_server)
    page.goto(f"{base}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "lv"  # Latvian first, whatever the browser
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")

    assert page.locator("html").get_attribute("lang") == "lv"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Sveicināti")
    assert role_label(role, "lv") in page.locator("main").inner_text()
    assert page.locator("a.skip-link").count() == 1
    assert page.locator("nav.main-nav").count() == 1

    page.select_option("#lang-select", "en")
    page.locator("form.lang-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert role_label(role, "en") in page.locator("main").inner_text()

    assert errors == [], errors  # no CSP violations, no missing assets, no script errors
    context.close()
