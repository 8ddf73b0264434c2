"""Catalog operations: validation, permissions, service levels, dependencies, owners, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zina.accounts import operations as account_ops
from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, RoleAssignment, User
from zina.catalog import operations as ops
from zina.catalog.models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
)
from zina.catalog.tests.conftest import db_counts
from zina.conftest import refresh
from zina.core.models import AuditEvent


def service_data(identifier: str = "SRV-1", **fields: Any) -> ops.ServiceData:
    fields.setdefault("name", f"Pakalpojums {identifier}")
    return ops.ServiceData(identifier=identifier, **fields)


def resource_data(identifier: str = "RES-1", **fields: Any) -> ops.ResourceData:
    fields.setdefault("name", f"Resurss {identifier}")
    fields.setdefault("type", "server")
    return ops.ResourceData(identifier=identifier, **fields)


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def events(obj: Any, verb: str | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.for_object(obj).order_by("id")
    return list(qs.filter(verb=verb) if verb else qs)


# --- Creating and changing services and resources ---------------------------------------------


def test_create_service_stores_fields_and_audits(superuser: User, institution: Institution) -> None:
    service = ops.create_service(
        actor=superuser,
        institution=institution,
        data=service_data(
            "URN:IVIS:100001:EP.SRV-0101",
            name="Dzīvesvietas deklarēšana",
            recipients=["residents", "businesses"],
            channels=["e_service", "phone"],
            status="planned",
            is_public=False,
            category="Reģistri",
        ),
    )
    service = Service.objects.get(pk=service.pk)
    assert service.institution == institution
    assert service.identifier == "URN:IVIS:100001:EP.SRV-0101"
    assert service.recipients == ["residents", "businesses"]
    assert service.channels == ["e_service", "phone"]
    assert (service.status, service.is_public) == ("planned", False)
    [event] = events(service)
    assert event.verb == "service.created"
    assert event.actor == superuser
    assert event.institution == institution
    assert event.before is None
    assert event.after["name"] == "Dzīvesvietas deklarēšana"
    assert event.after["recipients"] == ["residents", "businesses"]


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"identifier": "has space"}, "identifier", "(no spaces)"),
        ({"identifier": ""}, "identifier", "cannot be blank"),
        ({"identifier": "x" * 101}, "identifier", "at most 100"),
        ({"name": ""}, "name", "cannot be blank"),
        ({"recipients": ["aliens"]}, "recipients", "Unknown recipients: aliens"),
        ({"recipients": ["residents", "tourists"]}, "recipients", "tourists"),
        ({"channels": ["fax"]}, "channels", "Unknown channels: fax"),
        ({"status": "deleted"}, "status", "not a valid choice"),
    ],
    ids=[
        "identifier-space",
        "identifier-blank",
        "identifier-long",
        "name-blank",
        "recipient",
        "one-bad-recipient",
        "channel",
        "status",
    ],
)
def test_create_service_refuses_invalid_fields(
    superuser: User, institution: Institution, fields: dict[str, Any], field: str, fragment: str
) -> None:
    before = db_counts()
    data = service_data(**{"identifier": "SRV-1", **fields})
    with pytest.raises(ValidationError) as exc:
        ops.create_service(actor=superuser, institution=institution, data=data)
    messages = errors_of(exc)
    assert field in messages, messages
    assert any(fragment in m for m in messages[field]), messages
    assert db_counts() == before


def test_unknown_channel_message_lists_allowed_codes(
    superuser: User, institution: Institution
) -> None:
    with pytest.raises(ValidationError) as exc:
        ops.create_service(
            actor=superuser, institution=institution, data=service_data(channels=["fax"])
        )
    [message] = errors_of(exc)["channels"]
    for code in ("e_service", "visitor_desk", "phone", "email", "post", "video"):
        assert code in message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"identifier": "a b"}, "identifier"),
        ({"type": "mainframe"}, "type"),
        ({"criticality": "extreme"}, "criticality"),
        ({"name": ""}, "name"),
        ({"status": "gone"}, "status"),
    ],
)
def test_create_resource_refuses_invalid_fields(
    superuser: User, institution: Institution, fields: dict[str, Any], field: str
) -> None:
    before = db_counts()
    with pytest.raises(ValidationError) as exc:
        ops.create_resource(actor=superuser, institution=institution, data=resource_data(**fields))
    assert field in errors_of(exc)
    assert db_counts() == before


def test_duplicate_service_identifier_refused_in_institution_allowed_in_another(
    superuser: User, institution: Institution, other_institution: Institution
) -> None:
    ops.create_service(actor=superuser, institution=institution, data=service_data("SRV-1"))
    before = db_counts()
    with pytest.raises(ValidationError):
        ops.create_service(actor=superuser, institution=institution, data=service_data("SRV-1"))
    assert db_counts() == before
    other = ops.create_service(
        actor=superuser, institution=other_institution, data=service_data("SRV-1")
    )
    assert other.institution == other_institution
    assert Service.objects.filter(identifier="SRV-1").count() == 2
    # A resource may share an identifier with a service: they are different registers.
    ops.create_resource(actor=superuser, institution=institution, data=resource_data("SRV-1"))


def test_duplicate_resource_identifier_refused_in_institution_allowed_in_another(
    superuser: User, institution: Institution, other_institution: Institution
) -> None:
    ops.create_resource(actor=superuser, institution=institution, data=resource_data("R-1"))
    with pytest.raises(ValidationError):
        ops.create_resource(actor=superuser, institution=institution, data=resource_data("R-1"))
    ops.create_resource(actor=superuser, institution=other_institution, data=resource_data("R-1"))
    assert Resource.objects.filter(identifier="R-1").count() == 2


@pytest.mark.parametrize("kind", ["service", "resource"])
def test_duplicate_identifier_error_names_the_identifier_field(
    superuser: User, institution: Institution, kind: str
) -> None:
    """The operations mean to attach “The institution already has an entry with this
    identifier.” to the identifier field (``_check_unique``), so that the form shows it next to
    the field and the API's ``errors`` name the field."""
    create, data = (
        (ops.create_service, service_data)
        if kind == "service"
        else (ops.create_resource, resource_data)
    )
    create(actor=superuser, institution=institution, data=data("DUP-1"))
    with pytest.raises(ValidationError) as exc:
        create(actor=superuser, institution=institution, data=data("DUP-1"))
    assert errors_of(exc) == {
        "identifier": ["The institution already has an entry with this identifier."]
    }


