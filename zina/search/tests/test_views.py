"""The search pages and API through the Django test client: results with highlights and
facets, escaping, paging, "did you mean", garbage input, the suggestions component, click
tracking, the anonymous search log and the knowledge-gaps page, the REST API, the knowledge
and catalog lists that rank by search, and a bounded number of queries."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as catalog_ops
from zina.catalog.models import Service
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import Article, ArticleRevision
from zina.search import indexer
from zina.search.models import SearchClick, SearchLog

pytestmark = pytest.mark.django_db

SEARCH = "/search/"
FACETS = "/search/facets/"
SUGGEST = "/search/suggest/"
GAPS = "/search/gaps/"
API = "/api/v1/search"
XSS_TITLE = "Zebrakods <script>alert(1)</script> brīdinājums"
XSS_BODY = 'Zebrakods <img src=x onerror="alert(2)"> un <b>treknraksts</b> & "pēdiņas"'


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def publish(superuser: User, institution: Institution) -> Callable[..., Article]:
    """``publish(title, body, audience=public, type=solution, where=institution, draft=False,
    **text)``: an article made and published through the operations."""

    def make(
        title: str,
        body: str = "",
        *,
        audience: str = Audience.PUBLIC,
        type: str = ArticleType.SOLUTION,
        where: Institution | None = None,
        draft: bool = False,
        services: list[Service] | None = None,
        **text: Any,
    ) -> Article:
        revision = ops.create_article(
            actor=superuser,
            institution=where or institution,
            settings=ops.ArticleSettings(type=type, audience=audience, services=services or []),
            text=ops.ArticleText(title=title, body=body, **text),
        )
        if not draft:
            ops.publish_revision(actor=superuser, revision=revision)
        return Article.objects.get(pk=revision.article_id)

    return make


@pytest.fixture
def make_service(superuser: User, institution: Institution) -> Callable[..., Service]:
    def make(identifier: str, name: str, description: str = "", **extra: Any) -> Service:
        data = catalog_ops.ServiceData(
            identifier=identifier, name=name, description=description, **extra
        )
        return catalog_ops.create_service(actor=superuser, institution=institution, data=data)

    return make


@pytest.fixture
def corpus(publish: Callable[..., Article], make_service: Callable[..., Service]) -> dict[str, Any]:
    """A few rows about "zebrakods": public and internal articles of two types, a public
    service, and an internal article with a word of its own."""
    return {
        "public": publish(
            "Zebrakods: paroles atjaunošana",
            "Lai atjaunotu paroli, atveriet zebrakods lapu un sekojiet norādēm.",
            symptoms="Neizdodas pieslēgties ar zebrakods.",
        ),
        "faq": publish(
            "Biežāk uzdotie jautājumi par zebrakods",
            "Zebrakods ir identifikators.",
            type=ArticleType.FAQ,
        ),
        "internal": publish(
            "Zebrakods iekšējā procedūra slepenvards",
            "Tikai darbiniekiem: zebrakods konfigurācija.",
            audience=Audience.INTERNAL,
        ),
        "service": make_service(
            "VRA-ZK", "Zebrakods izsniegšana", "Pakalpojums zebrakods saņemšanai."
        ),
    }


@pytest.fixture
def staff(make_user: Callable[..., User], institution: Institution) -> User:
    """Level 1 support in the institution."""
    return make_user("specialists", institution, Role.SUPPORT_SPECIALIST)


@pytest.fixture
def manager(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("zinasanu-vaditajs", institution, Role.KNOWLEDGE_MANAGER)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def token_headers(user: User) -> dict[str, str]:
    _token, secret = account_ops.issue_api_token(actor=user, name="tests")
    return {"Authorization": f"Bearer {secret}"}


def text_of(response: Any) -> str:
    return response.content.decode()


def result_titles(response: Any) -> list[str]:
    """Titles of the hits on a results page, as shown (unescaped)."""
    block = text_of(response).split('class="search-results"', 1)
    if len(block) < 2:
        return []
    found = re.findall(r"<h3><a [^>]*>(.*?)</a></h3>", block[1].split("</ol>", 1)[0], re.S)
    return [html.unescape(t) for t in found]


def result_links(response: Any) -> list[str]:
    block = text_of(response).split('class="search-results"', 1)[1].split("</ol>", 1)[0]
    return [html.unescape(h) for h in re.findall(r'<h3><a href="([^"]*)"', block)]


# --- The results page -------------------------------------------------------------------------


def test_anonymous_search_page_shows_public_results_highlighted(corpus: dict[str, Any]) -> None:
    response = Client().get(SEARCH, {"q": "zebrakods"})
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="lv">' in page  # Latvian first
    assert "Meklēt" in page
    titles = result_titles(response)
    assert str(corpus["public"]) in titles
    assert "Zebrakods izsniegšana" in titles  # the public service
    assert str(corpus["internal"]) not in titles
    assert "slepenvards" not in page
    assert "<mark>" in page
    assert re.search(r"<mark>zebrakods</mark>", page, re.I)
    results = response.context["results"]
    assert results.total == len(titles) == 3


def test_staff_also_find_internal_articles(corpus: dict[str, Any], staff: User) -> None:
    response = client_for(staff).get(SEARCH, {"q": "zebrakods"})
    assert response.status_code == 200
    titles = result_titles(response)
    assert str(corpus["internal"]) in titles
    assert response.context["results"].total == 4


def test_a_search_without_diacritics_and_inflected_finds_the_article(
    corpus: dict[str, Any],
) -> None:
    response = Client().get(SEARCH, {"q": "paroles atjaunosanai"})
    assert str(corpus["public"]) in result_titles(response)
    assert "<mark>" in text_of(response)


def test_html_in_titles_snippets_and_the_query_is_escaped(
    publish: Callable[..., Article], staff: User
) -> None:
    publish(XSS_TITLE, XSS_BODY)
    for client in (Client(), client_for(staff)):
        response = client.get(SEARCH, {"q": "zebrakods <script>alert(3)</script>"})
        page = text_of(response)
        assert response.status_code == 200
        assert "<script>alert(" not in page
        assert "<img src=x" not in page
        assert "<b>treknraksts</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the title, shown as text
        assert "&lt;img src=x onerror=" in page  # the snippet, shown as text
        assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page  # the query, shown as text
        assert XSS_TITLE in result_titles(response)
        assert "<mark>" in page  # highlights are the only markup of a snippet
    suggest = text_of(Client().get(SUGGEST, {"q": "zebrakod"}))
    assert "<script>alert(" not in suggest
    assert "<img src=x" not in suggest
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in suggest
    data = client_for(staff).get(API, {"q": "zebrakods"}).json()
    snippet = data["hits"][0]["snippet"]
    assert "<img" not in snippet
    assert "<script" not in snippet
    assert "<b>" not in snippet
    assert "&lt;img" in snippet
    assert set(re.findall(r"</?(\w+)", snippet)) <= {"mark"}


def test_facets_are_shown_and_their_links_filter(corpus: dict[str, Any]) -> None:
    client = Client()
    page = text_of(client.get(SEARCH, {"q": "zebrakods"}))
    # The results page loads its facets with a second request, of the same query string.
    assert 'hx-get="/search/facets/?q=zebrakods" hx-trigger="load"' in page
    response = client.get(FACETS, {"q": "zebrakods"})
    assert response.status_code == 200
    facets = text_of(response)
    assert "<html" not in facets  # a partial for htmx
    assert "Sašaurināt rezultātus" in facets  # "Narrow the results"
    groups = {g.name: g for g in response.context["groups"]}
    assert {"kind", "type", "institution"} <= set(groups)
    kinds = {o.value: o for o in groups["kind"].options}
    assert {k: o.count for k, o in kinds.items()} == {"article": 2, "service": 1}
    assert html.escape(kinds["article"].href) in facets or kinds["article"].href in facets
    # The exact total, swapped into the results page's heading.
    assert re.search(r'<span id="results-total" hx-swap-oob="true">3 rezultāti</span>', facets)

    # ?kind=article: articles only, the option marked as chosen.
    only_articles = client.get(SEARCH + kinds["article"].href)
    assert parse_qs(urlsplit(kinds["article"].href).query) == {
        "q": ["zebrakods"],
        "kind": ["article"],
    }
    assert only_articles.status_code == 200
    assert {h.kind for h in only_articles.context["results"].hits} == {"article"}
    assert only_articles.context["results"].total == 2
    chosen_facets = client.get(FACETS + kinds["article"].href)
    chosen = {g.name: g for g in chosen_facets.context["groups"]}["kind"].options
    assert [o.value for o in chosen if o.selected] == ["article"]
    assert 'aria-current="true"' in text_of(chosen_facets)
    # Choosing it again takes the filter away.
    again = next(o for o in chosen if o.value == "article")
    assert "kind" not in parse_qs(urlsplit(again.href).query)

    # ?type=faq: the FAQ only.
    types = {o.value: o for o in groups["type"].options}
    assert "faq" in types
    faqs = client.get(SEARCH + types["faq"].href)
    assert result_titles(faqs) == [str(corpus["faq"])]

    # Filters combine with the words, and with each other.
    response = client.get(SEARCH, {"q": "zebrakods", "kind": "article", "type": "solution"})
    assert result_titles(response) == [str(corpus["public"])]
    response = client.get(SEARCH, {"q": "zebrakods", "kind": ["article", "service"]})
    assert response.context["results"].total == 3


def test_without_javascript_the_page_renders_its_facets(corpus: dict[str, Any]) -> None:
    """``?facets=1`` (the link in ``<noscript>``) renders the facets and the exact total in
    the page itself, the same as the facets request gives."""
    client = Client()
    page = text_of(client.get(SEARCH, {"q": "zebrakods"}))
    assert re.search(r'<noscript><p><a href="\?q=zebrakods&amp;facets=1">', page), page
    response = client.get(SEARCH, {"q": "zebrakods", "facets": "1"})
    assert "hx-get" not in text_of(response).split('class="search-layout"', 1)[1]
    assert "Sašaurināt rezultātus" in text_of(response)
    groups = {g.name: {o.value: o.count for o in g.options} for g in response.context["groups"]}
    loaded = client.get(FACETS, {"q": "zebrakods"}).context["groups"]
    assert groups == {g.name: {o.value: o.count for o in g.options} for g in loaded}
    assert response.context["results"].counted
    assert response.context["results"].total == 3


def test_no_facets_request_when_nothing_was_found(corpus: dict[str, Any]) -> None:
    page = text_of(Client().get(SEARCH, {"q": "nekasneatradisies"}))
    assert "/search/facets/" not in page
    assert 'hx-trigger="load"' not in page


def test_a_filter_without_words_lists_what_the_user_may_see(
    corpus: dict[str, Any], staff: User
) -> None:
    response = Client().get(SEARCH, {"kind": "article"})
    assert response.status_code == 200
    assert set(result_titles(response)) == {
        str(corpus["public"]),
        str(corpus["faq"]),
    }
    response = client_for(staff).get(SEARCH, {"audience": "internal"})
    assert result_titles(response) == [str(corpus["internal"])]


@pytest.fixture
def many(publish: Callable[..., Article]) -> list[Article]:
    """25 public articles about "lapošana" (paging)."""
    return [
        publish(f"Lapošanas raksts {i:02d}", f"Teksts par lapošanu numur {i}.") for i in range(25)
    ]


def test_results_are_paged(many: list[Article]) -> None:
    client = Client()
    first = client.get(SEARCH, {"q": "lapošana"})
    results = first.context["results"]
    # The page does not count every match: it knows there is a next page.
    assert (results.more, results.counted) == (True, False)
    assert results.pages == 2
    assert len(results.hits) == 20
    assert 'rel="next"' in text_of(first)
    assert 'rel="prev"' not in text_of(first)
    assert "Nākamā" in text_of(first)  # "Next"
    # The facets request counts: the exact total and the number of pages, swapped in.
    counted = client.get(FACETS, {"q": "lapošana"})
    assert counted.context["results"].total == 25
    assert counted.context["results"].pages == 2
    assert '<span id="results-pages" hx-swap-oob="true">1. lapa no 2</span>' in text_of(counted)
    second = client.get(SEARCH, {"q": "lapošana", "page": "2"})
    assert len(second.context["results"].hits) == 5
    # The last page knows the total without counting.
    assert second.context["results"].counted
    assert second.context["results"].total == 25
    assert client.get(FACETS, {"q": "lapošana", "page": "2"}).context["results"].total == 25
    assert 'rel="prev"' in text_of(second)
    assert 'rel="next"' not in text_of(second)
    shown = result_titles(first) + result_titles(second)
    assert sorted(shown) == [f"Lapošanas raksts {i:02d}" for i in range(25)]
    # Beyond the last page: nothing, but no error.
    beyond = client.get(SEARCH, {"q": "lapošana", "page": "3"})
    assert beyond.status_code == 200
    assert result_titles(beyond) == []
    assert not beyond.context["results"].approximate  # the words did match, on other pages


def _link(response: Any, pattern: str) -> str:
    found = re.search(pattern, text_of(response))
    assert found, pattern
    return html.unescape(found.group(1))


def test_the_page_links_keep_the_query(many: list[Article]) -> None:
    """Every link of the results page that changes one parameter keeps the words: facets,
    the time filters, clearing the filters, the order, the next and previous pages."""
    client = Client()
    params = {"q": "lapošana", "kind": "article"}
    first = client.get(SEARCH, params)
    shown = text_of(first) + text_of(client.get(FACETS, params))  # the page, as loaded
    hrefs = [html.unescape(h) for h in re.findall(r'href="(\?[^"]*)"', shown)]
    assert len(hrefs) >= 9  # kind, type, institution, 3 × since, clear, order, next, no-JS
    loads = re.findall(r'hx-get="/search/facets/(\?[^"]*)"', text_of(first))
    assert [parse_qs(html.unescape(h)[1:]) for h in loads] == [
        {"q": ["lapošana"], "kind": ["article"]}
    ]
    broken = [h for h in hrefs if h.startswith("??") or parse_qs(h[1:]).get("q") != ["lapošana"]]
    assert not broken, f"links that lose the query: {broken}"
    second = client.get(SEARCH + _link(first, r'<a href="([^"]*)" rel="next"'))
    assert len(second.context["results"].hits) == 5
    prev = _link(second, r'<a href="([^"]*)" rel="prev"')
    assert parse_qs(urlsplit(prev).query).get("q") == ["lapošana"], prev


def test_the_second_page_is_numbered_on_from_the_first(many: list[Article]) -> None:
    start = r'<ol class="search-results" start="(\d+)">'
    first = Client().get(SEARCH, {"q": "lapošana"})
    assert int(re.search(start, text_of(first)).group(1)) == 1
    second = Client().get(SEARCH, {"q": "lapošana", "page": "2"})
    assert int(re.search(start, text_of(second)).group(1)) == 21  # 21, 22, … 25


def test_did_you_mean_offers_a_link_that_finds(corpus: dict[str, Any]) -> None:
    client = Client()
    response = client.get(SEARCH, {"q": "zebrakodz", "kind": "article"})
    assert response.status_code == 200
    assert response.context["results"].did_you_mean == "zebrakods"
    assert "Vai domājāt" in text_of(response)  # "Did you mean"
    href = _link(response, r'<a href="([^"]*)">zebrakods</a>')
    assert href.startswith("?"), href
    assert not href.startswith("??"), href
    assert parse_qs(urlsplit(href).query) == {"q": ["zebrakods"], "kind": ["article"]}
    followed = client.get(SEARCH + href)
    assert followed.context["results"].total == 2
    assert followed.context["results"].did_you_mean == ""


def test_newest_first_and_changed_within(publish: Callable[..., Article]) -> None:
    """``sort=new`` orders by the date of the text; ``since=30`` leaves out older texts."""
    old, middle, new = (publish(f"Kārtošanas raksts {n}", "Kārtošana.") for n in "ABC")
    now = timezone.now()
    for article, age in ((old, 400), (middle, 40), (new, 1)):
        ArticleRevision.objects.filter(article=article).update(updated_at=now - timedelta(days=age))
    indexer.touch(f"article:{a.pk}" for a in (old, middle, new))  # re-index the dates
    client = Client()
    newest = client.get(SEARCH, {"q": "kārtošana", "sort": "new"})
    assert result_titles(newest) == [str(new), str(middle), str(old)]
    recent = client.get(SEARCH, {"q": "kārtošana", "since": "30"})
    assert result_titles(recent) == [str(new)]
    assert client.get(SEARCH, {"q": "kārtošana", "since": "365"}).context["results"].total == 2


def test_did_you_mean_never_offers_a_word_of_a_hidden_article(corpus: dict[str, Any]) -> None:
    response = Client().get(SEARCH, {"q": "slepenvardz"})
    assert response.context["results"].total == 0
    assert "slepenvards" not in text_of(response)


GARBAGE = [
    {"q": "a" * 10_000},
    {"q": " ".join(["zebrakods"] * 600)},
    {"q": '"""'},
    {"q": '"'},
    {"q": '"zebrakods'},
    {"q": '"" zebrakods ""'},
    {"q": "😀🔥 zebrakods 🤷‍♀️"},
    {"q": "😀"},
    {"q": "*"},
    {"q": "zebra*"},
    {"q": "AND OR NOT"},
    {"q": "title:zebrakods"},
    {"q": "(zebrakods"},
    {"q": "\\"},
    {"q": "ā"},
    {"q": "   "},
    {"q": "zebrakods\x00"},
    {"q": "<>&'\""},
    {"q": "zebrakods", "page": "abc"},
    {"q": "zebrakods", "page": "999999"},
    {"q": "zebrakods", "page": "-1"},
    {"q": "zebrakods", "page": "0"},
    {"q": "zebrakods", "institution": "abc"},
    {"q": "zebrakods", "institution": "99999999999999999999999"},
    {"q": "zebrakods", "services": "-5"},
    {"q": "zebrakods", "since": "5"},
    {"q": "zebrakods", "since": "abc"},
    {"q": "zebrakods", "kind": "nonexistent"},
    {"q": "zebrakods", "kind": "<script>"},
    {"q": "zebrakods", "type": "<script>alert(1)</script>"},
    {"q": "zebrakods", "state": ""},
    {"q": "zebrakods", "sort": "new"},
    {"q": "zebrakods", "sort": "!!"},
    {"institution": "abc"},
    {"page": "abc"},
    {},
]


