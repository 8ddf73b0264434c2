"""Knowledge fixtures: services to link, partners, licences and articles made through the
real operations (zina/knowledge/operations.py), with the superuser or a named actor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import translation

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as catalog_ops
from zina.catalog.models import Resource, Service
from zina.conftest import refresh
from zina.core.models import AuditEvent
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import Article, ArticleRevision, KnowledgeLicence


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English (the source language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def make_service(superuser: User) -> Callable[..., Service]:
    """``make_service(institution, identifier, name=None)`` via the catalog operation."""

    def make(institution: Institution, identifier: str, name: str | None = None) -> Service:
        data = catalog_ops.ServiceData(identifier=identifier, name=name or identifier)
        return catalog_ops.create_service(actor=superuser, institution=institution, data=data)

    return make


@pytest.fixture
def make_resource(superuser: User) -> Callable[..., Resource]:
    """``make_resource(institution, identifier, name=None)`` via the catalog operation."""

    def make(institution: Institution, identifier: str, name: str | None = None) -> Resource:
        data = catalog_ops.ResourceData(
            identifier=identifier, name=name or identifier, type="server"
        )
        return catalog_ops.create_resource(actor=superuser, institution=institution, data=data)

    return make


@pytest.fixture
def service(make_service: Callable[..., Service], institution: Institution) -> Service:
    return make_service(institution, "VRA-EPAK", "E-pakalpojumu portāls")


@pytest.fixture
def other_service(make_service: Callable[..., Service], institution: Institution) -> Service:
    """A second service of the same institution, never linked to the test articles."""
    return make_service(institution, "VRA-ARH", "Arhīva izziņas")


@pytest.fixture
def foreign_service(
    make_service: Callable[..., Service], other_institution: Institution
) -> Service:
    return make_service(other_institution, "SPA-PAB", "Pabalstu pieprasīšana")


@pytest.fixture
def resource(make_resource: Callable[..., Resource], institution: Institution) -> Resource:
    return make_resource(institution, "VRA-DB", name="Reģistru datubāze")


@pytest.fixture
def assign(superuser: User) -> Callable[..., User]:
    """``assign(user, role, scope, responsibility="L")``: a role on one service or resource,
    given through the accounts operation; returns a fresh user (no cached grants)."""

    def give(user: User, role: str, scope: Service | Resource, responsibility: str = "L") -> User:
        account_ops.assign_role(
            actor=superuser,
            user=user,
            institution=scope.institution,
            role=role,
            responsibility=responsibility,
            scope=scope,
        )
        return refresh(user)

    return give


@pytest.fixture
def partner(
    make_user: Callable[..., User],
    institution: Institution,
    service: Service,
    assign: Callable[..., User],
) -> User:
    """An external provider assigned (scoped partner role) to ``service``."""
    return assign(make_user("partneris", institution, kind="partner"), Role.PARTNER, service)


@pytest.fixture
def grant(superuser: User) -> Callable[..., User]:
    """``grant(user, institution, level)``: a KCS licence granted by the superuser."""

    def give(user: User, institution: Institution, level: str) -> User:
        ops.grant_licence(actor=superuser, user=user, institution=institution, level=level)
        return refresh(user)

    return give


@pytest.fixture
def write(institution: Institution) -> Callable[..., ArticleRevision]:
    """``write(actor, title="…", audience=…, services=[…], …)``: create an article (r1 draft)."""

    def create(
        actor: User,
        title: str = "Parole aizmirsta",
        *,
        body: str = "Atveriet paroles atjaunošanas lapu.",
        audience: str = Audience.INTERNAL,
        type: str = ArticleType.SOLUTION,
        services: list[Service] | None = None,
        resources: list[Resource] | None = None,
        shared_with: list[Institution] | None = None,
        shared_with_all: bool = False,
        language: str = "lv",
        where: Institution | None = None,
    ) -> ArticleRevision:
        return ops.create_article(
            actor=actor,
            institution=where or institution,
            settings=ops.ArticleSettings(
                type=type,
                audience=audience,
                shared_with_all=shared_with_all,
                shared_with=shared_with or [],
                services=services or [],
                resources=resources or [],
            ),
            text=ops.ArticleText(title=title, body=body),
            language=language,
        )

    return create


def settings_of(article: Article, **changes: Any) -> ops.ArticleSettings:
    """The article's current settings with ``changes`` applied."""
    data: dict[str, Any] = {
        "type": article.type,
        "audience": article.audience,
        "shared_with_all": article.shared_with_all,
        "shared_with": list(article.shared_with.all()),
        "services": list(article.services.all()),
        "resources": list(article.resources.all()),
    }
    data.update(changes)
    return ops.ArticleSettings(**data)


def knowledge_counts() -> dict[str, int]:
    """Row counts of everything a knowledge operation may write."""
    return {
        "articles": Article.objects.count(),
        "revisions": ArticleRevision.objects.count(),
        "licences": KnowledgeLicence.objects.count(),
        "shared": Article.shared_with.through.objects.count(),
        "services": Article.services.through.objects.count(),
        "resources": Article.resources.through.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def revision_state(revision: ArticleRevision) -> dict[str, Any]:
    """What a failed operation must leave untouched, read afresh from the database."""
    r = ArticleRevision.objects.get(pk=revision.pk)
    return {n: getattr(r, n) for n in (*ArticleRevision.TEXT_FIELDS, "state", "is_live", "version")}