def test_update_service_records_before_and_after(superuser: User, institution: Institution) -> None:
    service = ops.create_service(
        actor=superuser, institution=institution, data=service_data("SRV-1", name="Vecais")
    )
    ops.update_service(
        actor=superuser,
        service=service,
        data=service_data("SRV-1", name="Jaunais", channels=["email"], is_public=False),
    )
    service.refresh_from_db()
    assert (service.name, service.channels, service.is_public) == ("Jaunais", ["email"], False)
    [event] = events(service, "service.updated")
    assert event.before["name"] == "Vecais"
    assert event.after["name"] == "Jaunais"
    assert event.before["is_public"] is True
    assert event.after["is_public"] is False
    assert event.after["channels"] == ["email"]


def test_update_service_to_a_taken_identifier_is_refused(
    superuser: User, institution: Institution
) -> None:
    ops.create_service(actor=superuser, institution=institution, data=service_data("SRV-1"))
    second = ops.create_service(
        actor=superuser, institution=institution, data=service_data("SRV-2")
    )
    with pytest.raises(ValidationError):
        ops.update_service(actor=superuser, service=second, data=service_data("SRV-1"))
    second.refresh_from_db()
    assert second.identifier == "SRV-2"
    # Keeping its own identifier is not a clash.
    ops.update_service(actor=superuser, service=second, data=service_data("SRV-2", name="Cits"))


def test_update_service_with_invalid_data_changes_nothing(
    superuser: User, institution: Institution
) -> None:
    service = ops.create_service(
        actor=superuser, institution=institution, data=service_data("SRV-1", name="Vārds")
    )
    before = db_counts()
    with pytest.raises(ValidationError):
        ops.update_service(
            actor=superuser, service=service, data=service_data("SRV-1", recipients=["x"])
        )
    assert db_counts() == before
    service.refresh_from_db()
    assert service.recipients == []


def test_update_resource_records_before_and_after(
    superuser: User, institution: Institution
) -> None:
    resource = ops.create_resource(
        actor=superuser, institution=institution, data=resource_data("R-1", criticality="low")
    )
    ops.update_resource(
        actor=superuser,
        resource=resource,
        data=resource_data("R-1", criticality="critical", type="storage"),
    )
    resource.refresh_from_db()
    assert (resource.criticality, resource.type) == ("critical", "storage")
    [event] = events(resource, "resource.updated")
    assert (event.before["criticality"], event.after["criticality"]) == ("low", "critical")
    assert (event.before["type"], event.after["type"]) == ("server", "storage")


