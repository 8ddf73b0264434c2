"""Browser test: the new-ticket page suggests a matching article while the subject is typed
("search early"), under the CSP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.conftest import PASSWORD, browser_login
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleType, Audience

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_ticket_suggests_articles_while_typing(
    browser: Any,
    live_server: Any,
    superuser: User,
    institution: Institution,
    make_user: Callable[..., User],
) -> None:
    make_user("anna", institution, Role.SUPPORT_SPECIALIST, password=PASSWORD)
    draft = kops.create_article(
        actor=superuser,
        institution=institution,
        settings=kops.ArticleSettings(type=ArticleType.SOLUTION, audience=Audience.PUBLIC),
        text=kops.ArticleText(
            title="Printeris neizdrukā rēķinus",
            resolution="Pārstartējiet drukas rindu.",
        ),
        language="lv",
    )
    kops.publish_revision(actor=superuser, revision=draft)
    base = str(live_server)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(page, base, "anna", PASSWORD)
    page.goto(f"{base}/tickets/new/?kind=incident")
    page.locator("#id_subject").press_sequentially("printeris neizdruka", delay=30)
    page.wait_for_selector("#suggest-panel .suggestions a")
    assert "Printeris neizdrukā rēķinus" in page.inner_text("#suggest-panel")
    # Typing in the description alone triggers the panel too.
    page.goto(f"{base}/tickets/new/?kind=incident")
    page.locator("#id_description").press_sequentially("printeris neizdruka", delay=30)
    page.wait_for_selector("#suggest-panel .suggestions a")
    assert "Printeris neizdrukā rēķinus" in page.inner_text("#suggest-panel")
    assert errors == []
    context.close()
