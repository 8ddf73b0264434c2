"""Every write of the catalog: services, resources, dependencies, service levels, owners.

Each operation checks permission, validates, writes in one transaction and records an audit
event. Errors are ``PermissionDenied`` or ``ValidationError`` with a translated message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zina.accounts import operations as account_ops
from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, RoleAssignment, User
from zina.core.audit import record, snapshot
from zina.core.permissions import require

from . import transfer
from .choices import Priority, Status
from .graph import path_between
from .models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
    ServiceLevelTarget,
)


@dataclass
class ServiceData:
    identifier: str
    name: str
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    category: str = ""
    recipients: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    status: str = Status.ACTIVE
    is_public: bool = True
    fee: str = ""
    legal_basis: str = ""


@dataclass
class ResourceData:
    identifier: str
    name: str
    type: str
    name_en: str = ""
    description: str = ""
    criticality: str = "medium"
    status: str = Status.ACTIVE


@dataclass
class TargetData:
    response_minutes: int
    resolution_minutes: int


@dataclass
class ServiceLevelData:
    around_the_clock: bool = False
    support_start: time = time(8, 30)
    support_end: time = time(17, 0)
    support_days: str = "12345"
    availability_target: Decimal = Decimal("99.000")
    targets: dict[str, TargetData] = field(default_factory=dict)


def _check_unique(model: type[Service] | type[Resource], obj: Service | Resource) -> None:
    clash = model.objects.filter(institution_id=obj.institution_id, identifier=obj.identifier)
    if obj.pk:
        clash = clash.exclude(pk=obj.pk)
    if clash.exists():
        raise ValidationError(
            {"identifier": _("The institution already has an entry with this identifier.")}
        )


def _create_entry[Entry: (Service, Resource)](
    actor: User, institution: Institution, obj: Entry, permission: str
) -> Entry:
    require(actor, permission, institution)
    obj.full_clean(
        validate_unique=False, validate_constraints=False
    )  # _check_unique names the field
    _check_unique(type(obj), obj)
    obj.save()
    record(
        actor=actor,
        verb=f"{obj._meta.model_name}.created",
        obj=obj,
        institution=institution,
        after=snapshot(obj),
    )
    return obj


def _update_entry[Entry: (Service, Resource)](
    actor: User, obj: Entry, data: ServiceData | ResourceData
) -> Entry:
    require(actor, "change", obj)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    before = snapshot(obj)
    for key, value in asdict(data).items():
        setattr(obj, key, value)
    obj.full_clean(
        validate_unique=False, validate_constraints=False
    )  # _check_unique names the field
    _check_unique(type(obj), obj)
    obj.save()
    record(
        actor=actor,
        verb=f"{obj._meta.model_name}.updated",
        obj=obj,
        institution=obj.institution,
        before=before,
        after=snapshot(obj),
    )
    return obj


# --- Services ---------------------------------------------------------------------------------


@transaction.atomic
def create_service(*, actor: User, institution: Institution, data: ServiceData) -> Service:
    """Add a service to an institution's catalog."""
    service = Service(institution=institution, **asdict(data))
    return _create_entry(actor, institution, service, "manage_services")


@transaction.atomic
def update_service(*, actor: User, service: Service, data: ServiceData) -> Service:
    """Change a service's description, status, visibility or other register fields."""
    return _update_entry(actor, service, data)


@transaction.atomic
def set_related_services(*, actor: User, service: Service, related: list[Service]) -> None:
    """Replace the list of services related to ``service`` (the relation is symmetric)."""
    require(actor, "change", service)
    if any(r.pk == service.pk for r in related):
        raise ValidationError({"related": _("A service cannot be related to itself.")})
    before = sorted(service.related.values_list("pk", flat=True))
    service.related.set(related)
    record(
        actor=actor,
        verb="service.related_changed",
        obj=service,
        institution=service.institution,
        before={"related": before},
        after={"related": sorted(r.pk for r in related)},
    )


