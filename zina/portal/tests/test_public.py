# ruff: noqa: F811  (fixtures imported from public_fixtures)
"""Public knowledge on the portal: home, browse, FAQ per service, article, feedback, search and
suggestions — only public articles, ever; Latvian and English."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from zina.accounts.models import User
from zina.catalog.models import Service
from zina.knowledge import operations as kops
from zina.knowledge.choices import ArticleRelationKind, ArticleType, Audience
from zina.knowledge.models import Article, ArticleFeedback

from .public_fixtures import hidden_service, public_service, publish  # noqa: F401

pytestmark = pytest.mark.django_db


def english(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def articles(publish: Callable[..., Article], public_service: Service) -> dict[str, Article]:
    return {
        "faq": publish(
            "Kā pieslēgties e-adresei",
            resolution="Atveriet latvija.lv un izvēlieties e-adresi.",
            body="## Soļi\n\n<script>alert(1)</script>Pieslēdzieties ar eParakstu.",
            services=[public_service],
        ),
        "internal": publish(
            "E-adrese iekšējā kļūda slepens",
            body="Iekšējā informācija par e-adresi.",
            audience=Audience.INTERNAL,
            services=[public_service],
        ),
        "instruction": publish(
            "E-adreses lietošanas instrukcija",
            type=ArticleType.INSTRUCTION,
            body="Instrukcija e-adresei.",
            services=[public_service],
        ),
    }


def test_home_leads_to_search_browse_and_submit(client: Client, public_service: Service) -> None:
    html = client.get(reverse("portal:home")).content.decode()
    assert 'role="search"' in html
    assert "Digitālie pakalpojumi" in html
    for slug in ("question", "request", "complaint", "suggestion"):
        assert reverse("portal:submit", args=[slug]) in html


def test_site_home_leads_anonymous_visitors_to_the_portal(client: Client) -> None:
    html = client.get("/").content.decode()
    assert reverse("portal:home") in html


def test_browse_shows_only_public_services(
    client: Client, public_service: Service, hidden_service: Service
) -> None:
    html = client.get(reverse("portal:services")).content.decode()
    assert public_service.name in html
    assert hidden_service.name not in html
    assert "Slepenā kategorija" not in client.get(reverse("portal:home")).content.decode()
    by_category = client.get(reverse("portal:services"), {"category": "Digitālie pakalpojumi"})
    assert public_service.name in by_category.content.decode()
    assert client.get(reverse("portal:service", args=[hidden_service.pk])).status_code == 404


def test_service_page_faq_and_articles_are_public_only(
    client: Client, public_service: Service, articles: dict[str, Article]
) -> None:
    html = client.get(reverse("portal:service", args=[public_service.pk])).content.decode()
    assert "Kā pieslēgties e-adresei" in html
    assert "E-adreses lietošanas instrukcija" in html
    assert "slepens" not in html


def test_article_page_public_only_and_sanitised(
    client: Client, articles: dict[str, Article]
) -> None:
    response = client.get(reverse("portal:article", args=[articles["faq"].pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Atveriet latvija.lv" in html
    assert "<script>alert(1)" not in html
    assert "Was this helpful?" in html or "Vai tas palīdzēja?" in html
    assert client.get(reverse("portal:article", args=[articles["internal"].pk])).status_code == 404
    assert client.get(reverse("portal:article", args=[999999])).status_code == 404


def test_article_page_for_logged_in_staff_is_still_public_only(
    client: Client, superuser: User, articles: dict[str, Article]
) -> None:
    client.force_login(superuser)
    assert client.get(reverse("portal:article", args=[articles["internal"].pk])).status_code == 404


def test_related_articles_are_public_only(
    client: Client, superuser: User, articles: dict[str, Article]
) -> None:
    for other in (articles["instruction"], articles["internal"]):
        kops.relate_articles(
            actor=superuser, article=articles["faq"], other=other, kind=ArticleRelationKind.RELATED
        )
    html = client.get(reverse("portal:article", args=[articles["faq"].pk])).content.decode()
    assert reverse("portal:article", args=[articles["instruction"].pk]) in html
    assert "slepens" not in html
    assert reverse("portal:article", args=[articles["internal"].pk]) not in html


def test_feedback_is_recorded_and_rate_limited(
    client: Client, articles: dict[str, Article]
) -> None:
    url = reverse("portal:feedback", args=[articles["faq"].pk])
    response = client.post(url, {"helpful": "yes"})
    assert response.status_code == 302
    feedback = ArticleFeedback.objects.get()
    assert feedback.helpful
    assert feedback.address_hash
    assert feedback.user is None
    response = client.post(url, {"helpful": "no"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert ArticleFeedback.objects.count() == 2
    for _ in range(kops.FEEDBACK_PER_ADDRESS_PER_HOUR):
        client.post(url, {"helpful": "no"})
    assert ArticleFeedback.objects.count() == kops.FEEDBACK_PER_ADDRESS_PER_HOUR
    english(client)
    refused = client.post(url, {"helpful": "no"})
    assert refused.status_code == 400
    assert "Too much feedback" in refused.content.decode()
    # Feedback on an internal article: as if it did not exist.
    internal = reverse("portal:feedback", args=[articles["internal"].pk])
    assert client.post(internal, {"helpful": "yes"}).status_code == 404
    assert client.post(url, {"helpful": "maybe"}).status_code == 400


def test_search_finds_public_articles_without_diacritics(
    client: Client, articles: dict[str, Article]
) -> None:
    response = client.get(reverse("portal:search"), {"q": "e-adrese"})
    html = response.content.decode()
    assert reverse("portal:article", args=[articles["faq"].pk]) in html
    assert "slepens" not in html
    assert reverse("portal:article", args=[articles["internal"].pk]) not in html
    # Two public articles match; the internal one is not even counted.
    assert response.context["results"].total == 2
    plain = client.get(reverse("portal:search"), {"q": "ka pieslegties"}).content.decode()
    assert reverse("portal:article", args=[articles["faq"].pk]) in plain


def test_internal_article_never_in_search_or_suggestions(
    client: Client, articles: dict[str, Article]
) -> None:
    response = client.get(reverse("portal:search"), {"q": "slepens"})
    assert response.context["results"].total == 0
    assert "iekšējā kļūda" not in response.content.decode()
    for params in ({"q": "slepen"}, {"subject": "slepens", "description": "iekšējā kļūda"}):
        html = client.get(reverse("portal:suggest"), params).content.decode()
        assert reverse("portal:article", args=[articles["internal"].pk]) not in html
        assert "iekšējā kļūda slepens" not in html.lower()


def test_suggestions_as_you_type(client: Client, articles: dict[str, Article]) -> None:
    html = client.get(reverse("portal:suggest"), {"q": "pieslēg"}).content.decode()
    assert reverse("portal:article", args=[articles["faq"].pk]) in html
    assert reverse("portal:deflect") not in html  # the search box: links only
    html = client.get(
        reverse("portal:suggest"), {"subject": "e-adrese pieslēgties", "kind": "incident"}
    ).content.decode()
    assert reverse("portal:deflect") in html
    assert client.get(reverse("portal:suggest")).status_code == 200


def test_bad_input_is_not_an_error(client: Client) -> None:
    for url, params in (
        (reverse("portal:search"), {"q": "\x00" * 3, "page": "x"}),
        (reverse("portal:search"), {"q": "a" * 5000, "page": "99999999999"}),
        (reverse("portal:services"), {"category": "x" * 1000, "page": "-1"}),
        (reverse("portal:suggest"), {"subject": '"', "service": "abc", "institution": "-1"}),
        (reverse("portal:submit", args=["question"]), {"service": "abc"}),
    ):
        assert client.get(url, params).status_code == 200
    assert client.get(reverse("portal:submit", args=["problem"])).status_code == 404


def test_pages_in_english(
    client: Client, public_service: Service, articles: dict[str, Article]
) -> None:
    english(client)
    html = client.get(reverse("portal:home")).content.decode()
    assert "How can we help you?" in html
    html = client.get(reverse("portal:service", args=[public_service.pk])).content.decode()
    assert "E-address service" in html
    html = client.get(reverse("portal:article", args=[articles["faq"].pk])).content.decode()
    assert "not available in your language" in html
