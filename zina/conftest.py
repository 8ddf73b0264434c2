"""Shared fixtures: institutions, users made through the operations, one user per role."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from zina.accounts import operations as ops
from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, User
from zina.accounts.roles import membership_kind_for_role

# A password that passes every configured validator (length, common, numeric, similarity).
PASSWORD = "Ziemelblazma-7Kalns"

ANONYMOUS = "anonymous"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; tests hash hundreds of passwords. Production keeps it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_search_index(settings: Any, tmp_path_factory: Any) -> Any:
    """Each test gets its own (lazily built) search index and outbox cursor: database rows
    and outbox ids are rolled back between tests, an index on disk would not be."""
    from zina.search.indexer import forget_engines

    settings.ZINA_INDEX_DIR = tmp_path_factory.mktemp("search") / "index"
    yield
    forget_engines()


@pytest.fixture
def superuser(db: Any) -> User:
    """An installation administrator; the actor behind every fixture write."""
    # No password: tests log in with force_login, and Argon2 hashing is slow by design.
    return User.objects.create_superuser(username="root", email="root@zina.example.lv")


@pytest.fixture
def make_institution(superuser: User) -> Callable[..., Institution]:
    def make(code: str, name: str | None = None, **extra: Any) -> Institution:
        data = ops.InstitutionData(code=code, name=name or f"Iestāde {code.upper()}", **extra)
        return ops.create_institution(actor=superuser, data=data)

    return make


@pytest.fixture
def institution(make_institution: Callable[..., Institution]) -> Institution:
    return make_institution(
        "vra", "Valsts reģistru aģentūra", name_en="State Registers Agency", short_name="VRA"
    )


@pytest.fixture
def other_institution(make_institution: Callable[..., Institution]) -> Institution:
    return make_institution(
        "spa", "Sociālo pabalstu aģentūra", name_en="Social Benefits Agency", short_name="SPA"
    )


@pytest.fixture
def make_user(superuser: User) -> Callable[..., User]:
    """``make_user(username, institution, role=None, responsibility="L", kind=None, ...)``.

    Creates the user as a member of ``institution`` and assigns ``role`` there, both through
    :mod:`zina.accounts.operations` with the superuser as actor. ``kind`` defaults to the
    membership kind the role needs (partner for the partner role, staff otherwise).
    """

    def make(
        username: str,
        institution: Institution,
        role: str | None = None,
        responsibility: str = Responsibility.CO_RESPONSIBLE,
        kind: str | None = None,
        password: str | None = None,
        **data: Any,
    ) -> User:
        if kind is None:
            kind = membership_kind_for_role(role) if role else "staff"
        user = ops.create_user(
            actor=superuser,
            institution=institution,
            username=username,
            data=ops.UserData(**data),
            kind=kind,
            password=password,
        )
        if role:
            ops.assign_role(
                actor=superuser,
                user=user,
                institution=institution,
                role=role,
                responsibility=responsibility,
            )
        # A fresh object: no cached grants from the writes above.
        return User.objects.get(pk=user.pk)

    return make


def role_username(role: str) -> str:
    return role.replace("_", "-")


@pytest.fixture
def role_users(make_user: Callable[..., User], institution: Institution) -> dict[str, Any]:
    """One user per :class:`Role` in ``institution`` (keyed by role value), plus ``"anonymous"``."""
    users: dict[str, Any] = {
        role.value: make_user(role_username(role.value), institution, role.value) for role in Role
    }
    users[ANONYMOUS] = AnonymousUser()
    return users


@pytest.fixture
def admin_user(role_users: dict[str, Any]) -> User:
    return role_users[Role.ADMINISTRATOR]


def refresh(user: User) -> User:
    """A fresh copy of ``user`` without cached grants."""
    return User.objects.get(pk=user.pk)


# --- Browser tests: Playwright driving Debian's chromium; nothing is downloaded. -----------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (not by the live server) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def browser_login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")