# --- Who may create and change --------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SERVICE_PORTFOLIO_OWNER, Role.ADMINISTRATOR])
def test_portfolio_owner_and_administrator_create_services(
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
    role: str,
) -> None:
    user = make_user("lietotajs", institution, role, Responsibility.ACCOUNTABLE)
    service = ops.create_service(actor=user, institution=institution, data=service_data())
    assert service.pk
    ops.update_service(actor=user, service=service, data=service_data(name="Mainīts"))
    # Only in their own institution.
    with pytest.raises(PermissionDenied):
        ops.create_service(actor=user, institution=other_institution, data=service_data())


def test_resource_portfolio_owner_creates_resources_not_services(
    make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user("resursi", institution, Role.RESOURCE_PORTFOLIO_OWNER)
    resource = ops.create_resource(actor=user, institution=institution, data=resource_data())
    assert resource.pk
    before = db_counts()
    with pytest.raises(PermissionDenied):
        ops.create_service(actor=user, institution=institution, data=service_data())
    assert db_counts() == before


def test_service_portfolio_owner_cannot_create_resources(
    make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER)
    with pytest.raises(PermissionDenied):
        ops.create_resource(actor=user, institution=institution, data=resource_data())


@pytest.mark.parametrize(
    "role",
    [Role.SERVICE_PROVIDER, Role.SUPPORT_SPECIALIST, Role.AUDITOR, Role.KNOWLEDGE_MANAGER],
)
def test_other_roles_cannot_create_services(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("citi", institution, role)
    with pytest.raises(PermissionDenied):
        ops.create_service(actor=user, institution=institution, data=service_data())


def test_scoped_service_owner_changes_only_their_own_service(
    superuser: User,
    make_user: Callable[..., User],
    make_service: Callable[..., Service],
    institution: Institution,
) -> None:
    own = make_service(institution, "SRV-OWN")
    other = make_service(institution, "SRV-OTHER")
    owner = make_user("ipasnieks", institution)
    ops.set_accountable_owner(actor=superuser, obj=own, user=owner)
    owner = refresh(owner)

    ops.update_service(actor=owner, service=own, data=service_data("SRV-OWN", name="Mans"))
    ops.set_service_level(actor=owner, service=own, data=ops.ServiceLevelData())
    assert Service.objects.get(pk=own.pk).name == "Mans"

    before = db_counts()
    with pytest.raises(PermissionDenied):
        ops.update_service(actor=owner, service=other, data=service_data("SRV-OTHER", name="X"))
    with pytest.raises(PermissionDenied):
        ops.set_service_level(actor=owner, service=other, data=ops.ServiceLevelData())
    with pytest.raises(PermissionDenied):
        ops.create_service(actor=owner, institution=institution, data=service_data("NEW"))
    assert db_counts() == before
    assert Service.objects.get(pk=other.pk).name == "SRV-OTHER"


def test_scoped_resource_owner_changes_only_their_own_resource(
    superuser: User,
    make_user: Callable[..., User],
    make_resource: Callable[..., Resource],
    institution: Institution,
) -> None:
    own = make_resource(institution, "R-OWN")
    other = make_resource(institution, "R-OTHER")
    owner = make_user("resurss", institution)
    ops.set_accountable_owner(actor=superuser, obj=own, user=owner)
    owner = refresh(owner)
    ops.update_resource(actor=owner, resource=own, data=resource_data("R-OWN", name="Mans"))
    ops.add_resource_dependency(actor=owner, resource=own, depends_on=other)
    with pytest.raises(PermissionDenied):
        ops.update_resource(actor=owner, resource=other, data=resource_data("R-OTHER"))
    with pytest.raises(PermissionDenied):
        ops.add_resource_dependency(actor=owner, resource=other, depends_on=own)


def test_staff_without_a_catalog_role_changes_nothing(
    make_user: Callable[..., User],
    make_service: Callable[..., Service],
    make_resource: Callable[..., Resource],
    institution: Institution,
) -> None:
    service = make_service(institution, "SRV-1")
    resource = make_resource(institution, "R-1")
    user = make_user("darbinieks", institution, Role.SUPPORT_SPECIALIST)
    before = db_counts()
    with pytest.raises(PermissionDenied):
        ops.update_service(actor=user, service=service, data=service_data("SRV-1"))
    with pytest.raises(PermissionDenied):
        ops.update_resource(actor=user, resource=resource, data=resource_data("R-1"))
    with pytest.raises(PermissionDenied):
        ops.add_service_dependency(actor=user, service=service, resource=resource)
    with pytest.raises(PermissionDenied):
        ops.set_related_services(actor=user, service=service, related=[])
    assert db_counts() == before


# --- Service levels -------------------------------------------------------------------------


def test_set_service_level_stores_targets_and_audits(
    superuser: User, make_service: Callable[..., Service], institution: Institution
) -> None:
    service = make_service(institution, "SRV-1")
    level = ops.set_service_level(
        actor=superuser,
        service=service,
        data=ops.ServiceLevelData(
            support_start=time(9, 0),
            support_end=time(16, 0),
            support_days="54321",
            availability_target=Decimal("99.5"),
            targets={
                "P1": ops.TargetData(30, 240),
                "P2": ops.TargetData(60, 480),
            },
        ),
    )
    level = ServiceLevel.objects.get(pk=level.pk)
    assert (level.support_start, level.support_end) == (time(9, 0), time(16, 0))
    assert level.support_days == "12345"
    assert level.availability_target == Decimal("99.5")
    targets = level.targets_by_priority()
    assert sorted(targets) == ["P1", "P2"]
    assert (targets["P1"].response_minutes, targets["P1"].resolution_minutes) == (30, 240)
    [event] = events(service, "service.level_set")
    assert event.before is None
    assert event.after["targets"] == {"P1": [30, 240], "P2": [60, 480]}
    assert Decimal(event.after["availability_target"]) == Decimal("99.5")

    # Redefining replaces the targets and records what was there before.
    ops.set_service_level(
        actor=superuser,
        service=service,
        data=ops.ServiceLevelData(targets={"P3": ops.TargetData(240, 1440)}),
    )
    assert sorted(ServiceLevel.objects.get(service=service).targets_by_priority()) == ["P3"]
    _first, second = events(service, "service.level_set")
    assert second.before["targets"] == {"P1": [30, 240], "P2": [60, 480]}
    assert second.before["support_start"] == "09:00:00"
    assert second.after["targets"] == {"P3": [240, 1440]}
    assert ServiceLevel.objects.filter(service=service).count() == 1


def test_service_level_resolution_before_response_is_refused(
    superuser: User, make_service: Callable[..., Service], institution: Institution
) -> None:
    service = make_service(institution, "SRV-1")
    before = db_counts()
    with pytest.raises(ValidationError) as exc:
        ops.set_service_level(
            actor=superuser,
            service=service,
            data=ops.ServiceLevelData(
                targets={"P1": ops.TargetData(60, 240), "P2": ops.TargetData(120, 60)}
            ),
        )
    assert errors_of(exc) == {
        "P2_resolution_minutes": ["Resolution cannot be due before the response."]
    }
    assert db_counts() == before


@pytest.mark.parametrize(
    ("start", "end"), [(time(17, 0), time(8, 30)), (time(9, 0), time(9, 0))], ids=["after", "equal"]
)
def test_service_level_must_end_after_it_starts(
    superuser: User,
    make_service: Callable[..., Service],
    institution: Institution,
    start: time,
    end: time,
) -> None:
    service = make_service(institution, "SRV-1")
    with pytest.raises(ValidationError) as exc:
        ops.set_service_level(
            actor=superuser,
            service=service,
            data=ops.ServiceLevelData(support_start=start, support_end=end),
        )
    assert errors_of(exc) == {"support_end": ["Support must end after it starts."]}
    assert not ServiceLevel.objects.filter(service=service).exists()
    # Around the clock the hours do not matter.
    level = ops.set_service_level(
        actor=superuser,
        service=service,
        data=ops.ServiceLevelData(around_the_clock=True, support_start=start, support_end=end),
    )
    assert level.around_the_clock


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ops.ServiceLevelData(targets={"P9": ops.TargetData(1, 2)}), "targets"),
        (ops.ServiceLevelData(availability_target=Decimal("100.5")), "availability_target"),
        (ops.ServiceLevelData(availability_target=Decimal("-1")), "availability_target"),
        (ops.ServiceLevelData(support_days="12348"), "support_days"),
    ],
    ids=["priority", "over-100", "negative", "day-8"],
)
def test_service_level_refuses_invalid_values(
    superuser: User,
    make_service: Callable[..., Service],
    institution: Institution,
    data: ops.ServiceLevelData,
    field: str,
) -> None:
    service = make_service(institution, "SRV-1")
    with pytest.raises(ValidationError) as exc:
        ops.set_service_level(actor=superuser, service=service, data=data)
    assert field in errors_of(exc)
    assert not ServiceLevel.objects.filter(service=service).exists()


