"""What the catalog puts in the search index: services (Latvian and English) and resources.

The access tokens are those ``service_rule`` and ``resource_rule`` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, Shown, register

from .choices import ResourceType, Status
from .models import Resource, Service
from .permissions import PUBLIC_STATUSES, resource_rule, service_rule


def _service_texts(service: Service) -> dict[str, tuple[str, str]]:
    texts = {"lv": (service.name, service.description)}
    if service.name_en:
        texts["en"] = (service.name_en, service.description_en)
    return texts


def build_services(pks: Sequence[int]) -> Iterable[IndexDoc]:
    for service in Service.objects.filter(pk__in=pks):
        tokens = {f"inst:{service.institution_id}", f"svc:{service.pk}"}
        if service.is_public and service.status in PUBLIC_STATUSES:
            tokens.add("public")
        for language, (name, description) in _service_texts(service).items():
            yield IndexDoc(
                kind="service",
                pk=service.pk,
                language=language,
                title=name,
                summary=f"{service.identifier}\n{service.category}",
                body=f"{description}\n{service.fee}\n{service.legal_basis}",
                acl=tokens,
                state=service.status,
                audience="public" if service.is_public else "internal",
                institution=service.institution_id,
                services=[service.pk],
                date=service.updated_at,
            )


def show_services(user: Any, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Shown]:
    found = Service.objects.visible_to(user).filter(pk__in={pk for pk, _ in keys})
    services = {s.pk: s for s in found}
    shown = {}
    for pk, language in keys:
        service = services.get(pk)
        if service is None or language not in _service_texts(service):
            continue
        name, description = _service_texts(service)[language]
        shown[(pk, language)] = Shown(
            title=name,
            url=reverse("catalog:service_detail", args=[pk]),
            text=description or service.category,
            language=language,
            meta={"identifier": service.identifier, "state": service.get_status_display()},
        )
    return shown


def build_resources(pks: Sequence[int]) -> Iterable[IndexDoc]:
    for resource in Resource.objects.filter(pk__in=pks):
        yield IndexDoc(
            kind="resource",
            pk=resource.pk,
            language="lv",
            title=resource.name,
            summary=f"{resource.identifier}\n{resource.name_en}",
            body=resource.description,
            acl={f"inst:{resource.institution_id}", f"res:{resource.pk}"},
            type=resource.type,
            state=resource.status,
            audience="internal",
            institution=resource.institution_id,
            date=resource.updated_at,
        )


def show_resources(user: Any, keys: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Shown]:
    found = Resource.objects.visible_to(user).filter(pk__in={pk for pk, _ in keys})
    resources = {r.pk: r for r in found}
    return {
        (pk, language): Shown(
            title=resources[pk].name,
            url=reverse("catalog:resource_detail", args=[pk]),
            text=resources[pk].description,
            language=language,
            meta={"identifier": resources[pk].identifier, "type": resources[pk].get_type_display()},
        )
        for pk, language in keys
        if pk in resources
    }


register(
    DocType(
        kind="service",
        label=_("Service"),
        model=Service,
        build=build_services,
        rule=service_rule,
        show=show_services,
        labels={"state": dict(Status.choices)},
    )
)
register(
    DocType(
        kind="resource",
        label=_("Resource"),
        model=Resource,
        build=build_resources,
        rule=resource_rule,
        show=show_resources,
        labels={"type": dict(ResourceType.choices), "state": dict(Status.choices)},
    )
)
