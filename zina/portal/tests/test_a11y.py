"""Accessibility audit of every portal page (issue 7, section 5): axe-core with the WCAG 2.1
A and AA rules, run through Playwright and Debian's chromium, in Latvian and in English, at
desktop and at mobile (375 px) width; 0 serious or critical violations allowed.

The pages are not listed here: they are enumerated from ``zina.portal.urls`` when the test
runs (every named pattern of the ``portal`` namespace), so a new portal page is audited
without touching this file. Patterns with arguments get them from the test data made below
(a public service and article, a status event, a submitted request and its tracking link, an
assistant conversation): first from the links the portal's own pages show, then from the
mail the portal sent, then by trying the test data's keys. Only full HTML documents are
audited (feeds and htmx fragments are not pages). Mobile-width screenshots of every page are
saved under the test's tmp dir; their paths are printed and recorded as a test property.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone

from zina.accounts.models import Institution, User
from zina.conftest import PASSWORD, browser_login
from zina.portal.tests.a11y import assert_accessible, blocking, describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 740}
LANGUAGE_COOKIE = "zina_language"
HREF = re.compile(r"""(?:href|action|hx-get)="(/portal/[^"#]*)""")
MAIL_URL = re.compile(r"https?://[^\s/]+(/portal/\S*)")


# --- Test data --------------------------------------------------------------------------


@dataclass
class PortalData:
    """What the portal shows to anonymous visitors, and the keys to reach it."""

    objects: dict[str, Any] = field(default_factory=dict)
    # Values tried for a pattern's arguments when no page links to it.
    values: list[Any] = field(default_factory=list)
    # A service recipient with an account, who has submitted a request of their own.
    recipient: User | None = None


def make_portal_data(superuser: User, institution: Institution) -> PortalData:
    from zina.catalog import operations as cops
    from zina.knowledge import operations as kops
    from zina.knowledge.choices import ArticleType, Audience
    from zina.tickets import operations as tops
    from zina.tickets.choices import Kind

    data = PortalData()
    service = cops.create_service(
        actor=superuser,
        institution=institution,
        data=cops.ServiceData(
            identifier="VRA-EADR",
            name="E-adrese",
            name_en="Official e-address",
            description="Oficiālā elektroniskā adrese saziņai ar valsti.",
            description_en="The official electronic address for talking to the state.",
            category="Saziņa",
        ),
    )
    article = kops.create_article(
        actor=superuser,
        institution=institution,
        settings=kops.ArticleSettings(
            type=ArticleType.FAQ, audience=Audience.PUBLIC, services=[service]
        ),
        text=kops.ArticleText(
            title="Kā pieslēgties e-adresei",
            body="Atveriet portālu un autentificējieties ar eID karti vai internetbanku.",
        ),
        language="lv",
    )
    article_lv = kops.publish_revision(actor=superuser, revision=article)
    related = kops.create_article(
        actor=superuser,
        institution=institution,
        settings=kops.ArticleSettings(
            type=ArticleType.SOLUTION, audience=Audience.PUBLIC, services=[service]
        ),
        text=kops.ArticleText(
            title="E-adrese neatveras",
            symptoms="Pēc pieslēgšanās redzama tukša lapa.",
            resolution="Notīriet pārlūka kešatmiņu un mēģiniet vēlreiz.",
        ),
        language="lv",
    )
    kops.publish_revision(actor=superuser, revision=related)
    start = timezone.now() - timedelta(hours=2)
    event = tops.open_ticket(
        actor=superuser,
        institution=institution,
        kind=Kind.INCIDENT,
        data=tops.TicketData(
            subject="E-adrese nav pieejama",
            description="Lietotāji nevar pieslēgties e-adresei.",
            service=service,
            interruption=True,
            interruption_start=start,
        ),
    )
    data.objects.update(service=service, article=article_lv.article, event=event)
    _made_through_the_portal(data, service)
    data.values += [
        service.pk,
        service.identifier,
        article_lv.article.pk,
        event.pk,
        event.reference,
    ]
    for name in ("slug", "identifier", "number", "key"):
        for obj in (article_lv.article, service):
            value = getattr(obj, name, None)
            if value:
                data.values.append(value)
    return data


