"""Browser test: the editor's live Markdown preview (htmx) renders as one types, sanitised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.conftest import PASSWORD, browser_login
from zina.knowledge.models import ArticleRevision

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_preview_renders_markdown_and_drops_scripts(
    browser: Any,
    live_server: Any,
    make_user: Callable[..., User],
    institution: Institution,
    write: Callable[..., ArticleRevision],
) -> None:
    writer = make_user("rakstitajs", institution, Role.SUPPORT_EXPERT, password=PASSWORD)
    draft = write(writer, "Priekšskatījums")
    base = str(live_server)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    browser_login(page, base, writer.username, PASSWORD)
    page.goto(f"{base}/knowledge/{draft.article_id}/revisions/{draft.pk}/edit/")
    page.fill("#id_body", "**Svarīgi** <script>window.hacked = 1</script>")
    page.wait_for_selector("#preview strong")
    preview = page.inner_html("#preview")
    assert "<strong>Svarīgi</strong>" in preview
    assert "<script" not in preview
    assert page.evaluate("() => window.hacked") is None
    assert errors == []  # no CSP violations from htmx
    context.close()
