"""The catalog API at /api/v1/catalog/: CRUD, service levels, dependencies, visibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog.models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
)
from zina.catalog.tests.conftest import db_counts
from zina.core.models import AuditEvent

API = "/api/v1/catalog"
Make = Callable[..., Any]


class Api:
    """A JSON client with a personal API token (English messages)."""

    def __init__(self, user: User | None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.cookies["zina_language"] = "en"
        self.headers: dict[str, str] = {}
        if user is not None:
            _token, secret = account_ops.issue_api_token(actor=user, name="tests")
            self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(API + path, params, headers=self.headers)

    def post(self, path: str, data: Any) -> Any:
        return self.client.post(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def put(self, path: str, data: Any) -> Any:
        return self.client.put(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, data: Any) -> Any:
        return self.client.patch(
            API + path, data, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self.headers)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body


def identifiers(body: Any) -> set[str]:
    items = body["items"] if isinstance(body, dict) else body
    return {i["identifier"] for i in items}


@pytest.fixture
def portfolio(make_user: Make, institution: Institution) -> User:
    return make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER)


@pytest.fixture
def catalog(
    institution: Institution,
    other_institution: Institution,
    make_service: Make,
    make_resource: Make,
    depend: Make,
) -> dict[str, Any]:
    objects = {
        "VRA-PUB": make_service(institution, "VRA-PUB", category="Reģistri"),
        "VRA-INT": make_service(institution, "VRA-INT", is_public=False),
        "VRA-PLAN": make_service(institution, "VRA-PLAN", status="planned", category="Reģistri"),
        "SPA-PUB": make_service(other_institution, "SPA-PUB"),
        "SPA-INT": make_service(other_institution, "SPA-INT", is_public=False),
        "VRA-APP": make_resource(institution, "VRA-APP", type="application"),
        "VRA-HOST": make_resource(institution, "VRA-HOST"),
        "SPA-NET": make_resource(other_institution, "SPA-NET", type="network"),
    }
    depend(objects["VRA-PUB"], objects["VRA-APP"])
    depend(objects["VRA-INT"], objects["VRA-HOST"])
    depend(objects["VRA-APP"], objects["VRA-HOST"])
    depend(objects["SPA-INT"], objects["SPA-NET"])
    return objects


# --- Services CRUD -------------------------------------------------------------------------------


def test_create_read_update_service(portfolio: User, institution: Institution) -> None:
    api = Api(portfolio)
    body = ok(
        api.post(
            "/services",
            {
                "institution": "vra",
                "identifier": "URN:IVIS:100001:EP.SRV-0101",
                "name": "Dzīvesvietas deklarēšana",
                "recipients": ["residents"],
                "channels": ["e_service", "phone"],
            },
        ),
        201,
    )
    assert body["institution"] == "vra"
    assert body["status"] == "active"
    assert body["is_public"] is True
    pk = body["id"]
    service = Service.objects.get(pk=pk)
    assert service.channels == ["e_service", "phone"]
    assert AuditEvent.objects.for_object(service).get(verb="service.created").actor == portfolio

    assert ok(api.get(f"/services/{pk}"))["name"] == "Dzīvesvietas deklarēšana"
    patched = ok(api.patch(f"/services/{pk}", {"name": "Jauns", "is_public": False}))
    assert (patched["name"], patched["is_public"]) == ("Jauns", False)
    assert patched["channels"] == ["e_service", "phone"]  # untouched fields stay
    service.refresh_from_db()
    assert (service.name, service.is_public, service.recipients) == ("Jauns", False, ["residents"])
    event = AuditEvent.objects.for_object(service).get(verb="service.updated")
    assert (event.before["name"], event.after["name"]) == ("Dzīvesvietas deklarēšana", "Jauns")


def test_create_resource_and_patch(make_user: Make, institution: Institution) -> None:
    api = Api(make_user("resursi", institution, Role.RESOURCE_PORTFOLIO_OWNER))
    body = ok(
        api.post(
            "/resources",
            {"institution": "vra", "identifier": "R-1", "name": "Serveris", "type": "server"},
        ),
        201,
    )
    assert body["criticality"] == "medium"
    patched = ok(api.patch(f"/resources/{body['id']}", {"criticality": "critical"}))
    assert (patched["criticality"], patched["type"]) == ("critical", "server")
    # A resource portfolio owner may not create services.
    error(api.post("/services", {"institution": "vra", "identifier": "S", "name": "S"}), 403)
    assert not Service.objects.exists()


def test_permission_errors_are_403_json(
    catalog: dict[str, Any], make_user: Make, institution: Institution, portfolio: User
) -> None:
    staff = Api(make_user("atbalsts", institution, Role.SUPPORT_SPECIALIST))
    owner_api = Api(portfolio)
    before = db_counts()
    pk = catalog["VRA-PUB"].pk
    body = error(
        staff.post("/services", {"institution": "vra", "identifier": "X", "name": "X"}), 403
    )
    assert body["detail"] == "You do not have permission to do this."
    error(staff.patch(f"/services/{pk}", {"name": "X"}), 403)
    error(staff.put(f"/services/{pk}/service-level", {}), 403)
    error(staff.post(f"/services/{pk}/dependencies", {"resource": catalog["VRA-HOST"].pk}), 403)
    error(staff.patch(f"/resources/{catalog['VRA-APP'].pk}", {"name": "X"}), 403)
    edge = ServiceDependency.objects.get(service=catalog["VRA-PUB"])
    error(staff.delete(f"/service-dependencies/{edge.pk}"), 403)
    # The portfolio owner of VRA may not create in SPA.
    error(owner_api.post("/services", {"institution": "spa", "identifier": "X", "name": "X"}), 403)
    assert db_counts() == before


def test_unauthenticated_requests_are_401(catalog: dict[str, Any]) -> None:
    anonymous = Api(None)
    error(anonymous.get("/services"), 401)
    error(anonymous.get(f"/services/{catalog['VRA-PUB'].pk}"), 401)
    bad = Api(None)
    bad.headers = {"Authorization": "Bearer zina_deadbeef_nope"}
    error(bad.get("/services"), 401)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"identifier": "ar atstarpi"}, "identifier"),
        ({"identifier": "VRA-PUB"}, None),  # taken in the institution
        ({"name": ""}, "name"),
    ],
    ids=["identifier-space", "duplicate", "name-blank"],
)
def test_validation_errors_are_422_with_detail(
    catalog: dict[str, Any], portfolio: User, payload: dict[str, Any], field: str | None
) -> None:
    api = Api(portfolio)
    before = db_counts()
    body = error(
        api.post("/services", {"institution": "vra", "identifier": "NEW", "name": "N", **payload}),
        422,
    )
    assert isinstance(body["detail"], str)
    if field:
        assert field in body["errors"]
    assert db_counts() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"institution": "vra", "identifier": "X", "name": "X", "recipients": ["aliens"]},
        {"institution": "vra", "identifier": "X", "name": "X", "status": "deleted"},
        {"institution": "vra", "identifier": "X"},
        {"institution": "vra", "identifier": "X" * 101, "name": "X"},
    ],
    ids=["recipient", "status", "no-name", "long-identifier"],
)
def test_schema_errors_are_422_with_detail(
    catalog: dict[str, Any], portfolio: User, payload: dict[str, Any]
) -> None:
    api = Api(portfolio)
    before = db_counts()
    error(api.post("/services", payload), 422)
    assert db_counts() == before


def test_duplicate_identifier_in_another_institution_is_fine(
    catalog: dict[str, Any], superuser: User
) -> None:
    body = ok(
        Api(superuser).post(
            "/services", {"institution": "spa", "identifier": "VRA-PUB", "name": "N"}
        ),
        201,
    )
    assert body["institution"] == "spa"


def test_patch_to_an_invalid_value_is_422(catalog: dict[str, Any], portfolio: User) -> None:
    pk = catalog["VRA-PUB"].pk
    body = error(Api(portfolio).patch(f"/services/{pk}", {"identifier": "VRA-INT"}), 422)
    assert body["detail"]
    assert Service.objects.get(pk=pk).identifier == "VRA-PUB"


def test_unknown_institution_is_404(portfolio: User, institution: Institution) -> None:
    error(
        Api(portfolio).post("/services", {"institution": "nope", "identifier": "X", "name": "X"}),
        404,
    )


# --- Service levels ------------------------------------------------------------------------------


def test_service_level_put_and_get(catalog: dict[str, Any], portfolio: User) -> None:
    api = Api(portfolio)
    pk = catalog["VRA-INT"].pk
    error(api.get(f"/services/{pk}/service-level"), 404)
    payload = {
        "around_the_clock": False,
        "support_start": "09:00:00",
        "support_end": "16:00:00",
        "support_days": "12345",
        "availability_target": "99.5",
        "targets": {
            "P1": {"response_minutes": 30, "resolution_minutes": 240},
            "P2": {"response_minutes": 60, "resolution_minutes": 480},
        },
    }
    put = ok(api.put(f"/services/{pk}/service-level", payload))
    got = ok(api.get(f"/services/{pk}/service-level"))
    assert put == got
    assert got["support_start"].startswith("09:00")
    assert got["targets"]["P2"] == {"response_minutes": 60, "resolution_minutes": 480}
    level = ServiceLevel.objects.get(service_id=pk)
    assert sorted(level.targets_by_priority()) == ["P1", "P2"]

    # Replacing with fewer targets drops the others.
    payload["targets"] = {"P4": {"response_minutes": 480, "resolution_minutes": 2400}}
    assert list(ok(api.put(f"/services/{pk}/service-level", payload))["targets"]) == ["P4"]


@pytest.mark.parametrize(
    ("changes", "status", "fragment"),
    [
        (
            {"targets": {"P1": {"response_minutes": 240, "resolution_minutes": 30}}},
            422,
            "Resolution cannot be due before the response.",
        ),
        ({"support_start": "17:00:00", "support_end": "08:00:00"}, 422, "Support must end after"),
        ({"support_days": "890"}, 422, "Days as digits"),
        ({"availability_target": "150"}, 422, "100"),
        ({"targets": {"P9": {"response_minutes": 1, "resolution_minutes": 2}}}, 422, ""),
        ({"targets": {"P1": {"response_minutes": -1, "resolution_minutes": 2}}}, 422, ""),
    ],
    ids=["resolution", "hours", "days", "availability", "priority", "negative"],
)
def test_service_level_validation(
    catalog: dict[str, Any], portfolio: User, changes: dict[str, Any], status: int, fragment: str
) -> None:
    pk = catalog["VRA-INT"].pk
    api = Api(portfolio)
    before = db_counts()
    body = error(api.put(f"/services/{pk}/service-level", changes), status)
    assert fragment in str(body["detail"])
    assert db_counts() == before


def test_around_the_clock_service_level(catalog: dict[str, Any], portfolio: User) -> None:
    pk = catalog["VRA-PUB"].pk
    body = ok(
        Api(portfolio).put(
            f"/services/{pk}/service-level",
            {"around_the_clock": True, "support_start": "17:00:00", "support_end": "08:00:00"},
        )
    )
    assert body["around_the_clock"] is True


# --- Dependencies --------------------------------------------------------------------------------


def test_service_dependencies_post_list_delete(catalog: dict[str, Any], portfolio: User) -> None:
    api = Api(portfolio)
    service = catalog["VRA-PLAN"]
    host = catalog["VRA-HOST"]
    edge = ok(api.post(f"/services/{service.pk}/dependencies", {"resource": host.pk}), 201)
    assert (edge["service"], edge["resource"]) == (service.pk, host.pk)
    assert ok(api.get(f"/services/{service.pk}/dependencies")) == [edge]
    body = error(api.post(f"/services/{service.pk}/dependencies", {"resource": host.pk}), 422)
    assert body["detail"] == "The service already depends on this resource."
    assert ok(api.delete(f"/service-dependencies/{edge['id']}"), 204) is None
    assert not ServiceDependency.objects.filter(service=service).exists()
    verbs = list(
        AuditEvent.objects.for_object(service)
        .filter(verb__startswith="service.dependency")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["service.dependency_added", "service.dependency_removed"]
    error(api.delete(f"/service-dependencies/{edge['id']}"), 404)


def test_resource_dependencies_and_cycles(catalog: dict[str, Any], superuser: User) -> None:
    api = Api(superuser)
    app, host, net = catalog["VRA-APP"], catalog["VRA-HOST"], catalog["SPA-NET"]
    edge = ok(api.post(f"/resources/{host.pk}/dependencies", {"resource": net.pk}), 201)
    assert (edge["resource"], edge["depends_on"]) == (host.pk, net.pk)
    before = db_counts()
    body = error(api.post(f"/resources/{net.pk}/dependencies", {"resource": app.pk}), 422)
    assert (
        body["detail"]
        == "This dependency would create a cycle: SPA-NET → VRA-APP → VRA-HOST → SPA-NET."
    )
    assert body["errors"] == {"depends_on": [body["detail"]]}
    body = error(api.post(f"/resources/{app.pk}/dependencies", {"resource": app.pk}), 422)
    assert body["detail"] == "“VRA-APP” cannot depend on itself."
    assert db_counts() == before
    assert ok(api.delete(f"/resource-dependencies/{edge['id']}"), 204) is None
    assert not ResourceDependency.objects.filter(pk=edge["id"]).exists()
    # Without the SPA edge there is no cycle any more.
    ok(api.post(f"/resources/{net.pk}/dependencies", {"resource": app.pk}), 201)


def test_dependency_on_an_invisible_resource_is_404(
    catalog: dict[str, Any], portfolio: User
) -> None:
    api = Api(portfolio)
    before = db_counts()
    error(
        api.post(
            f"/services/{catalog['VRA-PLAN'].pk}/dependencies", {"resource": catalog["SPA-NET"].pk}
        ),
        404,
    )
    assert db_counts() == before


def test_affected_services_endpoint(
    catalog: dict[str, Any], superuser: User, make_user: Make, institution: Institution
) -> None:
    host = catalog["VRA-HOST"]
    assert identifiers(ok(Api(superuser).get(f"/resources/{host.pk}/affected-services"))) == {
        "VRA-PUB",
        "VRA-INT",
    }
    net = catalog["SPA-NET"]
    ok(Api(superuser).post(f"/resources/{host.pk}/dependencies", {"resource": net.pk}), 201)
    assert identifiers(ok(Api(superuser).get(f"/resources/{net.pk}/affected-services"))) == {
        "VRA-PUB",
        "VRA-INT",
        "SPA-INT",
    }
    # SPA staff see the effect on their network, minus VRA's internal service.
    spa_staff = make_user("spa-staff", net.institution, Role.SUPPORT_SPECIALIST)
    assert identifiers(ok(Api(spa_staff).get(f"/resources/{net.pk}/affected-services"))) == {
        "VRA-PUB",
        "SPA-INT",
    }
    assert (
        ok(Api(superuser).get(f"/resources/{catalog['VRA-APP'].pk}/dependencies"))[0]["depends_on"]
        == host.pk
    )


# --- Lists, filters and visibility ----------------------------------------------------------------


def test_list_filters(catalog: dict[str, Any], make_user: Make, institution: Institution) -> None:
    api = Api(make_user("atbalsts", institution, Role.SUPPORT_SPECIALIST))
    assert identifiers(ok(api.get("/services"))) == {"VRA-PUB", "VRA-INT", "VRA-PLAN", "SPA-PUB"}
    assert identifiers(ok(api.get("/services", institution="spa"))) == {"SPA-PUB"}
    assert identifiers(ok(api.get("/services", status="planned"))) == {"VRA-PLAN"}
    assert identifiers(ok(api.get("/services", category="Reģistri"))) == {"VRA-PUB", "VRA-PLAN"}
    assert identifiers(ok(api.get("/services", institution="vra", status="active"))) == {
        "VRA-PUB",
        "VRA-INT",
    }
    error(api.get("/services", status="deleted"), 422)
    page = ok(api.get("/services", limit=2, offset=0))
    assert page["count"] == 4
    assert len(page["items"]) == 2
    rest = ok(api.get("/services", limit=2, offset=2))
    assert identifiers(page).isdisjoint(identifiers(rest))
    assert identifiers(ok(api.get("/resources"))) == {"VRA-APP", "VRA-HOST"}
    assert identifiers(ok(api.get("/resources", type="application"))) == {"VRA-APP"}


def test_another_institution_cannot_see_internal_services_or_resources(
    catalog: dict[str, Any], make_user: Make, other_institution: Institution
) -> None:
    api = Api(make_user("spa-staff", other_institution, Role.ADMINISTRATOR))
    assert identifiers(ok(api.get("/services"))) == {"VRA-PUB", "SPA-PUB", "SPA-INT"}
    assert identifiers(ok(api.get("/resources"))) == {"SPA-NET"}
    before = db_counts()
    for hidden in ("VRA-INT", "VRA-PLAN"):
        pk = catalog[hidden].pk
        error(api.get(f"/services/{pk}"), 404)
        error(api.patch(f"/services/{pk}", {"name": "X"}), 404)
        error(api.get(f"/services/{pk}/service-level"), 404)
        error(api.get(f"/services/{pk}/dependencies"), 404)
    for hidden in ("VRA-APP", "VRA-HOST"):
        pk = catalog[hidden].pk
        error(api.get(f"/resources/{pk}"), 404)
        error(api.get(f"/resources/{pk}/affected-services"), 404)
        error(api.get(f"/resources/{pk}/dependencies"), 404)
        error(api.patch(f"/resources/{pk}", {"name": "X"}), 404)
    edge = ServiceDependency.objects.get(service=catalog["VRA-INT"])
    error(api.delete(f"/service-dependencies/{edge.pk}"), 404)
    redge = ResourceDependency.objects.get(resource=catalog["VRA-APP"])
    error(api.delete(f"/resource-dependencies/{redge.pk}"), 404)
    # A public VRA service is visible, but its dependencies on VRA resources are not.
    pub = catalog["VRA-PUB"].pk
    assert ok(api.get(f"/services/{pub}"))["identifier"] == "VRA-PUB"
    assert ok(api.get(f"/services/{pub}/dependencies")) == []
    error(api.patch(f"/services/{pub}", {"name": "X"}), 403)
    # Nor may they hang their resource under VRA's.
    error(
        api.post(
            f"/resources/{catalog['SPA-NET'].pk}/dependencies", {"resource": catalog["VRA-HOST"].pk}
        ),
        404,
    )
    assert db_counts() == before


def test_partner_sees_only_the_resource_they_are_assigned_to(
    catalog: dict[str, Any], superuser: User, make_user: Make, institution: Institution
) -> None:
    partner = make_user("partneris", institution, kind="partner")
    account_ops.assign_role(
        actor=superuser,
        user=partner,
        institution=institution,
        role=Role.PARTNER,
        scope=catalog["VRA-APP"],
    )
    api = Api(User.objects.get(pk=partner.pk))
    assert identifiers(ok(api.get("/resources"))) == {"VRA-APP"}
    error(api.get(f"/resources/{catalog['VRA-HOST'].pk}"), 404)
    assert identifiers(ok(api.get("/services"))) == {"VRA-PUB", "SPA-PUB"}
    error(api.patch(f"/resources/{catalog['VRA-APP'].pk}", {"name": "X"}), 403)
    assert Resource.objects.get(pk=catalog["VRA-APP"].pk).name == "VRA-APP"
