"""What the catalog puts in the search index: services (Latvian and English) and resources.

The access tokens are those ``service_rule`` and ``resource_rule`` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, register

from .choices import ResourceType, Status
from .models import Resource, Service
from .permissions import PUBLIC_STATUSES, resource_rule, service_rule

STATUS_LABELS = dict(Status.choices)
TYPE_LABELS = dict(ResourceType.choices)


def _service_texts(service: Service) -> dict[str, tuple[str, str]]:
    texts = {"lv": (service.name, service.description)}
    if service.name_en:
        texts["en"] = (service.name_en, service.description_en)
    return texts


def build_services(pks: Sequence[int]) -> Iterable[IndexDoc]:
    for service in Service.objects.filter(pk__in=pks).defer("recipients", "channels"):
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
                url=reverse("catalog:service_detail", args=[service.pk]),
                meta={"identifier": service.identifier, "state": STATUS_LABELS.get(service.status)},
            )


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
            url=reverse("catalog:resource_detail", args=[resource.pk]),
            meta={"identifier": resource.identifier, "type": TYPE_LABELS.get(resource.type)},
        )


register(
    DocType(
        kind="service",
        label=_("Service"),
        model=Service,
        build=build_services,
        rule=service_rule,
        labels={"state": STATUS_LABELS},
    )
)
register(
    DocType(
        kind="resource",
        label=_("Resource"),
        model=Resource,
        build=build_resources,
        rule=resource_rule,
        labels={"type": TYPE_LABELS, "state": STATUS_LABELS},
    )
)
