"""Who sees and changes the catalog.

Services: public ones (active or retired) are visible to everyone, anonymous included; staff of
the owning institution see all of its services; partners see the services they are assigned to.
Resources are never public: staff of the institution and assigned partners.
Changes: the portfolio owner (or an administrator) of the institution, or the object's owner.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zina.accounts.choices import Role
from zina.accounts.models import Institution
from zina.accounts.roles import (
    ADMINISTER,
    MANAGE_RESOURCES,
    MANAGE_SERVICES,
    has_capability,
    holds_role_on,
    scoped_ids,
    staff_institutions,
)
from zina.core.permissions import NOTHING, register, register_actions
from zina.core.rules import Rule, ids_leaf, leaf

from .choices import Status
from .models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
)

PUBLIC_STATUSES = [Status.ACTIVE, Status.RETIRED]


def service_rule(user: Any) -> Rule:
    public = leaf(Q(is_public=True, status__in=PUBLIC_STATUSES), ["public"])
    if not getattr(user, "is_authenticated", False):
        return public
    staff = staff_institutions(user)
    scoped = scoped_ids(user, Service)
    return (
        public
        | ids_leaf(Q(institution_id__in=staff), "inst", staff)
        | ids_leaf(Q(pk__in=scoped), "svc", scoped)
    )


def resource_rule(user: Any) -> Rule:
    if not getattr(user, "is_authenticated", False):
        return leaf(NOTHING, [])
    staff = staff_institutions(user)
    scoped = scoped_ids(user, Resource)
    return ids_leaf(Q(institution_id__in=staff), "inst", staff) | ids_leaf(
        Q(pk__in=scoped), "res", scoped
    )


def service_view(user: Any) -> Q:
    return service_rule(user).q()


def resource_view(user: Any) -> Q:
    return resource_rule(user).q()


def can_manage_services(user: Any, institution_id: int) -> bool:
    return has_capability(user, MANAGE_SERVICES, institution_id)


def can_manage_resources(user: Any, institution_id: int) -> bool:
    return has_capability(user, MANAGE_RESOURCES, institution_id)


def can_change_service(user: Any, service: Service) -> bool:
    return can_manage_services(user, service.institution_id) or holds_role_on(
        user, Role.SERVICE_OWNER, service
    )


def can_change_resource(user: Any, resource: Resource) -> bool:
    return can_manage_resources(user, resource.institution_id) or holds_role_on(
        user, Role.RESOURCE_OWNER, resource
    )


register_actions(
    Institution,
    manage_services=lambda user, obj: can_manage_services(user, obj.pk),
    manage_resources=lambda user, obj: can_manage_resources(user, obj.pk),
)

register(
    Service,
    view=service_view,
    change=can_change_service,
    manage_owners=lambda user, obj: (
        can_manage_services(user, obj.institution_id)
        or has_capability(user, ADMINISTER, obj.institution_id)
    ),
)
register(
    Resource,
    view=resource_view,
    change=can_change_resource,
    manage_owners=lambda user, obj: (
        can_manage_resources(user, obj.institution_id)
        or has_capability(user, ADMINISTER, obj.institution_id)
    ),
)


def _service_dependency_view(user: Any) -> Q:
    return Q(service__in=Service.objects.filter(service_view(user))) & Q(
        resource__in=Resource.objects.filter(resource_view(user))
    )


register(
    ServiceDependency,
    view=_service_dependency_view,
    delete=lambda user, obj: can_change_service(user, obj.service),
)
register(
    ResourceDependency,
    view=lambda user: (
        Q(resource__in=Resource.objects.filter(resource_view(user)))
        & Q(depends_on__in=Resource.objects.filter(resource_view(user)))
    ),
    delete=lambda user, obj: can_change_resource(user, obj.resource),
)
register(
    ServiceLevel,
    view=lambda user: Q(service__in=Service.objects.filter(service_view(user))),
    change=lambda user, obj: can_change_service(user, obj.service),
)