def test_failed_redefinition_keeps_the_old_service_level(
    superuser: User, make_service: Callable[..., Service], institution: Institution
) -> None:
    service = make_service(institution, "SRV-1")
    ops.set_service_level(
        actor=superuser,
        service=service,
        data=ops.ServiceLevelData(targets={"P1": ops.TargetData(30, 240)}),
    )
    with pytest.raises(ValidationError):
        ops.set_service_level(
            actor=superuser,
            service=service,
            data=ops.ServiceLevelData(targets={"P1": ops.TargetData(300, 10)}),
        )
    level = ServiceLevel.objects.get(service=service)
    assert level.targets_by_priority()["P1"].resolution_minutes == 240


# --- Dependencies ---------------------------------------------------------------------------


def test_service_dependency_add_and_remove_are_audited(
    superuser: User,
    make_service: Callable[..., Service],
    make_resource: Callable[..., Resource],
    institution: Institution,
) -> None:
    service = make_service(institution, "SRV-1")
    resource = make_resource(institution, "R-1", name="Datubāzes serveris")
    edge = ops.add_service_dependency(actor=superuser, service=service, resource=resource)
    assert list(service.resources.all()) == [resource]
    [added] = events(service, "service.dependency_added")
    assert added.after == {"resource": resource.pk, "resource_name": "Datubāzes serveris"}

    with pytest.raises(ValidationError) as exc:
        ops.add_service_dependency(actor=superuser, service=service, resource=resource)
    assert "resource" in errors_of(exc)
    assert ServiceDependency.objects.count() == 1

    ops.remove_service_dependency(actor=superuser, edge=edge)
    assert not ServiceDependency.objects.exists()
    [removed] = events(service, "service.dependency_removed")
    assert removed.before == {"resource": resource.pk, "resource_name": "Datubāzes serveris"}
    assert removed.actor == superuser


