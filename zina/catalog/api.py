"""API of the catalog: services, resources, dependencies and service levels (CRUD)."""

from datetime import time
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from zina.accounts.models import Institution
from zina.core.permissions import require

from . import operations as ops
from .choices import Channel, Criticality, Priority, Recipient, ResourceType
from .choices import Status as Lifecycle
from .graph import affected_services
from .models import Resource, ResourceDependency, Service, ServiceDependency, ServiceLevel

router = Router(tags=["catalog"])


def actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class ServiceIn(Schema):
    identifier: str = Field(max_length=100)
    name: str = Field(max_length=300)
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    category: str = ""
    recipients: list[Recipient] = []
    channels: list[Channel] = []
    status: Lifecycle = Lifecycle.ACTIVE
    is_public: bool = True
    fee: str = ""
    legal_basis: str = ""


class ServiceCreate(ServiceIn):
    institution: str


class ServiceOut(ServiceIn):
    id: int
    institution: str = Field(alias="institution.code")


class ServicePatch(Schema):
    identifier: str | None = None
    name: str | None = None
    name_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    category: str | None = None
    recipients: list[Recipient] | None = None
    channels: list[Channel] | None = None
    status: Lifecycle | None = None
    is_public: bool | None = None
    fee: str | None = None
    legal_basis: str | None = None


class ResourceIn(Schema):
    identifier: str = Field(max_length=100)
    name: str = Field(max_length=300)
    type: ResourceType
    name_en: str = ""
    description: str = ""
    criticality: Criticality = Criticality.MEDIUM
    status: Lifecycle = Lifecycle.ACTIVE


class ResourceCreate(ResourceIn):
    institution: str


class ResourceOut(ResourceIn):
    id: int
    institution: str = Field(alias="institution.code")


class ResourcePatch(Schema):
    identifier: str | None = None
    name: str | None = None
    type: ResourceType | None = None
    name_en: str | None = None
    description: str | None = None
    criticality: Criticality | None = None
    status: Lifecycle | None = None


class TargetSchema(Schema):
    response_minutes: int = Field(ge=0)
    resolution_minutes: int = Field(ge=0)


class ServiceLevelSchema(Schema):
    around_the_clock: bool = False
    support_start: time = time(8, 30)
    support_end: time = time(17, 0)
    support_days: str = "12345"
    availability_target: Decimal = Decimal("99")
    targets: dict[Priority, TargetSchema] = {}


class ServiceDependencyOut(Schema):
    id: int
    service: int = Field(alias="service_id")
    resource: int = Field(alias="resource_id")


class ResourceDependencyOut(Schema):
    id: int
    resource: int = Field(alias="resource_id")
    depends_on: int = Field(alias="depends_on_id")


class DependencyIn(Schema):
    resource: int


def _institution(request: HttpRequest, code: str) -> Institution:
    return get_object_or_404(Institution.objects.visible_to(actor(request)), code=code)


def _service(request: HttpRequest, pk: int) -> Service:
    return get_object_or_404(
        Service.objects.visible_to(actor(request)).select_related("institution"), pk=pk
    )


def _resource(request: HttpRequest, pk: int) -> Resource:
    return get_object_or_404(
        Resource.objects.visible_to(actor(request)).select_related("institution"), pk=pk
    )


def _merge(obj: Any, data_class: Any, patch: Schema) -> Any:
    current = {f: getattr(obj, f) for f in data_class.__dataclass_fields__}
    current.update(patch.dict(exclude_unset=True, exclude_none=True))
    return data_class(**current)


# --- Services ---------------------------------------------------------------------------------


@router.get("/services", response=list[ServiceOut])
@paginate(LimitOffsetPagination)
def list_services(
    request: HttpRequest,
    institution: str | None = None,
    status: Lifecycle | None = None,
    category: str | None = None,
) -> QuerySet[Service]:
    qs = Service.objects.visible_to(actor(request)).select_related("institution")
    if institution:
        qs = qs.filter(institution__code=institution)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    return qs


@router.get("/services/{pk}", response=ServiceOut)
def get_service(request: HttpRequest, pk: int) -> Service:
    return _service(request, pk)


@router.post("/services", response={201: ServiceOut})
def create_service(request: HttpRequest, payload: ServiceCreate) -> Status[Service]:
    data = ops.ServiceData(**payload.dict(exclude={"institution"}))
    institution = _institution(request, payload.institution)
    return Status(201, ops.create_service(actor=actor(request), institution=institution, data=data))


@router.patch("/services/{pk}", response=ServiceOut)
def update_service(request: HttpRequest, pk: int, payload: ServicePatch) -> Service:
    service = _service(request, pk)
    require(actor(request), "change", service)
    return ops.update_service(
        actor=actor(request), service=service, data=_merge(service, ops.ServiceData, payload)
    )


