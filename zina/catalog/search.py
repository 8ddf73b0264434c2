"""What the catalog puts in the search index: services (Latvian and English) and resources.

The access tokens are those ``service_rule`` and ``resource_rule`` read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, register, url_maker

from .choices import ResourceType, Status
from .models import Resource, Service
from .permissions import PUBLIC_STATUSES, resource_rule, service_rule

STATUS_LABELS = dict(Status.choices)
TYPE_LABELS = dict(ResourceType.choices)


_SERVICE_FIELDS = (
    "pk",
    "institution_id",
    "identifier",
    "name",
    "name_en",
    "description",
    "description_en",
    "category",
    "status",
    "is_public",
    "fee",
    "legal_basis",
    "updated_at",
)


def build_services(pks: Sequence[int]) -> Iterable[IndexDoc]:
    url = url_maker("catalog:service_detail")
    for row in Service.objects.filter(pk__in=pks).order_by().values_list(*_SERVICE_FIELDS):
        (pk, institution_id, identifier, name, name_en, description, description_en) = row[:7]
        (category, status, is_public, fee, legal_basis, updated_at) = row[7:]
        tokens = {f"inst:{institution_id}", f"svc:{pk}"}
        if is_public and status in PUBLIC_STATUSES:
            tokens.add("public")
        texts = {"lv": (name, description)}
        if name_en:
            texts["en"] = (name_en, description_en)
        for language, (title, text) in texts.items():
            yield IndexDoc(
                kind="service",
                pk=pk,
                language=language,
                title=title,
                summary=f"{identifier}\n{category}",
                body=f"{text}\n{fee}\n{legal_basis}",
                acl=tokens,
                state=status,
                audience="public" if is_public else "internal",
                institution=institution_id,
                services=[pk],
                date=updated_at,
                url=url(pk),
                meta={"identifier": identifier, "state": STATUS_LABELS.get(status)},
            )


_RESOURCE_FIELDS = (
    "pk",
    "institution_id",
    "identifier",
    "name",
    "name_en",
    "description",
    "type",
    "status",
    "updated_at",
)


def build_resources(pks: Sequence[int]) -> Iterable[IndexDoc]:
    url = url_maker("catalog:resource_detail")
    for row in Resource.objects.filter(pk__in=pks).order_by().values_list(*_RESOURCE_FIELDS):
        (pk, institution_id, identifier, name, name_en, description, type_, status, date) = row
        yield IndexDoc(
            kind="resource",
            pk=pk,
            language="lv",
            title=name,
            summary=f"{identifier}\n{name_en}",
            body=description,
            acl={f"inst:{institution_id}", f"res:{pk}"},
            type=type_,
            state=status,
            audience="internal",
            institution=institution_id,
            date=date,
            url=url(pk),
            meta={"identifier": identifier, "type": TYPE_LABELS.get(type_)},
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