def test_resource_dependency_add_and_remove_are_audited(
    superuser: User, make_resource: Callable[..., Resource], institution: Institution
) -> None:
    app = make_resource(institution, "APP", type="application", name="Lietotne")
    server = make_resource(institution, "SRV", name="Serveris")
    edge = ops.add_resource_dependency(actor=superuser, resource=app, depends_on=server)
    assert list(app.depends_on.all()) == [server]
    assert list(server.dependents.all()) == [app]
    [added] = events(app, "resource.dependency_added")
    assert added.after == {"depends_on": server.pk, "depends_on_name": "Serveris"}
    with pytest.raises(ValidationError) as exc:
        ops.add_resource_dependency(actor=superuser, resource=app, depends_on=server)
    assert errors_of(exc) == {"depends_on": ["This dependency already exists."]}
    ops.remove_resource_dependency(actor=superuser, edge=edge)
    assert not ResourceDependency.objects.exists()
    [removed] = events(app, "resource.dependency_removed")
    assert removed.before == {"depends_on": server.pk, "depends_on_name": "Serveris"}


def test_removing_a_dependency_needs_the_right_to_change_the_service(
    superuser: User,
    make_user: Callable[..., User],
    make_service: Callable[..., Service],
    make_resource: Callable[..., Resource],
    institution: Institution,
) -> None:
    service = make_service(institution, "SRV-1")
    edge = ops.add_service_dependency(
        actor=superuser, service=service, resource=make_resource(institution, "R-1")
    )
    user = make_user("resursi", institution, Role.RESOURCE_PORTFOLIO_OWNER)
    with pytest.raises(PermissionDenied):
        ops.remove_service_dependency(actor=user, edge=edge)
    assert ServiceDependency.objects.filter(pk=edge.pk).exists()


