"""Browser tests (issue 7, section 6): a service recipient, in Debian's chromium and in Latvian,
finds an article with a query typed without diacritics, rates it, asks the virtual assistant,
turns the conversation into a request, receives the e-mail with the private tracking link,
opens it and replies; staff's answer then shows on the same page.

The live server runs in this process, so the mail it sends lands in Django's test outbox
(``django.core.mail.outbox``), read here as a mailbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as cops
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import ArticleFeedback
from zina.portal.tests.a11y import assert_accessible
from zina.tickets import operations as tops
from zina.tickets.choices import EntryKind
from zina.tickets.models import Ticket, TicketEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "liga.kalnina@example.lv"
TRACKING = re.compile(r"https?://\S+?(/portal/requests/[^/\s]+/)")
# The portal refuses forms sent back sooner than a person fills them (spam.MIN_FILL_SECONDS).
HUMAN_PAUSE_MS = 3200


def lv(text: Any) -> str:
    """``text`` (a message id or a lazy translation) as the Latvian page shows it."""
    with translation.override("lv"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def knowledge(superuser: User, institution: Institution) -> dict[str, Any]:
    service = cops.create_service(
        actor=superuser,
        institution=institution,
        data=cops.ServiceData(
            identifier="VRA-EADR",
            name="E-adrese",
            name_en="E-address",
            category="Saziņa ar valsti",
        ),
    )
    draft = kops.create_article(
        actor=superuser,
        institution=institution,
        settings=kops.ArticleSettings(
            type=ArticleType.FAQ, audience=Audience.PUBLIC, services=[service]
        ),
        text=kops.ArticleText(
            title="Kā pieslēgties e-adresei",
            body=(
                "E-adresei pieslēdzas portālā Latvija.gov.lv ar eID karti, eParakstu vai "
                "internetbankas autentifikāciju. Pēc pieslēgšanās atveriet sadaļu "
                "“Mana e-adrese”."
            ),
        ),
        language="lv",
    )
    article = kops.publish_revision(actor=superuser, revision=draft).article
    return {"service": service, "article": article}


def tracking_link(address: str) -> str | None:
    """The private tracking link from the mail sent to ``address`` (newest first)."""
    for message in reversed(mail.outbox):
        if address in message.to:
            found = TRACKING.search(message.body)
            if found:
                return found.group(1)
    return None


def new_page(browser: Any, base: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(locale="lv-LV")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return context, page, errors


def find_and_rate(page: Any, base: str, article: Any) -> None:
    """Search with a diacritic-free query (suggestions while typing, then the results), open
    the article and answer "Was this helpful?" with yes."""
    page.goto(f"{base}{reverse('portal:home')}")
    search = page.locator("#portal-q")
    search.press_sequentially("pieslegties e-adresei", delay=20)
    page.wait_for_selector("#portal-suggest a")
    assert "Kā pieslēgties e-adresei" in page.inner_text("#portal-suggest")
    search.press("Enter")
    page.wait_for_url("**/portal/search/?q=*")
    results = page.locator("main").get_by_role("link", name="Kā pieslēgties e-adresei")
    assert results.count() >= 1
    assert_accessible(page, "search results")
    results.first.click()
    page.wait_for_url(f"**{reverse('portal:article', args=[article.pk])}")
    assert page.get_by_role("heading", level=1).inner_text() == "Kā pieslēgties e-adresei"
    feedback = page.locator("#feedback")
    feedback.get_by_label(lv("Yes"), exact=True).check()
    feedback.get_by_role("button", name=lv("Send")).click()
    page.wait_for_selector(f"#feedback:has-text('{lv('Thank you for your feedback.')}')")
    assert ArticleFeedback.objects.filter(article=article, helpful=True).count() == 1


def reply_on_tracking_page(browser: Any, base: str, path: str, ticket: Ticket) -> None:
    """Open the tracking link in a fresh browser (as from the mail program), reply, and see
    staff's answer there afterwards."""
    context, page, errors = new_page(browser, base)
    page.goto(f"{base}{path}")
    assert ticket.reference in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page, "tracking page")
    page.locator("#id_body").fill("Paldies! Varu pievienot ekrānuzņēmumu, ja vajag.")
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name=lv("Send")).click()
    assert "Paldies! Varu pievienot ekrānuzņēmumu, ja vajag." in page.inner_text("main")
    assert TicketEntry.objects.filter(
        ticket=ticket, kind=EntryKind.INCOMING, body__startswith="Paldies!"
    ).exists()
    staff_answers(ticket)
    page.reload()
    assert "Lūdzu, pārbaudiet, vai pārlūkā atļautas sīkdatnes." in page.inner_text("main")
    assert errors == [], errors
    context.close()