def _garbage_id(params: dict[str, str]) -> str:
    shown = "&".join(
        f"{k}={v if len(v) < 20 else v[:8] + f'...({len(v)})'}" for k, v in params.items()
    )
    return shown.encode("unicode_escape").decode() or "nothing"


@pytest.mark.parametrize("params", GARBAGE, ids=[_garbage_id(p) for p in GARBAGE])
def test_no_error_on_garbage_input(
    corpus: dict[str, Any], staff: User, params: dict[str, str]
) -> None:
    for client in (Client(), client_for(staff)):
        response = client.get(SEARCH, params)
        assert response.status_code == 200, params
        assert "<script>alert(" not in text_of(response)
        assert client.get(SUGGEST, params).status_code == 200, params
    api = client_for(staff).get(API, params)
    assert api.status_code in (200, 422), params
    if api.status_code == 200:
        assert {"total", "hits", "facets"} <= set(api.json())


def test_a_kind_filter_of_an_unknown_kind_finds_nothing_rather_than_everything(
    corpus: dict[str, Any],
) -> None:
    response = Client().get(SEARCH, {"q": "zebrakods", "kind": "nonexistent"})
    assert response.status_code == 200
    # An unknown kind must not widen the search to every kind.
    assert response.context["results"].total == 0


# --- Suggestions ------------------------------------------------------------------------------