@router.get("/services/{pk}/service-level", response={200: ServiceLevelSchema, 404: Any})
def get_service_level(request: HttpRequest, pk: int) -> Any:
    level = get_object_or_404(ServiceLevel.objects.visible_to(actor(request)), service_id=pk)
    return {
        "around_the_clock": level.around_the_clock,
        "support_start": level.support_start,
        "support_end": level.support_end,
        "support_days": level.support_days,
        "availability_target": level.availability_target,
        "targets": {
            t.priority: {
                "response_minutes": t.response_minutes,
                "resolution_minutes": t.resolution_minutes,
            }
            for t in level.targets.all()
        },
    }


@router.put("/services/{pk}/service-level", response=ServiceLevelSchema)
def put_service_level(request: HttpRequest, pk: int, payload: ServiceLevelSchema) -> Any:
    service = _service(request, pk)
    data = ops.ServiceLevelData(
        around_the_clock=payload.around_the_clock,
        support_start=payload.support_start,
        support_end=payload.support_end,
        support_days=payload.support_days,
        availability_target=payload.availability_target,
        targets={
            str(p): ops.TargetData(t.response_minutes, t.resolution_minutes)
            for p, t in payload.targets.items()
        },
    )
    ops.set_service_level(actor=actor(request), service=service, data=data)
    return get_service_level(request, pk)


@router.get("/services/{pk}/dependencies", response=list[ServiceDependencyOut])
def list_service_dependencies(request: HttpRequest, pk: int) -> QuerySet[ServiceDependency]:
    service = _service(request, pk)
    return ServiceDependency.objects.visible_to(actor(request)).filter(service=service)


@router.post("/services/{pk}/dependencies", response={201: ServiceDependencyOut})
def add_service_dependency(
    request: HttpRequest, pk: int, payload: DependencyIn
) -> Status[ServiceDependency]:
    edge = ops.add_service_dependency(
        actor=actor(request),
        service=_service(request, pk),
        resource=_resource(request, payload.resource),
    )
    return Status(201, edge)


@router.delete("/service-dependencies/{pk}", response={204: None})
def remove_service_dependency(request: HttpRequest, pk: int) -> Status[None]:
    edge = get_object_or_404(ServiceDependency.objects.visible_to(actor(request)), pk=pk)
    ops.remove_service_dependency(actor=actor(request), edge=edge)
    return Status(204, None)


# --- Resources --------------------------------------------------------------------------------


@router.get("/resources", response=list[ResourceOut])
@paginate(LimitOffsetPagination)
def list_resources(
    request: HttpRequest, institution: str | None = None, type: ResourceType | None = None
) -> QuerySet[Resource]:
    qs = Resource.objects.visible_to(actor(request)).select_related("institution")
    if institution:
        qs = qs.filter(institution__code=institution)
    if type:
        qs = qs.filter(type=type)
    return qs


@router.get("/resources/{pk}", response=ResourceOut)
def get_resource(request: HttpRequest, pk: int) -> Resource:
    return _resource(request, pk)


@router.post("/resources", response={201: ResourceOut})
def create_resource(request: HttpRequest, payload: ResourceCreate) -> Status[Resource]:
    data = ops.ResourceData(**payload.dict(exclude={"institution"}))
    institution = _institution(request, payload.institution)
    return Status(
        201, ops.create_resource(actor=actor(request), institution=institution, data=data)
    )


@router.patch("/resources/{pk}", response=ResourceOut)
def update_resource(request: HttpRequest, pk: int, payload: ResourcePatch) -> Resource:
    resource = _resource(request, pk)
    require(actor(request), "change", resource)
    return ops.update_resource(
        actor=actor(request), resource=resource, data=_merge(resource, ops.ResourceData, payload)
    )


@router.get("/resources/{pk}/affected-services", response=list[ServiceOut])
def resource_affected_services(request: HttpRequest, pk: int) -> QuerySet[Service]:
    """Services affected when this resource is interrupted (through the dependency graph)."""
    resource = _resource(request, pk)
    return affected_services(resource).visible_to(actor(request)).select_related("institution")


@router.get("/resources/{pk}/dependencies", response=list[ResourceDependencyOut])
def list_resource_dependencies(request: HttpRequest, pk: int) -> QuerySet[ResourceDependency]:
    resource = _resource(request, pk)
    return ResourceDependency.objects.visible_to(actor(request)).filter(resource=resource)


@router.post("/resources/{pk}/dependencies", response={201: ResourceDependencyOut})
def add_resource_dependency(
    request: HttpRequest, pk: int, payload: DependencyIn
) -> Status[ResourceDependency]:
    edge = ops.add_resource_dependency(
        actor=actor(request),
        resource=_resource(request, pk),
        depends_on=_resource(request, payload.resource),
    )
    return Status(201, edge)


@router.delete("/resource-dependencies/{pk}", response={204: None})
def remove_resource_dependency(request: HttpRequest, pk: int) -> Status[None]:
    edge = get_object_or_404(ResourceDependency.objects.visible_to(actor(request)), pk=pk)
    ops.remove_resource_dependency(actor=actor(request), edge=edge)
    return Status(204, None)
