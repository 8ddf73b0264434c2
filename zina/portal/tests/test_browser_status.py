"""Browser test (issue 7, section 6): the status page shows an interruption recorded by staff
through the ticket operations, then its public progress update, then its resolution; each
step as a visitor sees it in Debian's chromium, in Latvian, under the CSP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as cops
from zina.portal.tests.a11y import assert_accessible
from zina.tickets import operations as tops
from zina.tickets.choices import EntryKind, Impact, Kind, Urgency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def lv(text: Any) -> str:
    """``text`` (a message id or a lazy translation) as the Latvian page shows it."""
    with translation.override("lv"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def test_status_page_follows_an_interruption_from_report_to_resolution(
    browser: Any,
    live_server: Any,
    superuser: User,
    institution: Institution,
    make_user: Callable[..., User],
) -> None:
    from zina.portal import status

    staff = make_user("inga", institution, Role.INCIDENT_MANAGER, email="inga@vra.example.lv")
    service = cops.create_service(
        actor=superuser,
        institution=institution,
        data=cops.ServiceData(identifier="VRA-EADR", name="E-adrese", name_en="E-address"),
    )
    cops.create_service(
        actor=superuser,
        institution=institution,
        data=cops.ServiceData(identifier="VRA-DZIV", name="Dzīvesvietas deklarēšana"),
    )
    base = str(live_server)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    status_url = f"{base}{reverse('portal:status')}"

    # Before: everything works.
    page.goto(status_url)
    assert lv("All services are operational.") in page.inner_text("main")

    # Staff record the interruption (a major incident on the service itself).
    ticket = tops.open_ticket(
        actor=staff,
        institution=institution,
        kind=Kind.INCIDENT,
        data=tops.TicketData(
            subject="E-adrese nav pieejama",
            description="Lietotāji nevar atvērt e-adreses pastkastīti.",
            service=service,
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
            interruption=True,
            interruption_start=timezone.now() - timedelta(minutes=20),
        ),
    )
    page.goto(status_url)
    main = page.locator("main")
    row = main.locator("table.status-table tr", has_text="E-adrese")
    assert lv(status.STATE_LABELS[status.INTERRUPTED]) in row.inner_text()
    other_row = main.locator("table.status-table tr", has_text="Dzīvesvietas deklarēšana")
    assert lv(status.STATE_LABELS[status.OPERATIONAL]) in other_row.inner_text()
    assert "1" in main.locator("p.message.warning").inner_text()
    current = main.locator("section[aria-labelledby=current-heading]")
    event_link = current.get_by_role("link", name="E-adrese nav pieejama")
    assert event_link.count() == 1
    assert_accessible(page, "status page with an interruption")
    event_link.click()
    page.wait_for_url(f"**{reverse('portal:status_event', args=[ticket.pk])}")
    assert page.get_by_role("heading", level=1).inner_text() == "E-adrese nav pieejama"
    assert "Lietotāji nevar atvērt e-adreses pastkastīti." in page.inner_text("main")
    assert lv("No updates yet.") in page.inner_text("main")
    assert lv("not yet") in page.inner_text("main")  # not restored yet

    # A public update from staff (a reply on the ticket).
    tops.add_entry(
        actor=staff,
        ticket=ticket,
        kind=EntryKind.REPLY,
        body="Kļūme atrasta datubāzes serverī; nomainām bojāto disku.",
    )
    tops.add_entry(actor=staff, ticket=ticket, kind=EntryKind.NOTE, body="Iekšēji: serveris db-02.")
    page.reload()
    updates = page.locator("section[aria-labelledby=updates-heading]").inner_text()
    assert "Kļūme atrasta datubāzes serverī; nomainām bojāto disku." in updates
    assert "db-02" not in page.inner_text("body")  # internal notes never show
    assert_accessible(page, "status event with an update")

    # Resolved: the service works again, the event moves to the past with its result.
    tops.transition(actor=staff, ticket=ticket, action="start")
    tops.transition(
        actor=staff,
        ticket=ticket,
        action="resolve",
        resolution="Disks nomainīts, e-adrese atkal darbojas.",
    )
    page.reload()
    text = page.inner_text("main")
    assert "Disks nomainīts, e-adrese atkal darbojas." in text
    assert lv("not yet") not in text
    assert page.locator("section[aria-labelledby=result-heading]").count() == 1
    page.goto(status_url)
    main = page.locator("main")
    assert lv("All services are operational.") in main.inner_text()
    row = main.locator("table.status-table tr", has_text="E-adrese")
    assert lv(status.STATE_LABELS[status.OPERATIONAL]) in row.inner_text()
    past = main.locator("section[aria-labelledby=recent-heading]")
    assert "E-adrese nav pieejama" in past.inner_text()
    assert_accessible(page, "status page after the resolution")
    assert errors == [], errors
    context.close()