def staff_answers(ticket: Ticket) -> None:
    staff = User.objects.get(username="anna")
    tops.add_entry(
        actor=staff,
        ticket=ticket,
        kind=EntryKind.REPLY,
        body="Lūdzu, pārbaudiet, vai pārlūkā atļautas sīkdatnes.",
    )


@pytest.fixture
def staff(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("anna", institution, Role.SUPPORT_SPECIALIST, email="anna@vra.example.lv")


def test_recipient_finds_rates_asks_the_assistant_and_follows_the_request_by_mail(
    browser: Any, live_server: Any, knowledge: dict[str, Any], staff: User
) -> None:
    base = str(live_server)
    article = knowledge["article"]
    context, page, errors = new_page(browser, base)
    find_and_rate(page, base, article)

    # The assistant answers from the article, the visitor says it did not help, and turns
    # the conversation into a request.
    page.goto(f"{base}{reverse('portal:assistant')}")
    question = page.locator("#assistant-conversation-question")
    question.fill("nevaru pieslegties e-adresei ar eid karti")
    page.locator("form.assistant-ask").get_by_role("button", name=lv("Ask")).click()
    turn = page.locator(".assistant-turn").first
    turn.wait_for()
    assert turn.get_by_role("link", name="Kā pieslēgties e-adresei").count() == 1
    assert_accessible(page, "assistant answer")
    turn.get_by_role("button", name=lv("No")).click()
    offer = page.get_by_role("link", name=lv("Make a request"))
    offer.wait_for()
    offer.click()
    page.wait_for_url(f"**{reverse('portal:assistant_request')}")
    assert page.locator("#id_subject").input_value() == "nevaru pieslegties e-adresei ar eid karti"
    page.locator("#id_name").fill("Līga Kalniņa")
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_details").fill("Pēc autentifikācijas redzu tukšu lapu.")
    assert_accessible(page, "request from the conversation")
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    with page.expect_navigation():
        page.get_by_role("button", name=lv("Send the request")).click()
    ticket = Ticket.objects.get(reporter_email=EMAIL)
    assert ticket.reference in page.inner_text("main")
    assert "nevaru pieslegties e-adresei ar eid karti" in ticket.description  # the transcript
    assert errors == [], errors
    context.close()

    # The mailbox: the reference, and the private link to follow the request.
    mine = [m for m in mail.outbox if EMAIL in m.to]
    assert mine, "no mail to the reporter"
    assert any(ticket.reference in m.subject for m in mine)
    path = tracking_link(EMAIL)
    assert path is not None, [m.body for m in mine]
    reply_on_tracking_page(browser, base, path, ticket)


def test_recipient_submits_after_reading_and_replies_through_the_mailed_link(
    browser: Any, live_server: Any, knowledge: dict[str, Any], staff: User
) -> None:
    base = str(live_server)
    article = knowledge["article"]
    service = knowledge["service"]
    context, page, errors = new_page(browser, base)
    find_and_rate(page, base, article)

    # Still needs help: from the article to the form, which suggests the same article.
    page.get_by_role("link", name=lv("Submit a question or request")).click()
    page.wait_for_url("**/portal/submit/**")
    page.locator("main ul.grid a").first.click()
    page.wait_for_selector("#submit-form")
    service_field = page.locator("#id_service")
    if service_field.input_value() != str(service.pk):
        service_field.select_option(str(service.pk))
    page.locator("#id_subject").fill("Nevaru pieslegties e-adresei")
    page.locator("#id_description").fill("Pēc autentifikācijas ar eID karti redzu tukšu lapu.")
    page.wait_for_selector("#suggest-panel a")
    assert "Kā pieslēgties e-adresei" in page.inner_text("#suggest-panel")
    page.locator("#id_name").fill("Līga Kalniņa")
    page.locator("#id_email").fill(EMAIL)
    assert_accessible(page, "submission form with suggestions")
    page.wait_for_timeout(HUMAN_PAUSE_MS)
    with page.expect_navigation():
        page.locator("#submit-form").get_by_role("button", name=lv("Send")).click()
    ticket = Ticket.objects.get(reporter_email=EMAIL)
    assert ticket.service == service
    assert ticket.reference in page.inner_text("main")
    assert errors == [], errors
    context.close()

    path = tracking_link(EMAIL)
    assert path is not None, [m.body for m in mail.outbox]
    reply_on_tracking_page(browser, base, path, ticket)
