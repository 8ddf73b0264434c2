"""Core pages: home for every role in both languages, health check, error pages, headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext, override

from zina.accounts.choices import Role
from zina.accounts.models import User
from zina.accounts.roles import ROLE_DUTIES
from zina.accounts.tests.test_role_matrix import ROLE_TABLE

LANGUAGES = ["lv", "en"]


def in_language(client: Client, language: str) -> Client:
    client.cookies["zina_language"] = language
    return client


def page(response: Any, status: int = 200) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# --- Home -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", Role.values)
def test_home_for_every_role(
    client: Client,
    role_users: dict[str, Any],
    role: str,
    language: str,
    django_assert_max_num_queries: Any,
) -> None:
    user = role_users[role]
    client.force_login(user)
    in_language(client, language)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("core:home"))
    content = page(response)
    assert f'<html lang="{language}">' in content
    assert "<main" in content
    with override(language):
        assert escape(str(Role(role).label)) in content
        assert escape(str(ROLE_DUTIES[role][0])) in content
        assert escape(str(gettext("Log out"))) in content

    # What the role can open: the audit trail only with the audit capability, the user
    # directory only with the staff directory.
    expect = ROLE_TABLE[role]
    assert (f'href="{reverse("accounts:audit_list")}"' in content) is expect.view_audit
    assert (f'href="{reverse("accounts:user_list")}"' in content) is expect.sees_colleagues
    assert f'href="{reverse("accounts:institution_list")}"' in content


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_for_anonymous(client: Client, db: Any, language: str) -> None:
    content = page(in_language(client, language).get(reverse("core:home")))
    assert f'<html lang="{language}">' in content
    assert f'href="{reverse("accounts:login")}"' in content
    assert f'href="{reverse("accounts:user_list")}"' not in content
    with override(language):
        assert escape(gettext("Welcome to Zina")) in content


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_for_superuser(client: Client, superuser: User, language: str) -> None:
    client.force_login(superuser)
    content = page(in_language(client, language).get(reverse("core:home")))
    assert f'<html lang="{language}">' in content
    with override(language):
        assert escape(gettext("You are an administrator of the whole installation.")) in content
    assert f'href="{reverse("accounts:audit_list")}"' in content


def test_default_language_is_latvian(client: Client, db: Any) -> None:
    response = client.get(reverse("core:home"), headers={"Accept-Language": "en"})
    assert '<html lang="lv">' in page(response)


def test_language_switch_sets_the_cookie(client: Client, db: Any) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["zina_language"].value == "en"
    assert '<html lang="en">' in page(client.get(reverse("core:home")))


def test_unknown_language_cookie_falls_back_to_latvian(client: Client, db: Any) -> None:
    content = page(in_language(client, "de").get(reverse("core:home")))
    assert '<html lang="lv">' in content


# --- Health check ---------------------------------------------------------------------------


def test_healthz(client: Client, db: Any) -> None:
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "index": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post(reverse("core:healthz")).status_code == 405


def test_healthz_reports_an_unusable_index_directory(
    client: Client, db: Any, settings: Any, tmp_path: Any
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    settings.ZINA_INDEX_DIR = blocker / "index"
    response = client.get(reverse("core:healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["index"].startswith("error")


# --- Error pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_page_is_styled(client: Client, db: Any, language: str) -> None:
    response = in_language(client, language).get("/no-such-page/")
    content = page(response, status=404)
    assert "<main" in content
    assert f'<html lang="{language}">' in content
    with override(language):
        assert escape(gettext("Page not found")) in content


def test_404_for_a_missing_object_is_styled(client: Client, superuser: User) -> None:
    client.force_login(superuser)
    content = page(client.get(reverse("accounts:institution_detail", args=["nav"])), status=404)
    assert "<main" in content


def test_403_page_is_styled(client: Client, role_users: dict[str, Any]) -> None:
    client.force_login(role_users[Role.AUDITOR])
    in_language(client, "en")
    content = page(client.get(reverse("accounts:institution_create")), status=403)
    assert "<main" in content
    with override("en"):
        assert escape(gettext("Access denied")) in content


def test_csrf_failure_page_is_styled(superuser: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(superuser)
    response = browser.post(reverse("accounts:institution_create"), {"code": "x1", "name": "X"})
    content = page(response, status=403)
    assert "<main" in content


# --- Headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/healthz", "/no-such-page/", "/api/v1/me"]
)
def test_security_headers(client: Client, db: Any, path: str) -> None:
    response = client.get(path)
    assert response["X-Request-ID"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_request_id_is_passed_through_or_generated(client: Client, db: Any) -> None:
    assert client.get("/", headers={"X-Request-ID": "lb-0123456789"})["X-Request-ID"] == (
        "lb-0123456789"
    )
    generated = client.get("/", headers={"X-Request-ID": "bad id!"})["X-Request-ID"]
    assert len(generated) == 32
    assert generated != client.get("/")["X-Request-ID"]


def test_no_inline_scripts_or_styles_in_pages(client: Client, superuser: User) -> None:
    """The CSP forbids inline code, so pages must not rely on it."""
    client.force_login(superuser)
    for url in ["/", reverse("accounts:institution_list"), reverse("accounts:profile")]:
        content = client.get(url).content.decode()
        assert " style=" not in content, url
        assert " onclick=" not in content, url
        for chunk in content.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or "nonce=" in tag or "application/json" in tag, (url, tag)


def test_api_404_is_json_even_outside_ninja(client: Client, db: Any) -> None:
    response = client.get("/api/v1/institutions/x/y/z")
    assert response.status_code == 404
    assert json.loads(response.content)["detail"]