def _made_through_the_portal(data: PortalData, service: Any) -> None:
    """A request submitted through the portal (its tracking link is mailed) and a
    conversation with the assistant, through the portal's operations where they exist."""
    try:
        from zina.portal import operations as pops
    except ImportError:
        pops = None
    if hasattr(pops, "submit_request"):
        ticket = pops.submit_request(
            actor=None,
            submission=pops.Submission(
                kind="incident",
                subject="Nevaru atvērt e-adresi",
                description="Pēc pieslēgšanās redzu tukšu lapu.",
                name="Anna Bērziņa",
                email="anna.berzina@example.lv",
                service=service,
            ),
        )
        data.objects["request"] = ticket
        if hasattr(pops, "tracking_token"):
            data.values.append(pops.tracking_token(ticket))
        data.recipient = User.objects.create_user(
            username="janis",
            email="janis.ozols@example.lv",
            password=PASSWORD,
            first_name="Jānis",
            last_name="Ozols",
        )
        own = pops.submit_request(
            actor=data.recipient,
            submission=pops.Submission(
                kind="request",
                subject="Lūdzu atjaunot piekļuvi",
                description="Mana e-adrese ir bloķēta.",
                service=service,
            ),
        )
        data.values += [own.pk]
    try:
        from zina.portal import status_operations as sops
    except ImportError:
        pass
    else:
        sops.subscribe(
            email="ilze@example.lv", services=[service], language="lv", address="192.0.2.10"
        )
    try:
        from zina.portal import assistant_operations as aops
    except ImportError:
        return
    ask = getattr(aops, "ask", None)
    if ask is not None:
        # Another signature would only leave the conversation page unaudited (reported).
        with contextlib.suppress(TypeError):
            ask(session=None, question="ka pieslegties e-adresei", language="lv", address=None)


def _assistant_and_submission_values(data: PortalData) -> None:
    """Keys of what visitors made through the portal (assistant sessions, requests and their
    tracking links, subscriptions): tried as arguments too."""
    from zina.portal.models import AssistantSession, StatusSubscription
    from zina.tickets.models import Ticket

    for session in AssistantSession.objects.all()[:3]:
        data.values += [session.key, session.pk]
    for sub in StatusSubscription.objects.all()[:3]:
        data.values += [sub.token, sub.pk]
    for ticket in Ticket.objects.all()[:5]:
        data.values += [ticket.pk, ticket.reference]
        for name in ("tracking_token", "token", "access_token", "tracking_key"):
            value = getattr(ticket, name, None)
            if value:
                data.values.append(value)


# --- Enumerating the portal's pages ----------------------------------------------------


def portal_patterns() -> list[tuple[str, URLPattern]]:
    """Every named pattern of ``zina.portal.urls`` (includes flattened), as ``portal:name``."""
    from zina.portal import urls

    found: list[tuple[str, URLPattern]] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}:{p.namespace}" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                found.append((f"{namespace}:{p.name}", p))

    walk(list(urls.urlpatterns), urls.app_name)
    return found


def _is_page(response: Any) -> bool:
    """A whole HTML document (not a feed, not an htmx fragment)."""
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and b"<html" in response.content[:2000].lower()
    )


def _url_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name if match.namespace.startswith("portal") else None


def discover_pages(
    data: PortalData, client: Client, names: list[tuple[str, URLPattern]]
) -> dict[str, str]:
    """``{url name: a path that shows that page}`` for the portal pages among ``names`` that
    ``client`` can see with the test data."""
    wanted = {name for name, _ in names}
    pages: dict[str, str] = {}
    candidates: dict[str, list[str]] = {}

    def consider(path: str) -> None:
        name = _url_name(path)
        if name in wanted and name not in pages:
            paths = candidates.setdefault(name, [])
            if path not in paths:
                paths.append(path)

    # 1. Pages without arguments, and every portal link they show (two levels deep).
    frontier = []
    for name, _pattern in names:
        with contextlib.suppress(NoReverseMatch):
            frontier.append(reverse(name))
    seen: set[str] = set()
    for _depth in range(3):
        following: list[str] = []
        for path in frontier:
            if path in seen:
                continue
            seen.add(path)
            response = client.get(path)
            name = _url_name(path)
            if name in wanted and name not in pages and _is_page(response):
                pages[name] = path
            if response.status_code == 200:
                text = response.content.decode("utf-8", "replace")
                for link in HREF.findall(text.replace("&amp;", "&")):
                    consider(link)
                    following.append(link)
        frontier = following
    # 2. Links the portal mailed (tracking links, confirmations).
    for message in mail.outbox:
        for link in MAIL_URL.findall(message.body):
            consider(link.rstrip(".,)>"))
    for name, paths in candidates.items():
        for path in paths:
            if name in pages:
                break
            if _is_page(client.get(path)):
                pages[name] = path
    # 3. Patterns still without a page: try the test data's keys as their arguments.
    for name, pattern in names:
        keys = list(pattern.pattern.regex.groupindex)
        if name in pages or not keys:
            continue
        for value in dict.fromkeys(data.values):
            try:
                path = reverse(name, kwargs=dict.fromkeys(keys, value))
            except NoReverseMatch:
                continue
            if _is_page(client.get(path)):
                pages[name] = path
                break
    return pages