def test_suggestions_while_typing_return_article_titles(
    corpus: dict[str, Any], staff: User
) -> None:
    response = Client().get(SUGGEST, {"q": "zebrak"})
    assert response.status_code == 200
    page = text_of(response)
    assert "<html" not in page  # a partial for htmx
    assert html.escape(str(corpus["public"])) in page
    assert html.escape(str(corpus["faq"])) in page
    assert "slepenvards" not in page
    assert "izsniegšana" not in page
    assert f'href="/knowledge/{corpus["public"].pk}/"' in page
    assert str(corpus["internal"]) in text_of(client_for(staff).get(SUGGEST, {"q": "zebrak"}))


def test_suggestions_from_a_ticket_subject_and_description(corpus: dict[str, Any]) -> None:
    title = html.escape(str(corpus["public"]))
    for params in (
        {"subject": "Nevaru atjaunot paroli"},
        {"description": "Lietotājs aizmirsa paroli, kā atjaunot?"},
        {"subject": "Palīdzība", "description": "paroles atjaunošana zebrakods"},
        {"q": "", "subject": "", "description": "parole"},
    ):
        response = Client().get(SUGGEST, params)
        assert response.status_code == 200
        assert title in text_of(response), params


def test_no_suggestions_for_nothing_typed() -> None:
    for params in ({}, {"q": ""}, {"subject": "  ", "description": ""}):
        response = Client().get(SUGGEST, params)
        assert response.status_code == 200
        assert text_of(response).strip() == "", params


