"""Exporting the catalog in the exchange format (export → import round-trips unchanged)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import RoleAssignment

from ..choices import Priority
from ..models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
)
from .formats import COLUMNS, DEPENDENCIES, RESOURCES, SERVICES, SLA_COLUMNS

# --- Exporting ----------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows(
    user: Any, services: Iterable[Service], resources: Iterable[Resource]
) -> dict[str, list[dict[str, Any]]]:
    """Rows for every kind, typed (lists, booleans, numbers) as the JSON format has them.

    ``services`` and ``resources`` must already be filtered with ``visible_to(user)``; owners,
    providers and related services are filtered here by the same rules, so an export never
    shows more than the viewer may see on the pages.
    """
    services = list(services)
    resources = list(resources)
    service_ids = [s.pk for s in services]
    resource_ids = [r.pk for r in resources]
    sct = ContentType.objects.get_for_model(Service)
    rct = ContentType.objects.get_for_model(Resource)
    owners: dict[tuple[int, int], str] = {}
    providers: dict[int, list[str]] = defaultdict(list)
    for ct_id, scope_id, role, mark, username in (
        RoleAssignment.objects.visible_to(user)
        .filter(
            models.Q(scope_type=sct, scope_id__in=service_ids)
            | models.Q(scope_type=rct, scope_id__in=resource_ids)
        )
        .values_list("scope_type_id", "scope_id", "role", "responsibility", "user__username")
        .order_by("user__username")
    ):
        if scope_id is None:
            continue
        if role in (Role.SERVICE_OWNER, Role.RESOURCE_OWNER) and mark == Responsibility.ACCOUNTABLE:
            owners[(ct_id, scope_id)] = username
        elif role == Role.SERVICE_PROVIDER and ct_id == sct.pk:
            providers[scope_id].append(username)
    related: dict[int, list[str]] = defaultdict(list)
    for src, ident in (
        Service.related.through.objects.filter(
            from_service_id__in=service_ids,
            to_service_id__in=Service.objects.visible_to(user).values("pk"),
        )
        .values_list("from_service_id", "to_service__identifier")
        .order_by("to_service__identifier")
    ):
        related[src].append(ident)
    levels = {
        lvl.service_id: lvl
        for lvl in ServiceLevel.objects.filter(service_id__in=service_ids).prefetch_related(
            "targets"
        )
    }
    rows: dict[str, list[dict[str, Any]]] = {SERVICES: [], RESOURCES: [], DEPENDENCIES: []}
    for s in services:
        row: dict[str, Any] = {
            "institution": s.institution.code,
            "identifier": s.identifier,
            "name": s.name,
            "name_en": s.name_en,
            "description": s.description,
            "description_en": s.description_en,
            "category": s.category,
            "recipients": list(s.recipients),
            "channels": list(s.channels),
            "status": s.status,
            "public": s.is_public,
            "fee": s.fee,
            "legal_basis": s.legal_basis,
            "related": related.get(s.pk, []),
            "owner": owners.get((sct.pk, s.pk), ""),
            "providers": providers.get(s.pk, []),
        }
        level = levels.get(s.pk)
        if level is not None:
            targets = level.targets_by_priority()
            row.update(
                {
                    "around_the_clock": level.around_the_clock,
                    "support_start": level.support_start.strftime("%H:%M"),
                    "support_end": level.support_end.strftime("%H:%M"),
                    "support_days": level.support_days,
                    "availability_target": format(level.availability_target.normalize(), "f"),
                }
            )
            for p in Priority.values:
                t = targets.get(p)
                row[f"{p.lower()}_response"] = t.response_minutes if t else ""
                row[f"{p.lower()}_resolution"] = t.resolution_minutes if t else ""
        else:
            row.update({c: "" for c in SLA_COLUMNS})
        rows[SERVICES].append(row)
    for r in resources:
        rows[RESOURCES].append(
            {
                "institution": r.institution.code,
                "identifier": r.identifier,
                "name": r.name,
                "name_en": r.name_en,
                "description": r.description,
                "type": r.type,
                "criticality": r.criticality,
                "status": r.status,
                "owner": owners.get((rct.pk, r.pk), ""),
            }
        )
    for a, b, c, d in (
        ServiceDependency.objects.filter(service_id__in=service_ids, resource_id__in=resource_ids)
        .values_list(
            "service__institution__code",
            "service__identifier",
            "resource__institution__code",
            "resource__identifier",
        )
        .order_by("service__institution__code", "service__identifier", "resource__identifier")
    ):
        rows[DEPENDENCIES].append(
            {
                "from_type": "service",
                "from_institution": a,
                "from_identifier": b,
                "to_institution": c,
                "to_identifier": d,
            }
        )
    for a, b, c, d in (
        ResourceDependency.objects.filter(
            resource_id__in=resource_ids, depends_on_id__in=resource_ids
        )
        .values_list(
            "resource__institution__code",
            "resource__identifier",
            "depends_on__institution__code",
            "depends_on__identifier",
        )
        .order_by("resource__institution__code", "resource__identifier", "depends_on__identifier")
    ):
        rows[DEPENDENCIES].append(
            {
                "from_type": "resource",
                "from_institution": a,
                "from_identifier": b,
                "to_institution": c,
                "to_identifier": d,
            }
        )
    return rows


def to_csv(kind: str, rows: list[dict[str, Any]]) -> str:
    """Excel-friendly CSV: UTF-8 with BOM, semicolons, lists joined with “|”, yes/no."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS[kind])
    for row in rows:
        cells = []
        for column in COLUMNS[kind]:
            value = row.get(column, "")
            if isinstance(value, list):
                value = "|".join(value)
            elif isinstance(value, bool):
                value = _yes_no(value)
            cells.append(value)
        writer.writerow(cells)
    return out.getvalue()


def to_json(rows: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps(
        {"format": "zina-catalog", "version": 1, **rows}, ensure_ascii=False, indent=2
    )