@dataclass
class Targets:
    anonymous: dict[str, str]
    recipient: dict[str, str]
    missing: list[str]


def portal_pages(data: PortalData) -> Targets:
    """Every portal page: those an anonymous visitor sees, those only a logged-in recipient
    sees (their own requests), and the patterns that are not pages (feeds, fragments, POST
    endpoints) or that no test data reaches."""
    _assistant_and_submission_values(data)
    names = portal_patterns()
    anonymous = discover_pages(data, Client(), names)
    recipient: dict[str, str] = {}
    if data.recipient is not None:
        client = Client()
        client.force_login(data.recipient)
        rest = [(n, p) for n, p in names if n not in anonymous]
        recipient = discover_pages(data, client, rest)
    missing = []
    client = Client()
    for name, pattern in names:
        if name in anonymous or name in recipient:
            continue
        keys = list(pattern.pattern.regex.groupindex)
        why = f"no test data reaches it ({', '.join(keys)})" if keys else "not an HTML page"
        for value in dict.fromkeys(data.values):
            with contextlib.suppress(NoReverseMatch):
                if client.get(reverse(name, kwargs=dict.fromkeys(keys, value))).status_code == 405:
                    why = "not a page (POST only)"
                break
        missing.append(f"{name}: {why}")
    return Targets(anonymous, recipient, missing)


# --- The audit ---------------------------------------------------------------------------


@pytest.fixture
def portal_data(superuser: User, institution: Institution) -> PortalData:
    return make_portal_data(superuser, institution)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# Serious violations in a page that its owner is still changing: reported to them, allowed
# here only until fixed, and printed in every run. (rule id, a piece of the element's HTML.)
KNOWN: dict[tuple[str, str], str] = {}