# --- Click tracking and the search log --------------------------------------------------------


def test_a_result_opens_through_the_click_log(corpus: dict[str, Any]) -> None:
    client = Client()
    response = client.get(SEARCH, {"q": "zebrakods", "kind": "article"})
    log = SearchLog.objects.get()
    assert response.context["results"].log_id == log.pk
    links = result_links(response)
    assert links
    assert all(link.startswith(f"/search/go/{log.pk}/article/") for link in links)
    target = corpus["public"]
    link = next(link for link in links if f"/article/{target.pk}/" in link)
    rank = int(re.search(r"/(\d+)/\?", link).group(1))
    opened = client.get(link)
    assert opened.status_code == 302
    assert opened["Location"] == f"/knowledge/{target.pk}/"
    click = SearchClick.objects.get()
    assert (click.search_id, click.kind, click.object_id, click.rank) == (
        log.pk,
        "article",
        target.pk,
        rank,
    )
    assert client.get(opened["Location"]).status_code == 200


def test_a_click_on_an_object_the_user_may_not_see_is_a_404(corpus: dict[str, Any]) -> None:
    client = Client()
    client.get(SEARCH, {"q": "zebrakods"})
    log = SearchLog.objects.get()
    hidden = corpus["internal"].pk
    for path in (
        f"/search/go/{log.pk}/article/{hidden}/1/",
        f"/search/go/{log.pk}/article/{hidden}/1/?lang=lv",
        f"/search/go/{log.pk}/article/999999/1/",
        f"/search/go/{log.pk}/user/1/1/",  # not a searchable kind
        f"/search/go/{log.pk}/resource/1/1/",
        f"/search/go/{log.pk + 1000}/article/{corpus['public'].pk}/1/",  # no such search
        f"/search/go/{log.pk}/article/{corpus['public'].pk}/1/?lang=xx",  # no such language
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    assert not SearchClick.objects.exists()


def test_the_click_redirect_goes_only_to_the_object(corpus: dict[str, Any]) -> None:
    client = Client()
    client.get(SEARCH, {"q": "zebrakods"})
    log = SearchLog.objects.get()
    service = corpus["service"]
    for extra in ("", "?next=https://evil.example/", "?lang=lv&url=//evil.example"):
        response = client.get(f"/search/go/{log.pk}/service/{service.pk}/2/{extra}")
        assert response.status_code == 302
        assert response["Location"] == f"/catalog/services/{service.pk}/"
    response = client.get(f"/search/go/{log.pk}/service/{service.pk}/99999999/")
    assert SearchClick.objects.filter(rank__lte=10_000).count() == 4
    assert response.status_code == 302


def test_the_search_log_keeps_no_identity(corpus: dict[str, Any], staff: User) -> None:
    fields = {f.name: f for f in SearchLog._meta.get_fields()}
    assert not [
        name
        for name, f in fields.items()
        if f.is_relation and f.related_model is not None and issubclass(f.related_model, User)
    ]
    assert not [f for f in fields.values() if isinstance(f, models.GenericIPAddressField)]
    assert not {"user", "ip", "address", "session", "user_agent"} & set(fields)
    click_fields = {f.name for f in SearchClick._meta.get_fields()}
    assert not {"user", "ip", "address", "session"} & click_fields

    Client().get(SEARCH, {"q": "Zebrakods"}, REMOTE_ADDR="203.0.113.7")
    client_for(staff).get(SEARCH, {"q": "zebrakods paroles"}, REMOTE_ADDR="198.51.100.9")
    anonymous, by_staff = SearchLog.objects.order_by("id")
    assert (anonymous.text, anonymous.normalized, anonymous.surface) == (
        "Zebrakods",
        "zebrakods",
        "page",
    )
    assert anonymous.results == 3
    assert anonymous.staff is False
    assert by_staff.staff is True
    assert by_staff.results == 4
    for entry in (anonymous, by_staff):
        values = " ".join(str(getattr(entry, f.attname)) for f in SearchLog._meta.concrete_fields)
        assert "203.0.113.7" not in values
        assert "198.51.100.9" not in values
        assert staff.username not in values


def test_only_first_pages_of_worded_searches_are_logged(corpus: dict[str, Any]) -> None:
    client = Client()
    client.get(SEARCH, {"q": "zebrakods"})
    client.get(SEARCH, {"q": "zebrakods", "page": "2"})
    client.get(SEARCH, {"kind": "article"})
    client.get(SEARCH)
    client.get(SUGGEST, {"q": "zebrakods"})
    assert list(SearchLog.objects.values_list("text", "surface")) == [("zebrakods", "page")]


def test_searches_that_found_nothing_are_knowledge_gaps(
    corpus: dict[str, Any], manager: User, staff: User
) -> None:
    anonymous = Client()
    for _ in range(2):
        anonymous.get(SEARCH, {"q": "Elektroniskais paraksts"})
    client_for(staff).get(SEARCH, {"q": "nekasneatrodas"})
    anonymous.get(SEARCH, {"q": "zebrakods"})
    assert SearchLog.objects.filter(results=0).count() == 3

    response = client_for(manager).get(GAPS)
    assert response.status_code == 200
    page = text_of(response)
    assert "Elektroniskais paraksts" in page
    assert "nekasneatrodas" in page
    assert ">zebrakods<" not in page
    rows = {row["normalized"]: row["times"] for row in response.context["rows"]}
    assert rows == {"elektroniskais paraksts": 2, "nekasneatrodas": 1}
    assert response.context["empty"] == 3
    assert response.context["total"] == 4
    assert "/knowledge/new/?title=Elektroniskais%20paraksts" in page
    for days in ("7", "365", "abc"):
        assert client_for(manager).get(GAPS, {"days": days}).status_code == 200


def test_the_gaps_page_is_for_knowledge_managers(
    role_users: dict[str, Any], superuser: User
) -> None:
    assert client_for(role_users[Role.SUPPORT_SPECIALIST]).get(GAPS).status_code == 403
    assert client_for(role_users[Role.ADMINISTRATOR]).get(GAPS).status_code == 403
    assert client_for(role_users[Role.PARTNER]).get(GAPS).status_code == 403
    for role in (Role.KNOWLEDGE_MANAGER, Role.SERVICE_PORTFOLIO_OWNER):
        assert client_for(role_users[role]).get(GAPS).status_code == 200, role
    assert client_for(superuser).get(GAPS).status_code == 200
    anonymous = Client().get(GAPS)
    assert anonymous.status_code == 302
    assert urlsplit(anonymous["Location"]).path == "/accounts/login/"
    assert parse_qs(urlsplit(anonymous["Location"]).query)["next"] == [GAPS]


# --- The API ----------------------------------------------------------------------------------


def test_api_search_with_a_token(corpus: dict[str, Any], staff: User) -> None:
    response = Client().get(API, {"q": "zebrakods"}, headers=token_headers(staff))
    assert response.status_code == 200
    data = response.json()
    assert {"query", "total", "page", "pages", "hits", "facets", "did_you_mean"} <= set(data)
    assert data["total"] == 4 == len(data["hits"])
    titles = {h["title"] for h in data["hits"]}
    assert str(corpus["internal"]) in titles
    hit = next(h for h in data["hits"] if h["id"] == corpus["public"].pk and h["kind"] == "article")
    assert hit["url"] == f"/knowledge/{corpus['public'].pk}/"
    assert "<mark>" in hit["snippet"]
    assert data["facets"]["kind"] == {"article": 3, "service": 1}
    assert SearchLog.objects.get().surface == "api"


def test_api_search_needs_credentials(corpus: dict[str, Any]) -> None:
    assert Client().get(API, {"q": "zebrakods"}).status_code == 401
    assert Client().get(API + "/suggest", {"q": "zebrakods"}).status_code == 401
    bad = {"Authorization": "Bearer zina_nothing_here"}
    assert Client().get(API, {"q": "zebrakods"}, headers=bad).status_code == 401
    assert not SearchLog.objects.exists()


def test_api_search_with_a_browser_login(corpus: dict[str, Any], staff: User) -> None:
    response = client_for(staff).get(API, {"q": "zebrakods"})
    assert response.status_code == 200
    assert response.json()["total"] == 4


def test_api_filters_repeat_as_query_parameters(
    corpus: dict[str, Any], staff: User, institution: Institution
) -> None:
    client = client_for(staff)
    data = client.get(f"{API}?q=zebrakods&kind=article&kind=service").json()
    assert data["total"] == 4
    data = client.get(f"{API}?q=zebrakods&kind=service").json()
    assert [h["kind"] for h in data["hits"]] == ["service"]
    data = client.get(f"{API}?q=zebrakods&type=faq&type=solution").json()
    assert {h["id"] for h in data["hits"]} == {
        corpus["public"].pk,
        corpus["faq"].pk,
        corpus["internal"].pk,
    }
    data = client.get(f"{API}?q=zebrakods&audience=internal").json()
    assert [h["id"] for h in data["hits"]] == [corpus["internal"].pk]
    data = client.get(f"{API}?q=zebrakods&institution={institution.pk}&since=30").json()
    assert data["total"] == 4
    data = client.get(f"{API}?q=zebrakods&institution={institution.pk + 100}").json()
    assert data["total"] == 0
    data = client.get(f"{API}?q=zebrakods&per_page=2&page=2").json()
    assert (data["page"], data["pages"], len(data["hits"]), data["total"]) == (2, 2, 2, 4)


def test_api_suggest_from_subject_and_description(corpus: dict[str, Any], staff: User) -> None:
    client = client_for(staff)
    response = client.get(
        API + "/suggest", {"subject": "Nevaru atjaunot", "description": "paroli zebrakods"}
    )
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"articles", "similar"}
    assert corpus["public"].pk in [a["id"] for a in data["articles"]]
    assert all(a["kind"] == "article" for a in data["articles"])
    assert len(client.get(API + "/suggest", {"q": "zebrakods", "k": 1}).json()["articles"]) == 1


