"""The REST API at /api/v1/: institutions, users, role assignments, audit events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from zina.accounts import operations as ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, Membership, RoleAssignment, User
from zina.core.models import AuditEvent

API = "/api/v1"


class Api:
    """A test client speaking JSON with a personal API token."""

    def __init__(self, user: User) -> None:
        _token, secret = ops.issue_api_token(actor=user, name="tests")
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.patch(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers)


@pytest.fixture
def api_as() -> Callable[[User], Api]:
    return Api


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body


# --- Institutions ---------------------------------------------------------------------------


def test_list_institutions(
    api_as: Callable[[User], Api],
    admin_user: User,
    other_institution: Institution,
    superuser: User,
) -> None:
    ops.create_institution(actor=superuser, data=ops.InstitutionData(code="old", name="Veca"))
    ops.set_institution_active(
        actor=superuser, institution=Institution.objects.get(code="old"), active=False
    )
    codes = {i["code"] for i in items(api_as(admin_user).get("/institutions"))}
    assert codes == {"vra", "spa"}
    assert {i["code"] for i in items(api_as(superuser).get("/institutions"))} == {
        "vra",
        "spa",
        "old",
    }


def test_get_institution(api_as: Callable[[User], Api], admin_user: User) -> None:
    response = api_as(admin_user).get("/institutions/vra")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "vra"
    assert body["name"] == "Valsts reģistru aģentūra"
    assert body["name_en"] == "State Registers Agency"
    assert body["is_active"] is True
    assert_error(api_as(admin_user).get("/institutions/nav"), 404)


def test_superuser_creates_an_institution(api_as: Callable[[User], Api], superuser: User) -> None:
    response = api_as(superuser).post(
        "/institutions",
        {
            "code": "dpm",
            "name": "Digitālās pārvaldības ministrija",
            "registration_number": "90000000001",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "dpm"
    institution = Institution.objects.get(code="dpm")
    assert AuditEvent.objects.for_object(institution).get().actor == superuser


def test_administrator_cannot_create_an_institution(
    api_as: Callable[[User], Api], admin_user: User
) -> None:
    count = Institution.objects.count()
    assert_error(api_as(admin_user).post("/institutions", {"code": "dpm", "name": "X"}), 403)
    assert Institution.objects.count() == count


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "Bad Code", "name": "X"}, "code"),
        ({"code": "vra", "name": "Duplicate"}, "code"),
        ({"code": "dpm", "name": "X", "registration_number": "123"}, "registration_number"),
    ],
)
def test_invalid_institution_is_422_with_detail(
    api_as: Callable[[User], Api],
    superuser: User,
    institution: Institution,
    payload: dict[str, str],
    field: str,
) -> None:
    count = Institution.objects.count()
    body = assert_error(api_as(superuser).post("/institutions", payload), 422)
    assert isinstance(body["detail"], str)
    assert field in body["errors"]
    assert body["detail"] == body["errors"][field][0]
    assert Institution.objects.count() == count


def test_schema_error_is_422_with_detail(api_as: Callable[[User], Api], superuser: User) -> None:
    assert_error(api_as(superuser).post("/institutions", {"name": "no code"}), 422)


def test_administrator_patches_own_institution(
    api_as: Callable[[User], Api], admin_user: User, institution: Institution
) -> None:
    response = api_as(admin_user).patch("/institutions/vra", {"phone": "+371 67000002"})
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+371 67000002"
    institution.refresh_from_db()
    assert institution.phone == "+371 67000002"
    assert institution.name == "Valsts reģistru aģentūra"  # untouched fields stay
    event = AuditEvent.objects.get(verb="institution.updated")
    assert event.actor == admin_user
    assert [c[0] for c in event.changes] == ["phone"]


def test_administrator_cannot_patch_code_or_other_institution(
    api_as: Callable[[User], Api],
    admin_user: User,
    institution: Institution,
    other_institution: Institution,
) -> None:
    api = api_as(admin_user)
    assert_error(api.patch("/institutions/vra", {"code": "vra2"}), 403)
    assert_error(api.patch("/institutions/spa", {"name": "X"}), 403)
    assert Institution.objects.filter(code="vra").exists()
    assert Institution.objects.get(code="spa").name == other_institution.name


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMINISTRATOR])
def test_non_admin_cannot_patch_institution(
    api_as: Callable[[User], Api], role_users: dict[str, Any], role: str
) -> None:
    assert_error(api_as(role_users[role]).patch("/institutions/vra", {"name": "X"}), 403)


# --- Users ----------------------------------------------------------------------------------


def test_admin_creates_user_in_own_institution(
    api_as: Callable[[User], Api], admin_user: User, institution: Institution
) -> None:
    response = api_as(admin_user).post(
        "/users",
        {"institution": "vra", "username": "jauna", "first_name": "Jauna", "title": "Juriste"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "jauna"
    assert body["memberships"] == [{"institution": "vra", "kind": "staff", "title": "Juriste"}]
    user = User.objects.get(username="jauna")
    assert user.has_usable_password() is False
    assert Membership.objects.filter(user=user, institution=institution).exists()


def test_admin_cannot_create_user_in_other_institution(
    api_as: Callable[[User], Api], admin_user: User, other_institution: Institution
) -> None:
    response = api_as(admin_user).post("/users", {"institution": "spa", "username": "jauna"})
    assert response.status_code in (403, 404)
    assert response.json()["detail"]
    assert not User.objects.filter(username="jauna").exists()


def test_duplicate_username_is_422(api_as: Callable[[User], Api], admin_user: User) -> None:
    body = assert_error(
        api_as(admin_user).post("/users", {"institution": "vra", "username": "AUDITOR"}), 422
    )
    assert "username" in body["errors"]


def test_list_users_is_permission_filtered(
    api_as: Callable[[User], Api],
    role_users: dict[str, Any],
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    make_user("svesinieks", other_institution, Role.SERVICE_PROVIDER)
    names = {u["username"] for u in items(api_as(role_users[Role.AUDITOR]).get("/users"))}
    assert "svesinieks" not in names
    assert {u.replace("_", "-") for u in Role.values} <= names
    partner = {u["username"] for u in items(api_as(role_users[Role.PARTNER]).get("/users"))}
    assert partner == {"partner"}
    assert_error(api_as(role_users[Role.PARTNER]).get("/users/auditor"), 404)


def test_get_user(api_as: Callable[[User], Api], role_users: dict[str, Any]) -> None:
    response = api_as(role_users[Role.AUDITOR]).get("/users/administrator")
    assert response.status_code == 200
    assert response.json()["memberships"][0]["institution"] == "vra"


def test_patch_user_blocks_and_revokes(
    api_as: Callable[[User], Api], role_users: dict[str, Any]
) -> None:
    target = role_users[Role.SUPPORT_EXPERT]
    target_api = api_as(target)
    response = api_as(role_users[Role.ADMINISTRATOR]).patch(
        "/users/support-expert", {"last_name": "Vītola", "is_active": False}
    )
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert response.json()["last_name"] == "Vītola"
    assert target_api.get("/me").status_code == 401


def test_non_admin_cannot_block_colleague_via_api(
    api_as: Callable[[User], Api], role_users: dict[str, Any]
) -> None:
    assert_error(
        api_as(role_users[Role.AUDITOR]).patch("/users/support-expert", {"is_active": False}),
        403,
    )
    assert User.objects.get(username="support-expert").is_active is True


# --- Role assignments -----------------------------------------------------------------------


def test_create_and_delete_role_assignment(
    api_as: Callable[[User], Api], role_users: dict[str, Any]
) -> None:
    api = api_as(role_users[Role.ADMINISTRATOR])
    response = api.post(
        "/role-assignments",
        {"user": "support-expert", "institution": "vra", "role": "problem_manager"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "problem_manager"
    assert body["responsibility"] == "L"
    assert body["scope_type"] is None
    assignment = RoleAssignment.objects.get(pk=body["id"])
    assert assignment.user.username == "support-expert"

    listed = items(api.get("/role-assignments", user="support-expert"))
    assert {a["role"] for a in listed} == {"support_expert", "problem_manager"}

    response = api.delete(f"/role-assignments/{assignment.pk}")
    assert response.status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(verb="role.revoked").exists()


def test_role_assignment_errors(api_as: Callable[[User], Api], role_users: dict[str, Any]) -> None:
    admin = api_as(role_users[Role.ADMINISTRATOR])
    body = assert_error(
        admin.post(
            "/role-assignments",
            {"user": "support-expert", "institution": "vra", "role": "support_expert"},
        ),
        422,
    )
    assert "role" in body["errors"]
    assert_error(
        admin.post("/role-assignments", {"user": "nav", "institution": "vra", "role": "auditor"}),
        404,
    )
    count = RoleAssignment.objects.count()
    auditor = api_as(role_users[Role.AUDITOR])
    assert_error(
        auditor.post(
            "/role-assignments",
            {"user": "auditor", "institution": "vra", "role": "administrator"},
        ),
        403,
    )
    own = RoleAssignment.objects.get(user=role_users[Role.AUDITOR])
    assert_error(auditor.delete(f"/role-assignments/{own.pk}"), 403)
    assert RoleAssignment.objects.count() == count


def test_role_assignments_of_other_institutions_are_hidden(
    api_as: Callable[[User], Api],
    admin_user: User,
    make_user: Callable[..., User],
    other_institution: Institution,
) -> None:
    stranger = make_user("svesinieks", other_institution, Role.ADMINISTRATOR)
    foreign = RoleAssignment.objects.get(user=stranger)
    api = api_as(admin_user)
    assert foreign.pk not in {a["id"] for a in items(api.get("/role-assignments"))}
    assert_error(api.delete(f"/role-assignments/{foreign.pk}"), 404)
    assert RoleAssignment.objects.filter(pk=foreign.pk).exists()


# --- Audit events ---------------------------------------------------------------------------


def test_audit_events_are_filtered_by_permission(
    api_as: Callable[[User], Api],
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
) -> None:
    auditor_a = make_user("revidents-a", institution, Role.AUDITOR)
    auditor_b = make_user("revidents-b", other_institution, Role.AUDITOR)
    provider = make_user("sniedzejs", institution, Role.SERVICE_PROVIDER)

    seen_a = items(api_as(auditor_a).get("/audit-events", limit=1000))
    assert seen_a
    assert {e["institution"] for e in seen_a} <= {"vra", None}
    assert "spa" not in {e["institution"] for e in seen_a}
    assert {"institution.created", "user.created", "role.assigned"} <= {e["verb"] for e in seen_a}

    seen_b = items(api_as(auditor_b).get("/audit-events", limit=1000))
    assert "vra" not in {e["institution"] for e in seen_b}

    # Without the audit capability: only one's own actions (here: issuing the API token).
    seen_provider = items(api_as(provider).get("/audit-events", limit=1000))
    assert [e["verb"] for e in seen_provider] == ["token.issued"]
    assert seen_provider[0]["actor"] == "sniedzejs"


def test_audit_event_filters_and_shape(
    api_as: Callable[[User], Api], superuser: User, institution: Institution
) -> None:
    api = api_as(superuser)
    created = items(api.get("/audit-events", verb="institution.", institution="vra"))
    assert [e["verb"] for e in created] == ["institution.created"]
    event = created[0]
    assert event["object_type"] == "accounts.institution"
    assert event["object_id"] == str(institution.pk)
    assert event["actor"] == "root"
    assert event["before"] is None
    assert event["after"]["code"] == "vra"
    assert items(api.get("/audit-events", verb="nothing.")) == []


# --- Authentication, errors, schema ---------------------------------------------------------


def test_session_authenticated_get_works(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    response = client.get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["username"] == "administrator"
    assert client.get(f"{API}/institutions").status_code == 200


def test_anonymous_is_401(client: Client, institution: Institution) -> None:
    for path in ["/me", "/institutions", "/users", "/role-assignments", "/audit-events"]:
        response = client.get(API + path)
        assert response.status_code == 401, path
        assert response.json()["detail"]


@pytest.mark.parametrize("path", ["/nothing-here", "/institutions/vra/nothing", "/v2/"])
def test_unknown_api_url_is_404_json(client: Client, db: Any, path: str) -> None:
    response = client.get(API + path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_openapi_schema_lists_the_paths(client: Client, db: Any) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Zina API"
    paths = set(schema["paths"])
    assert {
        f"{API}/institutions",
        f"{API}/institutions/{{code}}",
        f"{API}/me",
        f"{API}/users",
        f"{API}/users/{{username}}",
        f"{API}/role-assignments",
        f"{API}/role-assignments/{{pk}}",
        f"{API}/audit-events",
    } <= paths
    assert {"get", "post"} <= set(schema["paths"][f"{API}/institutions"])
    assert "delete" in schema["paths"][f"{API}/role-assignments/{{pk}}"]
