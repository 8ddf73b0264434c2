"""Browser test: a service-portfolio owner imports the catalog through the web page, checks the
report, confirms, and finds the affected services on a resource page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zina.accounts.choices import Role
from zina.catalog.models import Resource, Service
from zina.conftest import PASSWORD, browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def test_portfolio_owner_imports_through_the_web_and_sees_affected_services(
    browser: Any, live_server: Any, make_user: Any, institution: Any
) -> None:
    make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER, password=PASSWORD)
    make_user("resursi", institution, Role.RESOURCE_PORTFOLIO_OWNER, password=PASSWORD)
    make_user("pakalpojums", institution, Role.SERVICE_OWNER, password=PASSWORD)
    make_user("resurss", institution, Role.RESOURCE_OWNER, password=PASSWORD)
    owner = make_user("admins", institution, Role.ADMINISTRATOR, password=PASSWORD)
    base = str(live_server)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, base, owner.username, PASSWORD)

    page.goto(f"{base}/catalog/import/")
    page.set_input_files(
        "input[type=file]",
        [str(EXAMPLES / n) for n in ("services.csv", "resources.csv", "dependencies.csv")],
    )
    page.locator("main form button[type=submit]").click()
    report = page.locator("section.card")
    assert "2" in report.inner_text()  # two services, two resources, as in the example files
    assert Service.objects.count() == 0  # the first step only reports

    page.locator("button[name=confirm]").click()
    page.wait_for_load_state()
    assert Service.objects.filter(institution=institution).count() == 2
    assert Resource.objects.filter(institution=institution).count() == 2

    database = Resource.objects.get(identifier="VRA-SRV-DB-01")
    page.goto(f"{base}{database.get_absolute_url()}")
    affected = page.locator("#affected-heading + ul").inner_text()
    assert "Dzīvesvietas deklarēšana tiešsaistē" in affected
    assert "Dzīvesvietas deklarēšana klātienē" in affected
    assert errors == []
    context.close()