def test_api_shows_each_caller_only_what_they_may_see(
    corpus: dict[str, Any], make_user: Callable[..., User], other_institution: Institution
) -> None:
    outsider = make_user("spa-specialists", other_institution, Role.SUPPORT_SPECIALIST)
    data = client_for(outsider).get(API, {"q": "zebrakods slepenvards"}).json()
    assert corpus["internal"].pk not in {h["id"] for h in data["hits"] if h["kind"] == "article"}
    assert data["total"] == 3
    assert "slepenvards" not in str(data["hits"]) + str(data["facets"])


def test_api_facets_do_not_disclose_hidden_services(
    publish: Callable[..., Article],
    make_service: Callable[..., Service],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    """A public article about an internal service: an outsider reads the article, but the
    service (and its number) is not theirs to know."""
    internal = make_service("VRA-INT", "Iekšējā sistēma", is_public=False)
    publish("Publisks zebrakods raksts", "Zebrakods.", services=[internal])
    outsider = make_user("spa-specialists", other_institution, Role.SUPPORT_SPECIALIST)
    assert not Service.objects.visible_to(outsider).filter(pk=internal.pk).exists()
    data = client_for(outsider).get(API, {"q": "zebrakods"}).json()
    assert data["total"] == 1
    assert str(internal.pk) not in data["facets"].get("services", {}), data["facets"]
    page = client_for(outsider).get(SEARCH, {"q": "zebrakods"})
    assert "Iekšējā sistēma" not in text_of(page)
    assert f"services={internal.pk}" not in text_of(page)


# --- Lists that rank by search ----------------------------------------------------------------


def test_the_knowledge_list_filters_by_search(publish: Callable[..., Article]) -> None:
    wanted = publish("Zināšanu pārvaldības process", "Kā uzkrāt zināšanas iestādē.")
    other = publish("Paroles maiņa", "Cits raksts.")
    response = Client().get("/knowledge/", {"q": "zinasanas"})
    assert response.status_code == 200
    page = text_of(response)
    assert f'href="/knowledge/{wanted.pk}/"' in page
    assert f'href="/knowledge/{other.pk}/"' not in page
    # As typed: the last word cut short.
    assert f'href="/knowledge/{wanted.pk}/"' in text_of(
        Client().get("/knowledge/", {"q": "parvaldib"})
    )


def test_the_service_list_filters_by_search(make_service: Callable[..., Service]) -> None:
    wanted = make_service("UR-REG", "Uzņēmumu reģistrācija", "Jaunu uzņēmumu reģistrēšana.")
    other = make_service("UR-ARH", "Arhīva izziņas", "Izziņas no arhīva.")
    response = Client().get("/catalog/", {"q": "uznemumi"})
    assert response.status_code == 200
    page = text_of(response)
    assert f"/catalog/services/{wanted.pk}/" in page
    assert f"/catalog/services/{other.pk}/" not in page
    # The identifier still finds it exactly.
    assert f"/catalog/services/{other.pk}/" in text_of(Client().get("/catalog/", {"q": "UR-ARH"}))


# --- Queries ----------------------------------------------------------------------------------


def _queries_for(client: Client, params: dict[str, str]) -> int:
    client.get(SEARCH, params)  # the index catches up first; measure the steady state
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SEARCH, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_search_page_does_a_bounded_number_of_queries(
    publish: Callable[..., Article],
    make_service: Callable[..., Service],
    staff: User,
    django_assert_max_num_queries: Any,
) -> None:
    service = make_service("VRA-Q", "Vaicājumu pakalpojums")
    client = client_for(staff)
    for i in range(5):
        publish(f"Vaicājumu raksts {i}", "Teksts.", services=[service])
    params = {"q": "vaicājumu"}
    few = _queries_for(client, params)
    assert len(client.get(SEARCH, params).context["results"].hits) == 6
    for i in range(5, 20):
        audience = Audience.INTERNAL if i % 2 else Audience.PUBLIC
        publish(f"Vaicājumu raksts {i}", "Teksts.", services=[service], audience=audience)
    many = _queries_for(client, params)
    assert len(client.get(SEARCH, params).context["results"].hits) == 20
    with django_assert_max_num_queries(40):
        client.get(SEARCH, params)
    assert many <= few, f"{few} queries for 6 results, {many} for 20"