def split_known(violations: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """(violations to fail on, violations that are all KNOWN); a violation with a node that
    matches no KNOWN entry fails with those nodes."""
    failing, known = [], []
    for v in violations:
        pieces = [piece for rule, piece in KNOWN if rule == v["id"]]
        nodes = [n for n in v.get("nodes", []) if not any(p in n.get("html", "") for p in pieces)]
        if nodes:
            failing.append({**v, "nodes": nodes})
        if len(nodes) < len(v.get("nodes", [])):
            known.append(v)
    return failing, known


@dataclass
class Audit:
    """One browser context's audit: every page and state it looked at, what axe found."""

    page: Any
    base: str
    language: str
    width: str
    shots: Path
    audited: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    minor: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    planned: set[str] = field(default_factory=set)  # pages visited anyway
    screenshots: list[str] = field(default_factory=list)

    def check(self, name: str) -> None:
        """Audit the document now in the page."""
        page = self.page
        page.wait_for_load_state("networkidle")
        label = f"{name} {page.url.removeprefix(self.base)} ({self.language}, {self.width})"
        self.audited.append(label)
        lang = page.locator("html").get_attribute("lang")
        if lang != self.language:
            self.failures.append(f"{label}: <html lang={lang!r}>, expected {self.language!r}")
        violations = run_axe(page)
        serious, known = split_known(blocking(violations))
        if serious:
            self.failures.append(describe(serious, label))
        if known:
            self.known.append(describe(known, label))
        lesser = [v for v in violations if v.get("impact") not in ("serious", "critical")]
        if lesser:
            self.minor.append(describe(lesser, label))
        if self.width == "mobile":
            shot = self.shots / f"{self.language}-{_slug(name)}.png"
            page.screenshot(path=str(shot), full_page=True)
            self.screenshots.append(str(shot))
            # Nothing wider than the phone: no sideways scrolling at 375 px (WCAG 1.4.10).
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                self.failures.append(f"{label}: the page scrolls sideways by {overflow}px")

    def follow_new_links(self, name: str) -> None:
        """Audit the portal pages that this state links to and no visit has audited (pages
        that need what the visitor has done here, such as a conversation)."""
        done = {label.split(" ")[0] for label in self.audited} | self.planned
        links: list[str] = self.page.locator("main a[href^='/portal/']").evaluate_all(
            "els => els.map(a => a.getAttribute('href'))"
        )
        for href in dict.fromkeys(links):
            target = _url_name(href)
            if target and target not in done:
                self.visit(f"{target} (from {name})", href)

    def visit(self, name: str, path: str) -> None:
        """Audit a page, then the states a visitor brings it to: search results (a search
        field filled), an answer (a question asked), a form's error messages (sent empty)."""
        page = self.page
        page.goto(f"{self.base}{path}")
        self.check(name)
        main = page.locator("main")
        search = main.locator("form:not([method=post]) input[name=q]")
        if search.count():
            search.first.fill(QUERY)
            _submitting(page, search.first, lambda: search.first.press("Enter"))
            self.check(f"{name} (results)")
            page.goto(f"{self.base}{path}")
        question = main.locator("form [name=question]")
        if question.count():
            question.first.fill(QUERY)
            _submitting(
                page,
                question.first,
                lambda: question.first.evaluate("el => el.form.requestSubmit()"),
            )
            self.check(f"{name} (answered)")
            # "Did this help?" — no: the answer offers more (a request made from it).
            said_no = main.locator("button[name=helpful][value=no]")
            if said_no.count():
                _submitting(page, said_no.first, lambda: said_no.first.click())
                self.check(f"{name} (did not help)")
                self.follow_new_links(name)
            page.goto(f"{self.base}{path}")
        form = main.locator("form[method=post]:has(textarea, input[type=text], input[type=email])")
        if form.count():
            _submitting(
                page,
                form.first,
                lambda: form.first.evaluate("f => { f.noValidate = true; f.requestSubmit(); }"),
            )
            if page.locator("main").count():
                self.check(f"{name} (form errors)")


QUERY = "ka pieslegties e-adresei"  # as people type: no diacritics


def _submitting(page: Any, field: Any, action: Any) -> None:
    """Do ``action`` (``field``'s form is sent) and wait for what follows: an htmx swap in
    this page, or a new page."""
    by_htmx = field.evaluate(
        "el => { const f = el.form || el;"
        " return !!(f.closest('[hx-post], [hx-get], [hx-boost=true]')); }"
    )
    if by_htmx:
        action()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(200)  # the swap settles
        return
    with page.expect_navigation():
        action()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", ["lv", "en"])
@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("mobile", MOBILE)])
def test_every_portal_page_passes_axe(
    browser: Any,
    live_server: Any,
    portal_data: PortalData,
    language: str,
    width: str,
    viewport: dict[str, int],
    tmp_path: Path,
    record_property: Any,
) -> None:
    targets = portal_pages(portal_data)
    base = str(live_server)
    context = browser.new_context(viewport=viewport, locale="lv-LV")
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    audit = Audit(page, base, language, width, tmp_path)
    audit.planned = {"core:home", *targets.anonymous, *targets.recipient}
    # The site's home page, as an anonymous visitor sees it, is the portal's door too.
    audit.visit("core:home", "/")
    for name, path in targets.anonymous.items():
        audit.visit(name, path)
    if targets.recipient and portal_data.recipient is not None:
        browser_login(page, base, portal_data.recipient.username, PASSWORD)
        for name, path in targets.recipient.items():
            audit.visit(f"{name} (logged in)", path)
    context.close()
    record_property("audited", audit.audited)
    print(f"\nAudited ({language}, {width}):\n  " + "\n  ".join(audit.audited))
    if audit.screenshots:
        record_property("screenshots", audit.screenshots)
        print(f"Screenshots ({language}, {width}):\n  " + "\n  ".join(audit.screenshots))
    seen = {label.split(" ")[0] for label in audit.audited}
    missing = [m for m in targets.missing if m.split(": ")[0] not in seen]
    if missing:
        print("Portal patterns that are not pages:\n  " + "\n  ".join(missing))
    if audit.minor:
        print("Moderate and minor findings (allowed):\n" + "\n".join(audit.minor))
    if audit.known:
        print("KNOWN serious findings, reported, not fixed yet:\n" + "\n".join(audit.known))
    assert not audit.failures, "\n\n".join(audit.failures)
    assert errors == [], errors


def test_the_helper_reports_serious_violations_readably(browser: Any, live_server: Any) -> None:
    """The audit can fail: a page with an unlabelled field and an image without text."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content(
        '<html lang="lv"><head><title>x</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<input type="text" id="q"></main></body></html>'
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "a broken page")
    text = str(failure.value)
    assert "image-alt" in text
    assert "label" in text
    assert "a broken page" in text
    assert "<img" in text
    context.close()
