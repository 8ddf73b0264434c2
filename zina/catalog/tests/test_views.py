"""Catalog pages: lists and filters, visibility, detail pages, edit forms, import and export."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as ops
from zina.catalog.models import ResourceDependency, Service, ServiceLevel
from zina.catalog.tests.conftest import db_counts, english_client
from zina.core.models import AuditEvent

Make = Callable[..., Any]


def ids(objects: Any) -> set[str]:
    return {o.identifier for o in objects}


def page_ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.status_code
    return ids(response.context["page"].object_list)


@pytest.fixture
def catalog(
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    make_user: Make,
    make_service: Make,
    make_resource: Make,
    depend: Make,
) -> dict[str, Any]:
    """VRA and SPA services of every visibility, and a resource chain into SPA."""
    objects: dict[str, Any] = {
        "VRA-PUB": make_service(
            institution, "VRA-PUB", name="Dzīvesvietas deklarēšana", category="Reģistri"
        ),
        "VRA-OLD": make_service(
            institution, "VRA-OLD", name="Vecā izziņa", category="Reģistri", status="retired"
        ),
        "VRA-INT": make_service(
            institution, "VRA-INT", name="Iekšējā pārskaitīšana", is_public=False
        ),
        "VRA-PLAN": make_service(
            institution, "VRA-PLAN", name="Nākotnes e-pakalpojums", status="planned"
        ),
        "SPA-PUB": make_service(
            other_institution, "SPA-PUB", name="Pabalsta pieteikums", category="Pabalsti"
        ),
        "SPA-INT": make_service(
            other_institution, "SPA-INT", name="SPA iekšējais", is_public=False
        ),
        "VRA-APP": make_resource(
            institution, "VRA-APP", type="application", name="Deklarēšanas lietotne"
        ),
        "VRA-HOST": make_resource(institution, "VRA-HOST", name="Lietotņu serveris"),
        "SPA-NET": make_resource(other_institution, "SPA-NET", type="network", name="SPA tīkls"),
    }
    depend(objects["VRA-PUB"], objects["VRA-APP"])
    depend(objects["VRA-APP"], objects["VRA-HOST"])
    depend(objects["VRA-HOST"], objects["SPA-NET"])
    depend(objects["SPA-PUB"], objects["SPA-NET"])
    ops.set_service_level(
        actor=superuser,
        service=objects["VRA-PUB"],
        data=ops.ServiceLevelData(
            support_start=time(8, 30),
            support_end=time(17, 0),
            availability_target=Decimal("99.5"),
            targets={"P1": ops.TargetData(30, 240)},
        ),
    )
    owner = make_user("pakalpojums", institution, first_name="Jānis", last_name="Bērziņš")
    ops.set_accountable_owner(actor=superuser, obj=objects["VRA-PUB"], user=owner)
    res_owner = make_user("resurss", institution, first_name="Ilze", last_name="Krūmiņa")
    ops.set_accountable_owner(actor=superuser, obj=objects["VRA-APP"], user=res_owner)
    objects["owner"] = owner
    return objects


@pytest.fixture
def staff(make_user: Make, institution: Institution) -> User:
    return make_user("atbalsts", institution, Role.SUPPORT_SPECIALIST)


@pytest.fixture
def portfolio(make_user: Make, institution: Institution) -> User:
    return make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER)


# --- Lists and visibility ------------------------------------------------------------------------


def test_anonymous_sees_public_active_and_retired_services_only(catalog: dict[str, Any]) -> None:
    client = english_client()
    response = client.get(reverse("catalog:service_list"))
    assert page_ids(response) == {"VRA-PUB", "VRA-OLD", "SPA-PUB"}
    content = response.content.decode()
    assert "Dzīvesvietas deklarēšana" in content
    assert "Iekšējā pārskaitīšana" not in content
    assert "Nākotnes e-pakalpojums" not in content
    assert client.get(catalog["VRA-PUB"].get_absolute_url()).status_code == 200
    assert client.get(catalog["VRA-OLD"].get_absolute_url()).status_code == 200
    for hidden in ("VRA-INT", "VRA-PLAN", "SPA-INT"):
        assert client.get(catalog[hidden].get_absolute_url()).status_code == 404


def test_anonymous_cannot_open_resources(catalog: dict[str, Any]) -> None:
    client = english_client()
    login = reverse("accounts:login")
    for url in (
        reverse("catalog:resource_list"),
        catalog["VRA-APP"].get_absolute_url(),
        reverse("catalog:import"),
        reverse("catalog:service_create"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login)


def test_anonymous_service_page_shows_no_owners_or_dependencies(catalog: dict[str, Any]) -> None:
    content = english_client().get(catalog["VRA-PUB"].get_absolute_url()).content.decode()
    assert "Dzīvesvietas deklarēšana" in content
    assert "Bērziņš" not in content
    assert "Deklarēšanas lietotne" not in content


def test_staff_see_their_institutions_internal_services(
    catalog: dict[str, Any], staff: User
) -> None:
    response = english_client(staff).get(reverse("catalog:service_list"))
    assert page_ids(response) == {"VRA-PUB", "VRA-OLD", "VRA-INT", "VRA-PLAN", "SPA-PUB"}
    resources = english_client(staff).get(reverse("catalog:resource_list"))
    assert page_ids(resources) == {"VRA-APP", "VRA-HOST"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"institution": "spa"}, {"SPA-PUB"}),
        ({"institution": "vra"}, {"VRA-PUB", "VRA-OLD", "VRA-INT", "VRA-PLAN"}),
        ({"category": "Reģistri"}, {"VRA-PUB", "VRA-OLD"}),
        ({"status": "retired"}, {"VRA-OLD"}),
        ({"status": "planned"}, {"VRA-PLAN"}),
        ({"owner": "pakalpojums"}, {"VRA-PUB"}),
        ({"owner": "nav-tada"}, set()),
        ({"q": "pārskaitīšana"}, {"VRA-INT"}),
        ({"q": "spa-"}, {"SPA-PUB"}),
        ({"institution": "vra", "category": "Reģistri", "status": "active"}, {"VRA-PUB"}),
    ],
)
def test_service_list_filters(
    catalog: dict[str, Any], staff: User, query: dict[str, str], expected: set[str]
) -> None:
    response = english_client(staff).get(reverse("catalog:service_list"), query)
    assert page_ids(response) == expected


def test_filter_options_list_only_visible_values(catalog: dict[str, Any]) -> None:
    response = english_client().get(reverse("catalog:service_list"))
    assert {i.code for i in response.context["institutions"]} == {"vra", "spa"}
    assert list(response.context["categories"]) == ["Pabalsti", "Reģistri"]


def test_resource_list_filters(catalog: dict[str, Any], superuser: User) -> None:
    client = english_client(superuser)
    url = reverse("catalog:resource_list")
    assert page_ids(client.get(url)) == {"VRA-APP", "VRA-HOST", "SPA-NET"}
    assert page_ids(client.get(url, {"institution": "spa"})) == {"SPA-NET"}
    assert page_ids(client.get(url, {"type": "application"})) == {"VRA-APP"}
    assert page_ids(client.get(url, {"owner": "resurss"})) == {"VRA-APP"}
    assert page_ids(client.get(url, {"q": "serveris"})) == {"VRA-HOST"}


def test_service_list_paginates(
    superuser: User, institution: Institution, make_service: Make
) -> None:
    for i in range(62):
        make_service(institution, f"SRV-{i:03d}", name=f"Pakalpojums {i:03d}")
    client = english_client()
    first = client.get(reverse("catalog:service_list"))
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 62
    second = client.get(reverse("catalog:service_list"), {"page": 2})
    assert len(second.context["page"].object_list) == 12
    assert page_ids(first).isdisjoint(page_ids(second))
    beyond = client.get(reverse("catalog:service_list"), {"page": 99})
    assert page_ids(beyond) == page_ids(second)
    assert client.get(reverse("catalog:service_list"), {"page": "x"}).status_code == 200


def test_partner_scoped_to_one_resource_sees_only_it(
    superuser: User, catalog: dict[str, Any], make_user: Make, institution: Institution
) -> None:
    partner = make_user("partneris", institution, kind="partner")
    account_ops.assign_role(
        actor=superuser,
        user=partner,
        institution=institution,
        role=Role.PARTNER,
        scope=catalog["VRA-APP"],
    )
    client = english_client(User.objects.get(pk=partner.pk))
    assert page_ids(client.get(reverse("catalog:resource_list"))) == {"VRA-APP"}
    assert client.get(catalog["VRA-APP"].get_absolute_url()).status_code == 200
    assert client.get(catalog["VRA-HOST"].get_absolute_url()).status_code == 404
    assert client.get(catalog["SPA-NET"].get_absolute_url()).status_code == 404
    # Services: only the public ones; a partner is not staff.
    assert page_ids(client.get(reverse("catalog:service_list"))) == {
        "VRA-PUB",
        "VRA-OLD",
        "SPA-PUB",
    }
    assert client.get(catalog["VRA-INT"].get_absolute_url()).status_code == 404
    # And no rights to change it.
    assert (
        client.get(reverse("catalog:resource_edit", args=[catalog["VRA-APP"].pk])).status_code
        == 403
    )


# --- Detail pages --------------------------------------------------------------------------------


def test_service_detail_for_staff(catalog: dict[str, Any], staff: User) -> None:
    service = catalog["VRA-PUB"]
    response = english_client(staff).get(service.get_absolute_url())
    assert response.status_code == 200
    ctx = response.context
    assert ctx["level"].availability_target == Decimal("99.5")
    assert sorted(ctx["targets"]) == ["P1"]
    assert [d.resource.identifier for d in ctx["direct"]] == ["VRA-APP"]
    # SPA's network is behind the server, but VRA staff may not see SPA's resources.
    assert ids(ctx["indirect"]) == {"VRA-HOST"}
    assert [(a.user.username, a.role, a.responsibility) for a in ctx["assignments"]] == [
        ("pakalpojums", Role.SERVICE_OWNER, "A")
    ]
    assert ctx["missing_owner"] is False
    assert ctx["can_change"] is False
    assert {e.verb for e in ctx["history"]} >= {"service.created", "service.level_set"}
    content = response.content.decode()
    for text in ("Bērziņš", "Deklarēšanas lietotne", "Lietotņu serveris"):
        assert text in content
    assert "SPA tīkls" not in content


def test_service_detail_for_the_superuser_shows_every_indirect_dependency(
    catalog: dict[str, Any], superuser: User
) -> None:
    response = english_client(superuser).get(catalog["VRA-PUB"].get_absolute_url())
    assert ids(response.context["indirect"]) == {"VRA-HOST", "SPA-NET"}
    assert response.context["can_change"] is True
    assert response.context["dependency_form"] is not None


def test_service_without_owner_is_flagged(catalog: dict[str, Any], staff: User) -> None:
    response = english_client(staff).get(catalog["VRA-INT"].get_absolute_url())
    assert response.context["missing_owner"] is True
    assert response.context["level"] is None


def test_resource_detail_for_staff(catalog: dict[str, Any], staff: User) -> None:
    response = english_client(staff).get(catalog["VRA-HOST"].get_absolute_url())
    assert response.status_code == 200
    ctx = response.context
    assert ids(ctx["affected"]) == {"VRA-PUB"}
    assert [d.resource.identifier for d in ctx["dependents"]] == ["VRA-APP"]
    # Its dependency on SPA's network exists but is not shown to VRA staff.
    assert list(ctx["depends_on"]) == []
    assert list(ctx["direct_services"]) == []
    assert ctx["missing_owner"] is True
    assert [e.verb for e in ctx["history"]][-1] == "resource.created"
    content = response.content.decode()
    assert "Dzīvesvietas deklarēšana" in content
    assert "Deklarēšanas lietotne" in content

    app = english_client(staff).get(catalog["VRA-APP"].get_absolute_url())
    assert [a.user.username for a in app.context["assignments"]] == ["resurss"]
    assert ids(app.context["direct_services"]) == {"VRA-PUB"}
    assert "Krūmiņa" in app.content.decode()


def test_resource_detail_affected_services_across_institutions(
    catalog: dict[str, Any], superuser: User, make_user: Make, other_institution: Institution
) -> None:
    spa_staff = make_user("spa-staff", other_institution, Role.SUPPORT_SPECIALIST)
    response = english_client(spa_staff).get(catalog["SPA-NET"].get_absolute_url())
    # VRA's public service rides on SPA's network; VRA's internal services would not be listed.
    assert ids(response.context["affected"]) == {"SPA-PUB", "VRA-PUB"}
    # VRA's server depends on the network, but SPA staff may not see VRA's resources.
    assert list(response.context["dependents"]) == []


# --- Edit forms ----------------------------------------------------------------------------------


def test_edit_pages_refuse_users_without_rights(catalog: dict[str, Any], staff: User) -> None:
    client = english_client(staff)
    service, resource = catalog["VRA-PUB"], catalog["VRA-APP"]
    before = db_counts()
    for name, pk in (
        ("service_edit", service.pk),
        ("service_level_edit", service.pk),
        ("resource_edit", resource.pk),
    ):
        url = reverse(f"catalog:{name}", args=[pk])
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "Uzlauzts", "identifier": "X"}).status_code == 403, url
    for name in ("service_create", "resource_create", "import"):
        assert client.get(reverse(f"catalog:{name}")).status_code == 403, name
    response = client.post(
        reverse("catalog:service_dependency_add", args=[service.pk]),
        {"resource": catalog["VRA-HOST"].pk},
    )
    assert response.status_code == 403
    assert db_counts() == before
    assert Service.objects.get(pk=service.pk).name == "Dzīvesvietas deklarēšana"


def service_form(service: Service, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "identifier": service.identifier,
        "name": service.name,
        "name_en": service.name_en,
        "description": service.description,
        "description_en": service.description_en,
        "category": service.category,
        "recipients": service.recipients,
        "channels": service.channels,
        "status": service.status,
        "is_public": "on" if service.is_public else "",
        "fee": service.fee,
        "legal_basis": service.legal_basis,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", None)}


def test_service_edit_saves_through_the_operation(catalog: dict[str, Any], portfolio: User) -> None:
    service = catalog["VRA-PUB"]
    url = reverse("catalog:service_edit", args=[service.pk])
    response = english_client(portfolio).post(
        url, service_form(service, name="Jauns nosaukums", channels=["phone", "email"])
    )
    assert response.status_code == 302
    assert response["Location"] == service.get_absolute_url()
    service.refresh_from_db()
    assert (service.name, service.channels) == ("Jauns nosaukums", ["phone", "email"])
    assert service.is_public
    [event] = AuditEvent.objects.for_object(service).filter(verb="service.updated")
    assert event.actor == portfolio


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"identifier": "ar atstarpi"}, "identifier"),
        ({"name": ""}, "name"),
        ({"recipients": ["aliens"]}, "recipients"),
        ({"status": "deleted"}, "status"),
        ({"identifier": "VRA-OLD"}, None),  # taken by another service of the institution
    ],
    ids=["identifier", "name", "recipients", "status", "duplicate"],
)
def test_service_edit_validation_rerenders_and_saves_nothing(
    catalog: dict[str, Any], portfolio: User, changes: dict[str, Any], field: str | None
) -> None:
    service = catalog["VRA-PUB"]
    before = db_counts()
    response = english_client(portfolio).post(
        reverse("catalog:service_edit", args=[service.pk]), service_form(service, **changes)
    )
    assert response.status_code == 200
    form = response.context["forms"][0]
    assert form.errors
    if field:
        assert field in form.errors
    assert db_counts() == before
    assert Service.objects.get(pk=service.pk).identifier == "VRA-PUB"


def test_service_create_page(
    catalog: dict[str, Any], portfolio: User, institution: Institution
) -> None:
    client = english_client(portfolio)
    url = reverse("catalog:service_create")
    page = client.get(url)
    assert page.status_code == 200
    choices = page.context["forms"][0].fields["institution"].queryset
    assert [i.code for i in choices] == ["vra"]
    data = {
        "institution": institution.pk,
        "identifier": "VRA-NEW",
        "name": "Jauns",
        "status": "active",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    created = Service.objects.get(identifier="VRA-NEW")
    assert response["Location"] == created.get_absolute_url()
    assert not created.is_public  # an unticked box
    before = db_counts()
    again = client.post(url, data)
    assert again.status_code == 200
    assert again.context["forms"][1].errors
    assert db_counts() == before


def test_service_create_refuses_another_institution(
    catalog: dict[str, Any], portfolio: User, other_institution: Institution
) -> None:
    before = db_counts()
    response = english_client(portfolio).post(
        reverse("catalog:service_create"),
        {"institution": other_institution.pk, "identifier": "X", "name": "X", "status": "active"},
    )
    assert response.status_code == 200
    assert "institution" in response.context["forms"][0].errors
    assert db_counts() == before


def test_service_level_form(catalog: dict[str, Any], portfolio: User) -> None:
    service = catalog["VRA-INT"]
    url = reverse("catalog:service_level_edit", args=[service.pk])
    client = english_client(portfolio)
    assert client.get(url).status_code == 200
    base = {
        "support_start": "08:30",
        "support_end": "17:00",
        "support_days": "12345",
        "availability_target": "99.5",
    }
    before = db_counts()
    bad = client.post(url, {**base, "P1_response": "60", "P1_resolution": "30"})
    assert bad.status_code == 200
    assert bad.context["forms"][0].errors
    half = client.post(url, {**base, "P2_response": "60"})
    assert "P2_resolution" in half.context["forms"][0].errors
    backwards = client.post(url, {**base, "support_start": "18:00"})
    assert backwards.context["forms"][0].errors
    assert db_counts() == before
    ok = client.post(url, {**base, "P1_response": "30", "P1_resolution": "240"})
    assert ok.status_code == 302
    level = ServiceLevel.objects.get(service=service)
    assert level.targets_by_priority()["P1"].resolution_minutes == 240


def test_resource_edit_validation(
    catalog: dict[str, Any], make_user: Make, institution: Institution
) -> None:
    user = make_user("resursi", institution, Role.RESOURCE_PORTFOLIO_OWNER)
    resource = catalog["VRA-HOST"]
    url = reverse("catalog:resource_edit", args=[resource.pk])
    client = english_client(user)
    data = {
        "identifier": "VRA-HOST",
        "name": "Serveris 2",
        "type": "server",
        "criticality": "extreme",
        "status": "active",
    }
    before = db_counts()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "criticality" in response.context["forms"][0].errors
    assert db_counts() == before
    response = client.post(url, {**data, "criticality": "high"})
    assert response.status_code == 302
    resource.refresh_from_db()
    assert (resource.name, resource.criticality) == ("Serveris 2", "high")


def test_dependency_cycle_on_the_page_names_it(catalog: dict[str, Any], superuser: User) -> None:
    before = db_counts()
    response = english_client(superuser).post(
        reverse("catalog:resource_dependency_add", args=[catalog["SPA-NET"].pk]),
        {"resource": catalog["VRA-APP"].pk},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "This dependency would create a cycle: SPA tīkls → Deklarēšanas lietotne" in content
    assert db_counts() == before


def test_dependency_add_and_remove_on_the_page(catalog: dict[str, Any], portfolio: User) -> None:
    client = english_client(portfolio)
    service = catalog["VRA-INT"]
    response = client.post(
        reverse("catalog:service_dependency_add", args=[service.pk]),
        {"resource": catalog["VRA-HOST"].pk},
    )
    assert response.status_code == 302
    edge = service.dependencies.get()
    response = client.post(reverse("catalog:service_dependency_remove", args=[edge.pk]))
    assert response.status_code == 302
    assert not service.dependencies.exists()
    # A resource the user cannot see is not a valid choice.
    response = client.post(
        reverse("catalog:service_dependency_add", args=[service.pk]),
        {"resource": catalog["SPA-NET"].pk},
    )
    assert response.status_code == 400
    assert not service.dependencies.exists()


# --- Query counts --------------------------------------------------------------------------------


def test_service_list_query_count_does_not_grow_with_rows(
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    make_service: Make,
    staff: User,
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(30):
        make_service(
            institution if i % 2 else other_institution,
            f"SRV-{i:02d}",
            category=f"Kategorija {i % 5}",
            is_public=i % 3 != 0,
        )
    client = english_client(staff)
    client.get(reverse("catalog:service_list"))  # warm the session and content types
    with django_assert_max_num_queries(12):
        response = client.get(reverse("catalog:service_list"))
    assert len(response.context["page"].object_list) == 30 - 5  # SPA's internal ones are hidden


def test_resource_detail_query_count(
    catalog: dict[str, Any],
    superuser: User,
    make_service: Make,
    make_resource: Make,
    depend: Make,
    institution: Institution,
    django_assert_max_num_queries: Any,
) -> None:
    host = catalog["VRA-HOST"]
    for i in range(15):
        service = make_service(institution, f"EXTRA-{i:02d}")
        app = make_resource(institution, f"EXTRA-APP-{i:02d}", type="application")
        depend(app, host)
        depend(service, app)
    client = english_client(superuser)
    client.get(host.get_absolute_url())
    with django_assert_max_num_queries(15):
        response = client.get(host.get_absolute_url())
    assert len(response.context["affected"]) == 16


# --- Import on the web ---------------------------------------------------------------------------


def upload(name: str, text: str, bom: bool = True) -> SimpleUploadedFile:
    data = ("\ufeff" if bom else "") + text
    return SimpleUploadedFile(name, data.encode("utf-8"), content_type="text/csv")


SERVICES_CSV = (
    "institution;identifier;name;recipients;channels;status;public\r\n"
    "vra;WEB-1;Tīmekļa pakalpojums;residents;e_service;active;jā\r\n"
    "vra;WEB-2;Otrs;businesses;phone;planned;nē\r\n"
)
RESOURCES_CSV = (
    "institution;identifier;name;type;criticality\r\nvra;WEB-APP;Lietotne;application;high\r\n"
)
DEPENDENCIES_CSV = (
    "from_type;from_institution;from_identifier;to_institution;to_identifier\r\n"
    "service;vra;WEB-1;vra;WEB-APP\r\n"
    "resource;vra;WEB-APP;vra;VRA-HOST\r\n"
)


@pytest.fixture
def import_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path / "imports"


def files() -> list[SimpleUploadedFile]:
    return [
        upload("services.csv", SERVICES_CSV),
        upload("resources.csv", RESOURCES_CSV),
        upload("dependencies.csv", DEPENDENCIES_CSV),
    ]


def test_web_import_dry_run_then_confirm(
    catalog: dict[str, Any],
    superuser: User,
    make_user: Make,
    institution: Institution,
    import_dir: Path,
) -> None:
    user = make_user("admins", institution, Role.ADMINISTRATOR)
    client = english_client(user)
    url = reverse("catalog:import")
    assert client.get(url).status_code == 200
    before = db_counts()
    response = client.post(url, {"upload": files()})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.ok
    assert report.dry_run
    assert report.counts["services"]["created"] == 2
    assert report.counts["dependencies"]["created"] == 2
    token = response.context["token"]
    assert token
    assert 'name="token"' in response.content.decode()
    assert db_counts() == before
    assert len(list((import_dir / token).iterdir())) == 3

    response = client.post(url, {"confirm": "1", "token": token})
    assert response.status_code == 200
    assert response.context["done"] is True
    assert response.context["report"].applied
    assert ids(Service.objects.filter(identifier__startswith="WEB-")) == {"WEB-1", "WEB-2"}
    web2 = Service.objects.get(identifier="WEB-2")
    assert (web2.status, web2.is_public, web2.channels) == ("planned", False, ["phone"])
    assert ResourceDependency.objects.filter(
        resource__identifier="WEB-APP", depends_on=catalog["VRA-HOST"]
    ).exists()
    assert not (import_dir / token).exists()

    # The token is spent: confirming again imports nothing more.
    after = db_counts()
    again = client.post(url, {"confirm": "1", "token": token})
    assert again.status_code == 200
    assert again.context["report"] is None
    assert db_counts() == after


def test_web_import_with_errors_is_400_and_writes_nothing(
    catalog: dict[str, Any], superuser: User, import_dir: Path
) -> None:
    client = english_client(superuser)
    bad = SERVICES_CSV + "vra;WEB-3;Trešais;tourists;e_service;active;jā\r\n"
    before = db_counts()
    response = client.post(
        reverse("catalog:import"),
        {"upload": [upload("services.csv", bad), upload("resources.csv", RESOURCES_CSV)]},
    )
    assert response.status_code == 400
    assert response.context["token"] == ""
    [error] = response.context["report"].errors
    assert (error.line, error.column) == (4, "recipients")
    content = response.content.decode()
    assert "tourists" in content
    assert 'name="confirm"' not in content
    assert db_counts() == before
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_web_import_of_a_non_utf8_file_is_400(
    catalog: dict[str, Any], superuser: User, import_dir: Path
) -> None:
    data = "institution;identifier;name\r\nvra;X;Dzīvesvieta\r\n".encode("cp1257")
    response = english_client(superuser).post(
        reverse("catalog:import"),
        {"upload": SimpleUploadedFile("services.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 400
    assert "is not in UTF-8" in response.context["format_error"]
    assert "is not in UTF-8" in response.content.decode()
    assert not Service.objects.filter(identifier="X").exists()


def test_web_import_without_files_asks_for_files(
    catalog: dict[str, Any], superuser: User, import_dir: Path
) -> None:
    """A browser submitting the form with no file chosen sends no file part at all. The
    ``upload`` field is required; ``MultipleFileField.clean`` turns the empty list into a
    valid empty upload instead, and the page offers to “import” nothing."""
    response = english_client(superuser).post(reverse("catalog:import"), {"upload": ""})
    assert "upload" in response.context["form"].errors
    assert not response.context["token"]
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_web_import_confirm_with_a_forged_token_imports_nothing(
    catalog: dict[str, Any],
    superuser: User,
    make_user: Make,
    institution: Institution,
    import_dir: Path,
) -> None:
    owner_client = english_client(superuser)
    url = reverse("catalog:import")
    token = owner_client.post(url, {"upload": files()}).context["token"]
    other = english_client(make_user("admins", institution, Role.ADMINISTRATOR))
    before = db_counts()

    # Another user replays the token from their own session: it is not theirs.
    response = other.post(url, {"confirm": "1", "token": token})
    assert response.status_code == 200
    assert response.context["report"] is None
    # A made-up token, and a path-like one, in the uploader's own session.
    for forged in ("0" * 32, "../" + token, ""):
        response = owner_client.post(url, {"confirm": "1", "token": forged})
        assert response.context["report"] is None
    assert db_counts() == before
    # The genuine confirmation still works afterwards.
    assert owner_client.post(url, {"confirm": "1", "token": token}).context["report"].applied


def test_web_import_confirm_after_the_files_expired(
    catalog: dict[str, Any], superuser: User, import_dir: Path
) -> None:
    client = english_client(superuser)
    url = reverse("catalog:import")
    token = client.post(url, {"upload": files()}).context["token"]
    shutil.rmtree(import_dir / token)  # cleaned away, as an old upload would be
    before = db_counts()
    response = client.post(url, {"confirm": "1", "token": token})
    assert response.context["report"] is None
    assert db_counts() == before


# --- Export --------------------------------------------------------------------------------------


def export(client: Client, **params: str) -> Any:
    return client.get(reverse("catalog:export"), params)


def parse_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def test_csv_export_for_staff(catalog: dict[str, Any], staff: User) -> None:
    client = english_client(staff)
    services = parse_csv(export(client, kind="services", format="csv"))
    assert {r["identifier"] for r in services} == {
        "VRA-PUB",
        "VRA-OLD",
        "VRA-INT",
        "VRA-PLAN",
        "SPA-PUB",
    }
    pub = next(r for r in services if r["identifier"] == "VRA-PUB")
    assert (pub["public"], pub["availability_target"], pub["p1_resolution"]) == (
        "yes",
        "99.5",
        "240",
    )
    resources = parse_csv(export(client, kind="resources", format="csv"))
    assert {r["identifier"] for r in resources} == {"VRA-APP", "VRA-HOST"}
    deps = parse_csv(export(client, kind="dependencies", format="csv"))
    # The edge into SPA's network is not exported: its target is not visible.
    assert {(d["from_identifier"], d["to_identifier"]) for d in deps} == {
        ("VRA-PUB", "VRA-APP"),
        ("VRA-APP", "VRA-HOST"),
    }
    only_spa = parse_csv(export(client, kind="services", format="csv", institution="spa"))
    assert {r["identifier"] for r in only_spa} == {"SPA-PUB"}


def test_json_export_for_staff(catalog: dict[str, Any], staff: User) -> None:
    response = export(english_client(staff), format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = json.loads(response.content)
    assert document["format"] == "zina-catalog"
    assert "SPA-INT" not in {s["identifier"] for s in document["services"]}
    assert {r["identifier"] for r in document["resources"]} == {"VRA-APP", "VRA-HOST"}


def test_anonymous_export_has_only_public_services_and_no_resources(
    catalog: dict[str, Any],
) -> None:
    client = english_client()
    services = parse_csv(export(client, kind="services", format="csv"))
    assert {r["identifier"] for r in services} == {"VRA-PUB", "VRA-OLD", "SPA-PUB"}
    assert parse_csv(export(client, kind="resources", format="csv")) == []
    assert parse_csv(export(client, kind="dependencies", format="csv")) == []
    document = json.loads(export(client, format="json").content)
    assert {s["identifier"] for s in document["services"]} == {"VRA-PUB", "VRA-OLD", "SPA-PUB"}
    assert document["resources"] == []
    assert document["dependencies"] == []
    text = export(client, format="json").content.decode()
    for hidden in ("Iekšējā pārskaitīšana", "Nākotnes e-pakalpojums", "SPA iekšējais", "Lietotne"):
        assert hidden not in text


def test_export_does_not_reveal_owners_to_those_who_may_not_see_them(
    catalog: dict[str, Any],
) -> None:
    """Who holds which role is visible to the institution's staff only (the service page hides
    it from anonymous visitors); the export must not publish the owners' usernames."""
    document = json.loads(export(english_client(), format="json").content)
    pub = next(s for s in document["services"] if s["identifier"] == "VRA-PUB")
    assert pub["owner"] == ""
    assert "pakalpojums" not in json.dumps(document)


def test_export_does_not_reveal_related_services_the_viewer_cannot_see(
    catalog: dict[str, Any], superuser: User
) -> None:
    """A public service related to an internal one: the service page lists only visible
    related services, the export must not name the internal one either."""
    ops.set_related_services(
        actor=superuser,
        service=catalog["VRA-PUB"],
        related=[catalog["VRA-INT"], catalog["VRA-OLD"]],
    )
    page = english_client().get(catalog["VRA-PUB"].get_absolute_url())
    assert ids(page.context["related"]) == {"VRA-OLD"}
    document = json.loads(export(english_client(), format="json").content)
    pub = next(s for s in document["services"] if s["identifier"] == "VRA-PUB")
    assert pub["related"] == ["VRA-OLD"]


def test_export_with_bad_parameters_is_400(catalog: dict[str, Any]) -> None:
    client = english_client()
    assert export(client, kind="users", format="csv").status_code == 400
    assert export(client, kind="services", format="xlsx").status_code == 400
