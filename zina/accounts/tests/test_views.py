"""Pages of the accounts app: who gets 200, who is redirected or refused, and what they do."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from zina.accounts import operations as ops
from zina.accounts.choices import Role
from zina.accounts.models import ApiToken, Institution, Membership, RoleAssignment, User
from zina.conftest import PASSWORD
from zina.core.models import AuditEvent

NON_ADMIN_ROLES = [r for r in Role.values if r != Role.ADMINISTRATOR]


def as_user(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def assert_page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.get("Location"))
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "<main" in content
    return content


# --- Anonymous pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["login", "password_reset", "password_reset_done", "password_reset_complete"]
)
def test_public_account_pages_render_for_anonymous(client: Client, db: Any, name: str) -> None:
    assert_page(client.get(reverse(f"accounts:{name}")))


def test_login_redirects_a_logged_in_user(client: Client, superuser: User) -> None:
    response = as_user(client, superuser).get(reverse("accounts:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_logout(client: Client, superuser: User) -> None:
    as_user(client, superuser)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_password_reset_confirm_with_a_bad_link(client: Client, db: Any) -> None:
    url = reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"])
    content = assert_page(client.get(url))
    assert 'name="new_password1"' not in content


def test_password_reset_flow_for_a_user_with_a_password(
    client: Client, make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user("anna", institution, password=PASSWORD, email="anna@vra.example.lv")
    response = client.post(reverse("accounts:password_reset"), {"email": "anna@vra.example.lv"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@vra.example.lv"]

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]))
    assert response.status_code == 302  # to the "set-password" address, token in the session
    set_url = response["Location"]
    assert 'name="new_password1"' in assert_page(client.get(set_url))
    new = "Jauna-Parole-2026-garā"
    response = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert User.objects.get(pk=user.pk).check_password(new)


def test_new_user_without_password_can_set_one_by_reset(
    client: Client, admin_user: User, institution: Institution
) -> None:
    """Users created without a password are told to use "Forgot your password?" (views.py,
    user_create). Django's PasswordResetForm skips users whose password is unusable, so the
    reset e-mail never arrives and the new user can never log in."""
    ops.create_user(
        actor=admin_user,
        institution=institution,
        username="jauna",
        data=ops.UserData(email="jauna@vra.example.lv"),
    )
    response = client.post(reverse("accounts:password_reset"), {"email": "JAUNA@vra.example.lv"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["jauna@vra.example.lv"]

    # Follow the link in the e-mail, choose a password, log in with it.
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None, mail.outbox[0].body
    response = client.get(link.group(1))
    assert response.status_code == 302
    set_url = response["Location"]
    new = "Jauna-Parole-2026-garā"
    response = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    response = client.post(reverse("accounts:login"), {"username": "jauna", "password": new})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    # The link works once.
    client.logout()
    assert 'name="new_password1"' not in assert_page(client.get(link.group(1), follow=True))


def test_blocked_user_gets_no_reset_email(
    client: Client, make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution, password=PASSWORD, email="anna@vra.example.lv")
    ops.set_user_active(actor=admin_user, user=user, active=False)
    response = client.post(reverse("accounts:password_reset"), {"email": "anna@vra.example.lv"})
    assert response.status_code == 302  # the same answer: no hint whether the address exists
    assert mail.outbox == []


def test_unknown_address_gets_the_same_answer(client: Client, db: Any) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nav@example.lv"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


# --- Protected pages: anonymous is sent to the login page ----------------------------------

PROTECTED_GET = [
    ("accounts:password_change", []),
    ("accounts:profile", []),
    ("accounts:tokens", []),
    ("accounts:institution_list", []),
    ("accounts:institution_create", []),
    ("accounts:institution_detail", ["vra"]),
    ("accounts:institution_edit", ["vra"]),
    ("accounts:user_list", []),
    ("accounts:user_create", []),
    ("accounts:user_detail", ["administrator"]),
    ("accounts:user_edit", ["administrator"]),
    ("accounts:audit_list", []),
]
PROTECTED_POST = [
    ("accounts:token_revoke", [1]),
    ("accounts:user_set_active", ["administrator"]),
    ("accounts:role_assign", ["administrator"]),
    ("accounts:role_revoke", [1]),
]


@pytest.mark.parametrize(("name", "args"), PROTECTED_GET + PROTECTED_POST)
def test_anonymous_is_redirected_to_login(
    client: Client, role_users: dict[str, Any], name: str, args: list[Any]
) -> None:
    url = reverse(name, args=args)
    method = client.post if (name, args) in PROTECTED_POST else client.get
    count = RoleAssignment.objects.count()
    response = method(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert RoleAssignment.objects.count() == count


# --- Pages every logged-in role can open ---------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("accounts:password_change", []),
        ("accounts:profile", []),
        ("accounts:tokens", []),
        ("accounts:institution_list", []),
        ("accounts:institution_detail", ["vra"]),
        ("accounts:institution_detail", ["spa"]),
        ("accounts:user_list", []),
        ("accounts:audit_list", []),
    ],
)
def test_pages_for_every_role(
    client: Client,
    role_users: dict[str, Any],
    other_institution: Institution,
    role: str,
    name: str,
    args: list[str],
) -> None:
    assert_page(as_user(client, role_users[role]).get(reverse(name, args=args)))


@pytest.mark.parametrize("role", Role.values)
def test_own_user_pages_for_every_role(
    client: Client, role_users: dict[str, Any], role: str
) -> None:
    user = role_users[role]
    as_user(client, user)
    assert_page(client.get(reverse("accounts:user_detail", args=[user.username])))
    assert_page(client.get(reverse("accounts:user_edit", args=[user.username])))


@pytest.mark.parametrize("role", Role.values)
def test_colleague_pages_follow_the_directory_rule(
    client: Client, role_users: dict[str, Any], role: str
) -> None:
    as_user(client, role_users[role])
    response = client.get(reverse("accounts:user_detail", args=["auditor"]))
    if role in (Role.PARTNER, Role.AUDITOR):
        expected = 200 if role == Role.AUDITOR else 404
    else:
        expected = 200
    assert response.status_code == expected


# --- Administrator pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("accounts:institution_edit", ["vra"]),
        ("accounts:user_create", []),
        ("accounts:user_edit", ["auditor"]),
    ],
)
def test_admin_pages_render_for_the_administrator(
    client: Client, role_users: dict[str, Any], name: str, args: list[str]
) -> None:
    assert_page(as_user(client, role_users[Role.ADMINISTRATOR]).get(reverse(name, args=args)))


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("accounts:institution_create", []),
        ("accounts:institution_edit", ["vra"]),
        ("accounts:institution_edit", ["spa"]),
        ("accounts:user_create", []),
    ],
)
def test_admin_pages_render_for_the_superuser(
    client: Client,
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    name: str,
    args: list[str],
) -> None:
    assert_page(as_user(client, superuser).get(reverse(name, args=args)))


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("accounts:institution_create", []),
        ("accounts:institution_edit", ["vra"]),
        ("accounts:user_create", []),
    ],
)
def test_non_admin_gets_403_on_create_and_edit_pages(
    client: Client, role_users: dict[str, Any], role: str, name: str, args: list[str]
) -> None:
    content = assert_page(
        as_user(client, role_users[role]).get(reverse(name, args=args)), status=403
    )
    assert 'name="code"' not in content


def test_administrator_gets_403_for_another_institution_and_for_creation(
    client: Client, admin_user: User, other_institution: Institution
) -> None:
    as_user(client, admin_user)
    assert_page(client.get(reverse("accounts:institution_edit", args=["spa"])), status=403)
    assert_page(client.get(reverse("accounts:institution_create")), status=403)
    response = client.post(reverse("accounts:institution_create"), {"code": "x1", "name": "X"})
    assert response.status_code == 403
    assert not Institution.objects.filter(code="x1").exists()


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_edit_a_colleague(
    client: Client, role_users: dict[str, Any], role: str
) -> None:
    target = "administrator"
    response = as_user(client, role_users[role]).get(reverse("accounts:user_edit", args=[target]))
    assert response.status_code == (404 if role == Role.PARTNER else 403)


# --- Forms ----------------------------------------------------------------------------------


def test_invalid_institution_form_re_renders_with_errors(
    client: Client, superuser: User, institution: Institution
) -> None:
    as_user(client, superuser)
    count = Institution.objects.count()
    response = client.post(
        reverse("accounts:institution_create"),
        {"code": "Bad Code", "name": "", "registration_number": "123"},
    )
    assert_page(response)
    form = response.context["form"]
    assert {"code", "name", "registration_number"} <= set(form.errors)
    assert 'class="errorlist' in response.content.decode()
    assert Institution.objects.count() == count

    response = client.post(reverse("accounts:institution_create"), {"code": "vra", "name": "X"})
    assert_page(response)
    assert "code" in response.context["form"].errors
    assert Institution.objects.count() == count


def test_institution_create_and_edit(client: Client, superuser: User) -> None:
    as_user(client, superuser)
    response = client.post(
        reverse("accounts:institution_create"),
        {
            "code": "dpm",
            "name": "Digitālās pārvaldības ministrija",
            "registration_number": "90000000001",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:institution_detail", args=["dpm"])
    response = client.post(
        reverse("accounts:institution_edit", args=["dpm"]),
        {"code": "dpm", "name": "Ministrija", "phone": "+371 67000001"},
    )
    assert response.status_code == 302
    institution = Institution.objects.get(code="dpm")
    assert (institution.name, institution.phone) == ("Ministrija", "+371 67000001")
    assert institution.registration_number == ""
    assert AuditEvent.objects.filter(verb="institution.updated").get().actor == superuser


def test_administrator_edit_keeps_the_code(
    client: Client, admin_user: User, institution: Institution
) -> None:
    as_user(client, admin_user)
    response = client.post(
        reverse("accounts:institution_edit", args=["vra"]),
        {"code": "hacked", "name": "Jauns nosaukums"},
    )
    assert response.status_code == 302
    institution.refresh_from_db()
    assert (institution.code, institution.name) == ("vra", "Jauns nosaukums")


def test_edit_form_cancel_link_leads_back(
    client: Client, admin_user: User, institution: Institution
) -> None:
    """The edit forms pass ``back`` and link "Cancel" to ``back.get_absolute_url``; neither
    Institution nor User defines it, so the link is ``href=""`` (the form itself)."""
    as_user(client, admin_user)
    content = assert_page(client.get(reverse("accounts:institution_edit", args=["vra"])))
    assert f'href="{reverse("accounts:institution_detail", args=["vra"])}"' in content
    content = assert_page(client.get(reverse("accounts:user_edit", args=["auditor"])))
    assert f'href="{reverse("accounts:user_detail", args=["auditor"])}"' in content


def test_user_create_page(client: Client, admin_user: User, institution: Institution) -> None:
    as_user(client, admin_user)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "institution": institution.pk,
            "username": "jauna",
            "first_name": "Jauna",
            "last_name": "Kolēģe",
            "email": "jauna@vra.example.lv",
            "language": "lv",
            "kind": "staff",
            "title": "Juriste",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", args=["jauna"])
    user = User.objects.get(username="jauna")
    assert Membership.objects.get(user=user).title == "Juriste"

    # Duplicate username (other case): the operation's error lands on the field.
    count = User.objects.count()
    response = client.post(
        reverse("accounts:user_create"),
        {"institution": institution.pk, "username": "JAUNA", "language": "lv", "kind": "staff"},
    )
    assert_page(response)
    assert "username" in response.context["form"].errors
    assert User.objects.count() == count


def test_user_create_offers_only_administered_institutions(
    client: Client, admin_user: User, other_institution: Institution
) -> None:
    as_user(client, admin_user)
    response = client.post(
        reverse("accounts:user_create"),
        {
            "institution": other_institution.pk,
            "username": "jauna",
            "language": "lv",
            "kind": "staff",
        },
    )
    assert_page(response)
    assert "institution" in response.context["form"].errors
    assert not User.objects.filter(username="jauna").exists()


def test_role_assign_and_revoke_pages(
    client: Client, role_users: dict[str, Any], institution: Institution
) -> None:
    as_user(client, role_users[Role.ADMINISTRATOR])
    url = reverse("accounts:role_assign", args=["support-expert"])
    response = client.post(
        url, {"institution": institution.pk, "role": "problem_manager", "responsibility": "A"}
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user__username="support-expert", role="problem_manager")
    assert assignment.responsibility == "A"

    # The same again: re-rendered with the error, status 400, nothing written.
    count = RoleAssignment.objects.count()
    response = client.post(
        url, {"institution": institution.pk, "role": "problem_manager", "responsibility": "L"}
    )
    assert_page(response, status=400)
    assert response.context["role_form"].errors
    assert RoleAssignment.objects.count() == count
    assert client.get(url).status_code == 405

    response = client.post(reverse("accounts:role_revoke", args=[assignment.pk]))
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_assign_block_or_revoke(
    client: Client, role_users: dict[str, Any], institution: Institution, role: str
) -> None:
    as_user(client, role_users[role])
    count = RoleAssignment.objects.count()
    response = client.post(
        reverse("accounts:role_assign", args=[role_users[role].username]),
        {"institution": institution.pk, "role": "administrator", "responsibility": "A"},
    )
    assert response.status_code in (400, 403)
    target = RoleAssignment.objects.get(user=role_users[Role.SUPPORT_EXPERT])
    response = client.post(reverse("accounts:role_revoke", args=[target.pk]))
    assert response.status_code == (404 if role == Role.PARTNER else 403)
    response = client.post(
        reverse("accounts:user_set_active", args=["support-expert"]), {"active": "0"}
    )
    assert response.status_code == (404 if role == Role.PARTNER else 403)
    assert RoleAssignment.objects.count() == count
    assert User.objects.get(username="support-expert").is_active is True


def test_block_and_unblock_page(client: Client, role_users: dict[str, Any]) -> None:
    as_user(client, role_users[Role.ADMINISTRATOR])
    url = reverse("accounts:user_set_active", args=["support-expert"])
    assert client.post(url, {"active": "0"}).status_code == 302
    assert User.objects.get(username="support-expert").is_active is False
    assert client.post(url, {"active": "1"}).status_code == 302
    assert User.objects.get(username="support-expert").is_active is True


def test_profile_saves_language_and_sets_the_cookie(
    client: Client, make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user("anna", institution)
    as_user(client, user)
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Anna", "last_name": "Ozola", "email": "", "language": "en"},
    )
    assert response.status_code == 302
    assert response.cookies["zina_language"].value == "en"
    assert User.objects.get(pk=user.pk).language == "en"
    assert '<html lang="en">' in client.get(reverse("accounts:profile")).content.decode()


def test_tokens_page_issues_shows_once_and_revokes(
    client: Client, make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user("anna", institution)
    other = make_user("cits", institution)
    as_user(client, user)
    response = client.post(reverse("accounts:tokens"), {"name": "skripts", "expires_at": ""})
    content = assert_page(response)
    token = ApiToken.objects.get(user=user)
    secret = response.context["secret"]
    assert secret.startswith(f"zina_{token.prefix}_")
    assert secret in content
    assert secret not in client.get(reverse("accounts:tokens")).content.decode()

    response = client.post(reverse("accounts:tokens"), {"name": ""})
    assert_page(response, status=400)
    assert ApiToken.objects.filter(user=user).count() == 1

    foreign, _secret = ops.issue_api_token(actor=other, name="cits")
    assert client.post(reverse("accounts:token_revoke", args=[foreign.pk])).status_code == 404
    assert ApiToken.objects.get(pk=foreign.pk).revoked_at is None
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_audit_page_is_filtered(
    client: Client,
    role_users: dict[str, Any],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    make_user("svesinieks", other_institution, Role.SERVICE_PROVIDER)
    as_user(client, role_users[Role.AUDITOR])
    response = client.get(reverse("accounts:audit_list"), {"institution": "spa"})
    assert list(response.context["page"].object_list) == []
    response = client.get(reverse("accounts:audit_list"), {"verb": "institution."})
    verbs = {e.verb for e in response.context["page"].object_list}
    assert verbs == {"institution.created"}
    institutions = {e.institution.code for e in response.context["page"].object_list}
    assert institutions == {"vra"}


# --- Query counts ---------------------------------------------------------------------------

MAX_QUERIES = 15


@pytest.fixture
def thirty_users(
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    other_institution: Institution,
) -> None:
    roles = [r for r in Role.values if r != Role.PARTNER]
    for n in range(30):
        user = make_user(f"lietotajs-{n:02}", institution, roles[n % len(roles)])
        if n % 3 == 0:
            ops.add_membership(
                actor=superuser, user=user, institution=other_institution, kind="staff"
            )


def test_user_list_query_count(
    client: Client,
    thirty_users: None,
    admin_user: User,
    superuser: User,
    django_assert_max_num_queries: Any,
) -> None:
    for viewer in (superuser, admin_user):
        as_user(client, User.objects.get(pk=viewer.pk))
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(reverse("accounts:user_list"))
        assert response.status_code == 200
        assert len(response.context["page"].object_list) >= 30


def test_institution_list_query_count(
    client: Client,
    superuser: User,
    admin_user: User,
    make_institution: Callable[..., Institution],
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(30):
        make_institution(f"iestade-{n:02}")
    for viewer in (superuser, admin_user):
        as_user(client, User.objects.get(pk=viewer.pk))
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(reverse("accounts:institution_list"))
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == 31


def test_institution_detail_query_count(
    client: Client,
    thirty_users: None,
    superuser: User,
    django_assert_max_num_queries: Any,
) -> None:
    """30 role holders: the roles table must not query once per row (scope label)."""
    as_user(client, superuser)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("accounts:institution_detail", args=["vra"]))
    assert response.status_code == 200
    assert len(response.context["assignments"]) >= 30


def test_user_detail_query_count(
    client: Client,
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    django_assert_max_num_queries: Any,
) -> None:
    user = make_user("daudzlomu", institution)
    for role in Role.values:
        if role != Role.PARTNER:
            ops.assign_role(actor=superuser, user=user, institution=institution, role=role)
    as_user(client, superuser)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("accounts:user_detail", args=["daudzlomu"]))
    assert response.status_code == 200
