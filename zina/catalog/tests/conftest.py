"""Catalog fixtures: services, resources and dependencies made through the real operations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from zina.accounts.models import Institution, RoleAssignment, User
from zina.catalog import operations as ops
from zina.catalog.models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
    ServiceLevelTarget,
)
from zina.core.models import AuditEvent


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English (the source language); Latvian is tested explicitly.

    The project's default language is Latvian and its catalogue is being filled in, so an
    assertion on a Latvian message would break whenever a translation lands.
    """
    with translation.override("en"):
        yield


@pytest.fixture
def make_service(superuser: User) -> Callable[..., Service]:
    """``make_service(institution, identifier, name=None, **fields)`` via ``create_service``."""

    def make(
        institution: Institution, identifier: str, name: str | None = None, **fields: Any
    ) -> Service:
        data = ops.ServiceData(identifier=identifier, name=name or identifier, **fields)
        return ops.create_service(actor=superuser, institution=institution, data=data)

    return make


@pytest.fixture
def make_resource(superuser: User) -> Callable[..., Resource]:
    """``make_resource(institution, identifier, type="server", name=None, **fields)``."""

    def make(
        institution: Institution,
        identifier: str,
        type: str = "server",
        name: str | None = None,
        **fields: Any,
    ) -> Resource:
        data = ops.ResourceData(identifier=identifier, name=name or identifier, type=type, **fields)
        return ops.create_resource(actor=superuser, institution=institution, data=data)

    return make


@pytest.fixture
def depend(superuser: User) -> Callable[[Service | Resource, Resource], Any]:
    """``depend(service_or_resource, resource)``: add the dependency through the operation."""

    def add(source: Service | Resource, target: Resource) -> Any:
        if isinstance(source, Service):
            return ops.add_service_dependency(actor=superuser, service=source, resource=target)
        return ops.add_resource_dependency(actor=superuser, resource=source, depends_on=target)

    return add


def db_counts() -> dict[str, int]:
    """Row counts of everything an import or an operation may write."""
    return {
        "services": Service.objects.count(),
        "resources": Resource.objects.count(),
        "service_edges": ServiceDependency.objects.count(),
        "resource_edges": ResourceDependency.objects.count(),
        "levels": ServiceLevel.objects.count(),
        "targets": ServiceLevelTarget.objects.count(),
        "related": Service.related.through.objects.count(),
        "assignments": RoleAssignment.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def english_client(user: User | None = None) -> Client:
    """A test client that asks for English pages (the language switch's cookie)."""
    client = Client()
    client.cookies["zina_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client