def test_related_services_are_symmetric_and_audited(
    superuser: User, make_service: Callable[..., Service], institution: Institution
) -> None:
    a, b, c = (make_service(institution, i) for i in ("A", "B", "C"))
    ops.set_related_services(actor=superuser, service=a, related=[b, c])
    assert set(b.related.all()) == {a}
    [event] = events(a, "service.related_changed")
    assert event.before == {"related": []}
    assert event.after == {"related": sorted([b.pk, c.pk])}
    with pytest.raises(ValidationError):
        ops.set_related_services(actor=superuser, service=a, related=[a])
    assert set(a.related.all()) == {b, c}


# --- Owners ---------------------------------------------------------------------------------


def accountable(obj: Service | Resource) -> list[RoleAssignment]:
    return [
        a
        for a in RoleAssignment.objects.filter(scope_id=obj.pk, responsibility="A")
        if a.scope_object == obj
    ]


def test_set_accountable_owner_replaces_the_previous_owner(
    superuser: User,
    make_user: Callable[..., User],
    make_service: Callable[..., Service],
    institution: Institution,
) -> None:
    service = make_service(institution, "SRV-1")
    first = make_user("pirmais", institution)
    second = make_user("otrais", institution)
    assignment = ops.set_accountable_owner(actor=superuser, obj=service, user=first)
    assert (assignment.role, assignment.responsibility) == (Role.SERVICE_OWNER, "A")
    assert ops.accountable_owner(service).user == first

    ops.set_accountable_owner(actor=superuser, obj=service, user=second)
    assert [a.user for a in accountable(service)] == [second]
    assert ops.accountable_owner(service).user == second
    assert not RoleAssignment.objects.filter(user=first, scope_id=service.pk).exists()
    # The old owner lost the right to change the service.
    with pytest.raises(PermissionDenied):
        ops.update_service(actor=refresh(first), service=service, data=service_data("SRV-1"))

    verbs = [e.verb for e in AuditEvent.objects.filter(verb__startswith="role.").order_by("id")]
    assert verbs[-3:] == ["role.assigned", "role.revoked", "role.assigned"]

    # Setting the same owner again changes nothing.
    before = db_counts()
    ops.set_accountable_owner(actor=superuser, obj=service, user=second)
    assert db_counts() == before


def test_set_accountable_owner_promotes_a_co_responsible_owner(
    superuser: User,
    make_user: Callable[..., User],
    make_service: Callable[..., Service],
    institution: Institution,
) -> None:
    service = make_service(institution, "SRV-1")
    first = make_user("pirmais", institution)
    helper = make_user("palidzs", institution)
    ops.set_accountable_owner(actor=superuser, obj=service, user=first)
    account_ops.assign_role(
        actor=superuser,
        user=helper,
        institution=institution,
        role=Role.SERVICE_OWNER,
        responsibility=Responsibility.CO_RESPONSIBLE,
        scope=service,
    )
    ops.set_accountable_owner(actor=superuser, obj=service, user=helper)
    held = RoleAssignment.objects.filter(scope_id=service.pk, role=Role.SERVICE_OWNER)
    assert [(a.user, a.responsibility) for a in held] == [(helper, "A")]


def test_set_accountable_owner_of_a_resource(
    superuser: User,
    make_user: Callable[..., User],
    make_resource: Callable[..., Resource],
    institution: Institution,
) -> None:
    resource = make_resource(institution, "R-1")
    owner = make_user("resurss", institution)
    assignment = ops.set_accountable_owner(actor=superuser, obj=resource, user=owner)
    assert assignment.role == Role.RESOURCE_OWNER
    assert assignment.scope_object == resource
    assert ops.accountable_owner(resource).user == owner


def test_set_accountable_owner_needs_the_right_to_manage_owners(
    make_user: Callable[..., User],
    make_service: Callable[..., Service],
    institution: Institution,
) -> None:
    service = make_service(institution, "SRV-1")
    outsider = make_user("citi", institution, Role.SUPPORT_SPECIALIST)
    candidate = make_user("kandidats", institution)
    before = db_counts()
    with pytest.raises(PermissionDenied):
        ops.set_accountable_owner(actor=outsider, obj=service, user=candidate)
    assert db_counts() == before
    portfolio = make_user("portfelis", institution, Role.SERVICE_PORTFOLIO_OWNER)
    ops.set_accountable_owner(actor=portfolio, obj=service, user=candidate)
    assert ops.accountable_owner(service).user == candidate