@transaction.atomic
def set_service_level(*, actor: User, service: Service, data: ServiceLevelData) -> ServiceLevel:
    """Define (or redefine) a service's support hours, availability target and per-priority
    response and resolution targets."""
    require(actor, "change", service)
    unknown = set(data.targets) - set(Priority.values)
    if unknown:
        raise ValidationError({"targets": _("Unknown priority: %s.") % ", ".join(sorted(unknown))})
    level = ServiceLevel.objects.filter(service=service).first() or ServiceLevel(service=service)
    before = _level_snapshot(level) if level.pk else None
    level.around_the_clock = data.around_the_clock
    level.support_start = data.support_start
    level.support_end = data.support_end
    level.support_days = "".join(sorted(set(data.support_days)))
    level.availability_target = data.availability_target
    level.full_clean(exclude=["service"])
    level.save()
    targets = []
    for priority, target in sorted(data.targets.items()):
        t = ServiceLevelTarget(
            service_level=level,
            priority=priority,
            response_minutes=target.response_minutes,
            resolution_minutes=target.resolution_minutes,
        )
        try:
            t.full_clean(exclude=["service_level"], validate_unique=False)
        except ValidationError as exc:
            raise ValidationError(
                {f"{priority}_{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        targets.append(t)
    level.targets.all().delete()
    ServiceLevelTarget.objects.bulk_create(targets)
    record(
        actor=actor,
        verb="service.level_set",
        obj=service,
        institution=service.institution,
        before=before,
        after=_level_snapshot(level),
    )
    return level


def _level_snapshot(level: ServiceLevel) -> dict[str, object]:
    data = snapshot(level, ["around_the_clock", "support_start", "support_end", "support_days"])
    data["availability_target"] = str(level.availability_target)
    data["targets"] = {
        t.priority: [t.response_minutes, t.resolution_minutes] for t in level.targets.all()
    }
    return data


# --- Resources --------------------------------------------------------------------------------


@transaction.atomic
def create_resource(*, actor: User, institution: Institution, data: ResourceData) -> Resource:
    """Add a resource to an institution's catalog."""
    resource = Resource(institution=institution, **asdict(data))
    return _create_entry(actor, institution, resource, "manage_resources")


@transaction.atomic
def update_resource(*, actor: User, resource: Resource, data: ResourceData) -> Resource:
    """Change a resource's register fields."""
    return _update_entry(actor, resource, data)


# --- Dependencies -----------------------------------------------------------------------------


@transaction.atomic
def add_service_dependency(
    *, actor: User, service: Service, resource: Resource
) -> ServiceDependency:
    """Record that ``service`` relies on ``resource``."""
    require(actor, "change", service)
    if ServiceDependency.objects.filter(service=service, resource=resource).exists():
        raise ValidationError({"resource": _("The service already depends on this resource.")})
    edge = ServiceDependency.objects.create(service=service, resource=resource)
    record(
        actor=actor,
        verb="service.dependency_added",
        obj=service,
        institution=service.institution,
        after={"resource": resource.pk, "resource_name": resource.name},
    )
    return edge


@transaction.atomic
def remove_service_dependency(*, actor: User, edge: ServiceDependency) -> None:
    """Remove a service → resource dependency."""
    require(actor, "delete", edge)
    record(
        actor=actor,
        verb="service.dependency_removed",
        obj=edge.service,
        institution=edge.service.institution,
        before={"resource": edge.resource_id, "resource_name": edge.resource.name},
    )
    edge.delete()


def cycle_message(names: list[str]) -> str:
    return _("This dependency would create a cycle: %(cycle)s.") % {"cycle": " → ".join(names)}


@transaction.atomic
def add_resource_dependency(
    *, actor: User, resource: Resource, depends_on: Resource
) -> ResourceDependency:
    """Record that ``resource`` relies on ``depends_on``; a cycle is refused, naming it."""
    require(actor, "change", resource)
    if resource.pk == depends_on.pk:
        raise ValidationError({"depends_on": _("“%s” cannot depend on itself.") % resource.name})
    if ResourceDependency.objects.filter(resource=resource, depends_on=depends_on).exists():
        raise ValidationError({"depends_on": _("This dependency already exists.")})
    back = path_between(depends_on.pk, resource.pk)
    if back is not None:
        # Name only the resources the actor may see; others stay anonymous in the message.
        names = dict(
            Resource.objects.visible_to(actor).filter(pk__in=back).values_list("pk", "name")
        )
        hidden = _("(a resource you cannot see)")
        cycle = [resource.name, *(names.get(i, hidden) for i in back)]
        raise ValidationError({"depends_on": cycle_message(cycle)})
    edge = ResourceDependency.objects.create(resource=resource, depends_on=depends_on)
    record(
        actor=actor,
        verb="resource.dependency_added",
        obj=resource,
        institution=resource.institution,
        after={"depends_on": depends_on.pk, "depends_on_name": depends_on.name},
    )
    return edge


@transaction.atomic
def remove_resource_dependency(*, actor: User, edge: ResourceDependency) -> None:
    """Remove a resource → resource dependency."""
    require(actor, "delete", edge)
    record(
        actor=actor,
        verb="resource.dependency_removed",
        obj=edge.resource,
        institution=edge.resource.institution,
        before={"depends_on": edge.depends_on_id, "depends_on_name": edge.depends_on.name},
    )
    edge.delete()


# --- Owners -----------------------------------------------------------------------------------

OWNER_ROLE = {Service: Role.SERVICE_OWNER, Resource: Role.RESOURCE_OWNER}


def accountable_owner(obj: Service | Resource) -> RoleAssignment | None:
    """The accountable (A) owner assignment of a service or resource, if there is one."""
    return (
        RoleAssignment.objects.filter(
            scope_type=ContentType.objects.get_for_model(obj),
            scope_id=obj.pk,
            role=OWNER_ROLE[type(obj)],
            responsibility=Responsibility.ACCOUNTABLE,
        )
        .select_related("user")
        .first()
    )


@transaction.atomic
def set_accountable_owner(*, actor: User, obj: Service | Resource, user: User) -> RoleAssignment:
    """Make ``user`` the one accountable owner of ``obj``, replacing the previous one."""
    current = accountable_owner(obj)
    if current is not None and current.user_id == user.pk:
        return current
    if current is not None:
        account_ops.revoke_role(actor=actor, assignment=current)
    # The new owner may hold the same role as co-responsible (L): it becomes accountable.
    for previous in RoleAssignment.objects.filter(
        user=user,
        role=OWNER_ROLE[type(obj)],
        scope_type=ContentType.objects.get_for_model(obj),
        scope_id=obj.pk,
    ):
        account_ops.revoke_role(actor=actor, assignment=previous)
    return account_ops.assign_role(
        actor=actor,
        user=user,
        institution=obj.institution,
        role=OWNER_ROLE[type(obj)],
        responsibility=Responsibility.ACCOUNTABLE,
        scope=obj,
    )


# --- Import -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did (or, in a dry run or on errors, would do)."""

    counts: dict[str, dict[str, int]]
    summary: dict[str, int]
    errors: list[transfer.RowError]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run


def import_catalog(
    *, actor: User, bundle: transfer.Bundle, dry_run: bool = False, progress: Any = None
) -> ImportReport:
    """Upsert services, resources and dependencies from a read bundle, all or nothing.

    Rows are matched by (institution, identifier). Every row is validated first; if any has an
    error, or in a dry run, nothing is written and the report says what would change.
    """
    with transaction.atomic():
        plan = transfer.Planner(actor, bundle, progress).run()
        report = ImportReport(plan.counts(), plan.summary(), plan.errors, dry_run)
        if plan.errors or dry_run or not plan.changes_anything:
            return report
        transfer.apply(plan, progress)
        for institution in plan.institutions.values():
            record(
                actor=actor,
                verb="catalog.imported",
                obj=institution,
                institution=institution,
                after={"counts": report.counts, "summary": report.summary},
            )
    return report
