"""Login rate limiting and API token authentication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from zina.accounts import operations as ops
from zina.accounts.choices import Role
from zina.accounts.models import ApiToken, Institution, LoginAttempt, User, token_digest
from zina.accounts.security import prune_login_attempts, user_for_token
from zina.conftest import PASSWORD
from zina.core.models import AuditEvent

RATE_LIMITED = "Too many failed attempts. Wait 15 minutes, or reset your password."
LOGIN_URL = "accounts:login"


@pytest.fixture
def anna(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("anna", institution, Role.SERVICE_PROVIDER, password=PASSWORD)


def login(client: Client, username: str, password: str, address: str = "127.0.0.1") -> object:
    return client.post(
        reverse(LOGIN_URL), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def error_codes(response: object) -> list[str]:
    form = response.context["form"]  # type: ignore[attr-defined]
    return [e.code for e in form.non_field_errors().as_data()]


# --- Login ----------------------------------------------------------------------------------


def test_correct_password_logs_in(client: Client, anna: User) -> None:
    response = login(client, "anna", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert logged_in(client)
    assert LoginAttempt.objects.filter(username="anna", succeeded=True).count() == 1


def test_wrong_password_is_refused_and_noted(client: Client, anna: User) -> None:
    response = login(client, "anna", "nepareiza-parole")
    assert response.status_code == 200
    assert error_codes(response) == ["invalid_login"]
    assert not logged_in(client)
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.address, attempt.succeeded) == ("anna", "127.0.0.1", False)


def test_sixth_attempt_is_refused_even_with_the_right_password(client: Client, anna: User) -> None:
    client.cookies["zina_language"] = "en"
    for _ in range(5):
        assert error_codes(login(client, "anna", "nepareiza-parole")) == ["invalid_login"]

    response = login(client, "anna", PASSWORD)

    assert response.status_code == 200
    assert not logged_in(client)
    assert error_codes(response) == ["rate_limited"]
    with override("en"):
        message = gettext(RATE_LIMITED)
    assert message in response.content.decode()
    # Blocked attempts are not counted as new failures.
    assert LoginAttempt.objects.filter(succeeded=False).count() == 5


def test_rate_limit_message_is_translated(client: Client, anna: User) -> None:
    client.cookies["zina_language"] = "lv"
    for _ in range(5):
        login(client, "anna", "nepareiza-parole")
    response = login(client, "anna", PASSWORD)
    with override("lv"):
        message = gettext(RATE_LIMITED)
    assert message in response.content.decode()


def test_rate_limit_ignores_username_case(client: Client, anna: User) -> None:
    for username in ["ANNA", "Anna", "anna", "aNNa", "ANNA"]:
        login(client, username, "nepareiza-parole")
    response = login(client, "anna", PASSWORD)
    assert error_codes(response) == ["rate_limited"]
    assert not logged_in(client)


def test_rate_limit_is_per_address(client: Client, anna: User) -> None:
    for _ in range(5):
        login(client, "anna", "nepareiza-parole", address="10.0.0.1")
    assert error_codes(login(client, "anna", PASSWORD, address="10.0.0.1")) == ["rate_limited"]
    response = login(client, "anna", PASSWORD, address="10.0.0.2")
    assert response.status_code == 302
    assert logged_in(client)


def test_failures_outside_the_window_do_not_count(client: Client, anna: User) -> None:
    old = timezone.now() - timedelta(minutes=16)
    LoginAttempt.objects.bulk_create(
        [LoginAttempt(username="anna", address="127.0.0.1", at=old) for _ in range(5)]
    )
    response = login(client, "anna", PASSWORD)
    assert response.status_code == 302


def test_success_clears_the_failures(client: Client, anna: User) -> None:
    for _ in range(4):
        login(client, "anna", "nepareiza-parole")
    assert login(client, "anna", PASSWORD).status_code == 302
    assert not LoginAttempt.objects.filter(username="anna", succeeded=False).exists()

    client.post(reverse("accounts:logout"))
    assert not logged_in(client)
    # Four more failures: had the first four stayed, this would make eight and block.
    for _ in range(4):
        login(client, "anna", "nepareiza-parole")
    assert login(client, "anna", PASSWORD).status_code == 302
    assert logged_in(client)


def test_too_many_failures_from_one_address_block_every_account(
    client: Client, anna: User, settings: object
) -> None:
    settings.LOGIN_RATE_LIMIT = {"window_seconds": 900, "per_account": 5, "per_address": 3}  # type: ignore[attr-defined]
    for username in ["janis", "peteris", "liga"]:
        login(client, username, "nepareiza-parole")
    response = login(client, "anna", PASSWORD)
    assert error_codes(response) == ["rate_limited"]
    assert not logged_in(client)


def test_blocked_user_cannot_log_in(client: Client, anna: User, admin_user: User) -> None:
    ops.set_user_active(actor=admin_user, user=anna, active=False)
    response = login(client, "anna", PASSWORD)
    assert response.status_code == 200
    assert not logged_in(client)


def test_prune_login_attempts(db: object) -> None:
    LoginAttempt.objects.create(username="a", at=timezone.now() - timedelta(days=31))
    LoginAttempt.objects.create(username="b")
    assert prune_login_attempts(days=30) == 1
    assert list(LoginAttempt.objects.values_list("username", flat=True)) == ["b"]


# --- API tokens -----------------------------------------------------------------------------


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_issued_token_authenticates_the_api(client: Client, anna: User) -> None:
    _token, secret = ops.issue_api_token(actor=anna, name="skripts")
    response = client.get("/api/v1/me", headers=bearer(secret))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "anna"
    assert body["memberships"] == [{"institution": "vra", "kind": "staff", "title": ""}]


def test_token_is_stored_hashed(anna: User) -> None:
    token, secret = ops.issue_api_token(actor=anna, name="skripts")
    assert secret.startswith(f"zina_{token.prefix}_")
    raw_secret = secret.removeprefix(f"zina_{token.prefix}_")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["digest"] == token_digest(raw_secret)
    assert stored["digest"] != raw_secret
    for value in stored.values():
        assert raw_secret not in str(value)
        assert secret not in str(value)
    for event in AuditEvent.objects.all():
        assert raw_secret not in str(event.before) + str(event.after)


def test_token_use_updates_last_used_at(client: Client, anna: User) -> None:
    token, secret = ops.issue_api_token(actor=anna, name="skripts")
    assert token.last_used_at is None
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert used is not None
    assert timezone.now() - used < timedelta(minutes=1)

    # An old stamp is refreshed on the next use.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(days=2))
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    assert timezone.now() - ApiToken.objects.get(pk=token.pk).last_used_at < timedelta(minutes=1)


def _assert_unauthorised(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("application/json")  # type: ignore[index]
    assert response.json()["detail"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-2] + ("AA" if not s.endswith("AA") else "BB"),  # wrong secret
        lambda s: s.replace("zina_", "zona_", 1),  # wrong scheme prefix
        lambda s: "zina_" + s.split("_")[1],  # no secret part
        lambda s: "zina_ffffffff_" + s.split("_", 2)[2],  # unknown prefix
        lambda s: "",  # empty
    ],
    ids=["wrong-secret", "wrong-scheme", "no-secret", "unknown-prefix", "empty"],
)
def test_wrong_token_is_401(client: Client, anna: User, mangle: Callable[[str], str]) -> None:
    _token, secret = ops.issue_api_token(actor=anna, name="skripts")
    _assert_unauthorised(client.get("/api/v1/me", headers=bearer(mangle(secret))))


def test_no_credentials_is_401(client: Client, db: object) -> None:
    _assert_unauthorised(client.get("/api/v1/me"))


def test_revoked_token_is_401(client: Client, anna: User) -> None:
    token, secret = ops.issue_api_token(actor=anna, name="skripts")
    ops.revoke_api_token(actor=anna, token=token)
    _assert_unauthorised(client.get("/api/v1/me", headers=bearer(secret)))
    assert user_for_token(secret) is None


def test_expired_token_is_401(client: Client, anna: User) -> None:
    token, secret = ops.issue_api_token(
        actor=anna, name="skripts", expires_at=timezone.now() + timedelta(days=1)
    )
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_unauthorised(client.get("/api/v1/me", headers=bearer(secret)))


def test_token_of_a_blocked_user_is_401(client: Client, anna: User) -> None:
    _token, secret = ops.issue_api_token(actor=anna, name="skripts")
    User.objects.filter(pk=anna.pk).update(is_active=False)  # blocked without revoking
    _assert_unauthorised(client.get("/api/v1/me", headers=bearer(secret)))


def test_revoked_token_on_a_write_is_401_not_a_csrf_error(anna: User) -> None:
    """A script (no cookies, no CSRF token) using a revoked token must learn that its
    credentials are bad. Falling through to session auth turns the answer into a
    403 "CSRF check Failed", which sends the script's author looking in the wrong place."""
    token, secret = ops.issue_api_token(actor=anna, name="skripts")
    ops.revoke_api_token(actor=anna, token=token)
    script = Client(enforce_csrf_checks=True)
    response = script.patch(
        "/api/v1/users/anna",
        {"first_name": "X"},
        content_type="application/json",
        headers=bearer(secret),
    )
    _assert_unauthorised(response)


def test_valid_token_writes_without_csrf(anna: User) -> None:
    _token, secret = ops.issue_api_token(actor=anna, name="skripts")
    script = Client(enforce_csrf_checks=True)
    response = script.patch(
        "/api/v1/users/anna",
        {"first_name": "Anna"},
        content_type="application/json",
        headers=bearer(secret),
    )
    assert response.status_code == 200
    assert User.objects.get(pk=anna.pk).first_name == "Anna"
    event = AuditEvent.objects.filter(verb="user.updated").get()
    assert event.actor == anna


def test_session_write_without_csrf_token_is_refused(anna: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(anna)
    response = browser.patch(
        "/api/v1/users/anna", {"first_name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert User.objects.get(pk=anna.pk).first_name == ""
