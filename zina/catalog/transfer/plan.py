"""Planning an import against the database, and applying the plan in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from zina.accounts.choices import MembershipKind, Responsibility, Role
from zina.accounts.models import Institution, Membership, RoleAssignment, User
from zina.core.audit import snapshot
from zina.core.db import bulk_insert
from zina.core.middleware import current_request_id
from zina.core.models import AuditEvent
from zina.core.permissions import can
from zina.search.indexer import touch

from ..choices import Priority
from ..graph import find_cycle
from ..models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
    ServiceLevelTarget,
)
from .formats import (
    DEPENDENCIES,
    KINDS,
    REQUIRED,
    RESOURCE_FIELDS,
    RESOURCES,
    SERVICE_FIELDS,
    SERVICES,
    SLA_COLUMNS,
    Bundle,
    Invalid,
    Record,
    RowError,
    fold,
    parse_bool,
    parse_days,
    parse_decimal,
    parse_identifier,
    parse_list,
    parse_minutes,
    parse_time,
)

# --- Planning -----------------------------------------------------------------------------------

Key = tuple[int, str]  # (institution id, identifier)


@dataclass
class SLAPlan:
    around_the_clock: bool
    support_start: time
    support_end: time
    support_days: str
    availability_target: Decimal
    targets: dict[str, tuple[int, int]]


@dataclass
class Plan:
    actor: Any
    new: dict[str, dict[Key, models.Model]] = field(
        default_factory=lambda: {SERVICES: {}, RESOURCES: {}}
    )
    changed: dict[str, dict[Key, tuple[models.Model, dict[str, Any], list[str]]]] = field(
        default_factory=lambda: {SERVICES: {}, RESOURCES: {}}
    )
    unchanged: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    service_edges: set[tuple[Key, Key]] = field(default_factory=set)
    resource_edges: set[tuple[Key, Key]] = field(default_factory=set)
    related: dict[Key, list[Key]] = field(default_factory=dict)
    sla: dict[Key, SLAPlan] = field(default_factory=dict)
    sla_before: dict[Key, SLAPlan] = field(default_factory=dict)
    owners: dict[tuple[str, Key], User] = field(default_factory=dict)
    providers: dict[Key, list[User]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    institutions: dict[str, Institution] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """What applying the plan adds or changes beyond the objects themselves."""
        return {
            "service_levels": len(self.sla),
            "owners": len(self.owners),
            "providers": sum(len(v) for v in self.providers.values()),
            "related": len(self.related),
        }

    @property
    def changes_anything(self) -> bool:
        counts = self.counts()
        return any(counts[k]["created"] or counts[k]["updated"] for k in KINDS) or any(
            self.summary().values()
        )

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            SERVICES: {
                "created": len(self.new[SERVICES]),
                "updated": len(self.changed[SERVICES]),
                "unchanged": self.unchanged[SERVICES],
            },
            RESOURCES: {
                "created": len(self.new[RESOURCES]),
                "updated": len(self.changed[RESOURCES]),
                "unchanged": self.unchanged[RESOURCES],
            },
            DEPENDENCIES: {
                "created": len(self.service_edges) + len(self.resource_edges),
                "updated": 0,
                "unchanged": self.unchanged[DEPENDENCIES],
            },
        }


def _progress(
    items: list[Record], progress: Callable[..., Iterator[Record]] | None, desc: str
) -> Iterable[Record]:
    return progress(items, desc=desc) if progress else items


# Columns whose blank cell means "unchanged" (or the default), not an empty value.
DEFAULTED = {"status", "public", "criticality", "type"}


def _blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


class Planner:
    """Validates a bundle against the database and builds the :class:`Plan`."""

    def __init__(self, actor: Any, bundle: Bundle, progress: Any = None) -> None:
        self.actor = actor
        self.bundle = bundle
        self.progress = progress
        self.plan = Plan(actor=actor, errors=list(bundle.errors))
        self.users: dict[str, User | None] = {}
        self.permission_cache: dict[tuple[str, int], bool] = {}

    # helpers
    def error(self, rec: Record, message: str, column: str = "") -> None:
        self.plan.errors.append(RowError(rec.source, rec.line, message, column))

    def institution(self, rec: Record, column: str) -> Institution | None:
        code = str(rec.values.get(column, "")).strip()
        if code not in self.plan.institutions:
            found = Institution.objects.filter(code=code).first()
            if found is None:
                self.error(rec, _("Unknown institution “%s”.") % code, column)
                return None
            self.plan.institutions[code] = found
        return self.plan.institutions[code]

    def allowed(self, action: str, institution: Institution) -> bool:
        key = (action, institution.pk)
        if key not in self.permission_cache:
            self.permission_cache[key] = can(self.actor, action, institution)
        return self.permission_cache[key]

    def user(self, rec: Record, username: str, column: str) -> User | None:
        if username not in self.users:
            self.users[username] = User.objects.filter(username=username, is_active=True).first()
        found = self.users[username]
        if found is None:
            self.error(rec, _("Unknown or blocked user “%s”.") % username, column)
        return found

    def run(self) -> Plan:
        institution_codes = {
            str(r.values.get(c, "")).strip()
            for kind in KINDS
            for r in self.bundle.records[kind]
            for c in ("institution", "from_institution", "to_institution")
            if c in r.values
        }
        self.plan.institutions = {
            i.code: i for i in Institution.objects.filter(code__in=institution_codes)
        }
        ids = [i.pk for i in self.plan.institutions.values()]
        self.services = {
            (s.institution_id, s.identifier): s
            for s in Service.objects.filter(institution_id__in=ids)
        }
        self.resources = {
            (r.institution_id, r.identifier): r
            for r in Resource.objects.filter(institution_id__in=ids)
        }
        self.service_keys: set[Key] = set(self.services)
        self.resource_keys: set[Key] = set(self.resources)
        self._load_current()
        self._plan_objects(SERVICES, self.services, Service, SERVICE_FIELDS, "manage_services")
        self._plan_related()
        self._plan_objects(RESOURCES, self.resources, Resource, RESOURCE_FIELDS, "manage_resources")
        self._plan_dependencies()
        self._check_cycles()
        return self.plan

    def _load_current(self) -> None:
        """Owners, providers, related services and service levels as they are now, so that
        only real differences are planned (an unchanged file re-imports as a no-op)."""
        service_by_id = {s.pk: k for k, s in self.services.items()}
        resource_by_id = {r.pk: k for k, r in self.resources.items()}
        sct = ContentType.objects.get_for_model(Service)
        rct = ContentType.objects.get_for_model(Resource)
        self.current_owner: dict[tuple[str, Key], int] = {}
        self.current_providers: dict[Key, set[int]] = defaultdict(set)
        for ct_id, scope_id, role, mark, user_id in RoleAssignment.objects.filter(
            role__in=[Role.SERVICE_OWNER, Role.RESOURCE_OWNER, Role.SERVICE_PROVIDER],
            scope_type__in=[sct, rct],
            institution__in=self.plan.institutions.values(),
        ).values_list("scope_type_id", "scope_id", "role", "responsibility", "user_id"):
            kind, keys = (
                (SERVICES, service_by_id) if ct_id == sct.pk else (RESOURCES, resource_by_id)
            )
            key = keys.get(scope_id) if scope_id is not None else None
            if key is None:
                continue
            if role == Role.SERVICE_PROVIDER:
                self.current_providers[key].add(user_id)
            elif mark == Responsibility.ACCOUNTABLE:
                self.current_owner[(kind, key)] = user_id
        self.current_related: dict[Key, set[Key]] = defaultdict(set)
        for src, dst in Service.related.through.objects.filter(
            from_service_id__in=service_by_id
        ).values_list("from_service_id", "to_service_id"):
            if dst in service_by_id:
                self.current_related[service_by_id[src]].add(service_by_id[dst])
        self.current_sla: dict[Key, SLAPlan] = {}
        for level in ServiceLevel.objects.filter(service_id__in=service_by_id).prefetch_related(
            "targets"
        ):
            self.current_sla[service_by_id[level.service_id]] = SLAPlan(
                around_the_clock=level.around_the_clock,
                support_start=level.support_start,
                support_end=level.support_end,
                support_days=level.support_days,
                availability_target=level.availability_target,
                targets={
                    t.priority: (t.response_minutes, t.resolution_minutes)
                    for t in level.targets.all()
                },
            )
        self.related_records: dict[Key, Record] = {}
        self.listed_related: dict[Key, set[Key]] = {}
        # Owners and providers must already be staff of the object's institution: an import
        # assigns roles, it does not make anyone a member.
        self.staff: set[tuple[int, int]] = set(
            Membership.objects.filter(
                institution__in=self.plan.institutions.values(), kind=MembershipKind.STAFF
            ).values_list("user_id", "institution_id")
        )

    def _plan_objects(
        self,
        kind: str,
        existing: dict[Key, Any],
        model: type[Service] | type[Resource],
        fields: dict[str, tuple[str, Callable[[Any], Any]]],
        permission: str,
    ) -> None:
        seen: dict[Key, Record] = {}
        keys = self.service_keys if kind == SERVICES else self.resource_keys
        for rec in _progress(self.bundle.records[kind], self.progress, kind):
            institution = self.institution(rec, "institution")
            try:
                identifier = parse_identifier(rec.values.get("identifier"))
            except Invalid as exc:
                self.error(rec, str(exc), "identifier")
                continue
            if institution is None:
                continue
            if not self.allowed(permission, institution):
                self.error(
                    rec,
                    _("You may not change the catalog of %s.") % institution.code,
                    "institution",
                )
                continue
            key = (institution.pk, identifier)
            if key in seen:
                first = seen[key]
                self.error(
                    rec,
                    _("The identifier “%(id)s” repeats (first at %(where)s).")
                    % {"id": identifier, "where": f"{first.source}:{first.line}"},
                    "identifier",
                )
                continue
            seen[key] = rec
            values: dict[str, Any] = {}
            ok = True
            for column, (attr, parse) in fields.items():
                if column not in rec.values:
                    continue
                if column in DEFAULTED and _blank(rec.values[column]):
                    # A blank choice or yes/no cell means "as it is" (the default for new rows).
                    if column in REQUIRED[kind] and key not in existing:
                        self.error(rec, _("This value is required."), column)
                        ok = False
                    continue
                try:
                    values[attr] = parse(rec.values[column])
                except Invalid as exc:
                    self.error(rec, str(exc), column)
                    ok = False
            if not ok:
                continue
            obj = existing.get(key)
            if obj is None:
                obj = model(institution=institution, identifier=identifier, **values)
                self.plan.new[kind][key] = obj
                keys.add(key)
            else:
                changed = [a for a, v in values.items() if getattr(obj, a) != v]
                if changed:
                    before = snapshot(obj)
                    for a in changed:
                        setattr(obj, a, values[a])
                    self.plan.changed[kind][key] = (obj, before, changed)
                else:
                    self.plan.unchanged[kind] += 1
            self._plan_owners(rec, kind, key)
            if kind == SERVICES:
                self._plan_sla(rec, key)

    def _staff_user(self, rec: Record, username: str, column: str, key: Key) -> User | None:
        user = self.user(rec, username, column)
        if user is not None and (user.pk, key[0]) not in self.staff:
            code = next(c for c, i in self.plan.institutions.items() if i.pk == key[0])
            self.error(
                rec,
                _("“%(user)s” is not a staff member of %(institution)s.")
                % {"user": username, "institution": code},
                column,
            )
            return None
        return user

    def _plan_owners(self, rec: Record, kind: str, key: Key) -> None:
        owner = str(rec.values.get("owner", "") or "").strip()
        if owner:
            user = self._staff_user(rec, owner, "owner", key)
            if user is not None and self.current_owner.get((kind, key)) != user.pk:
                self.plan.owners[(kind, key)] = user
        if kind == SERVICES and rec.values.get("providers"):
            found = [
                self._staff_user(rec, u, "providers", key)
                for u in parse_list(rec.values["providers"])
            ]
            held = self.current_providers.get(key, set())
            missing = [u for u in found if u is not None and u.pk not in held]
            if missing:
                self.plan.providers[key] = missing
        if kind == SERVICES and "related" in rec.values:
            self.listed_related[key] = {(key[0], i) for i in parse_list(rec.values["related"])}
            self.related_records[key] = rec

    def _plan_related(self) -> None:
        """Related services are symmetric: a pair listed on either row is wanted on both, so a
        file that lists it on one side only re-imports as a no-op."""
        wanted = {key: set(listed) for key, listed in self.listed_related.items()}
        for key, listed in self.listed_related.items():
            for other in listed:
                if other in wanted:
                    wanted[other].add(key)
        for key, targets in wanted.items():
            rec = self.related_records[key]
            bad = False
            for other in sorted(targets):
                if other == key:
                    self.error(rec, _("A service cannot be related to itself."), "related")
                    bad = True
                elif other not in self.service_keys:
                    self.error(rec, _("Unknown related service “%s”.") % other[1], "related")
                    bad = True
            if not bad and targets != self.current_related.get(key, set()):
                self.plan.related[key] = sorted(targets)

    def _plan_sla(self, rec: Record, key: Key) -> None:
        present = [c for c in SLA_COLUMNS if str(rec.values.get(c, "") or "").strip() != ""]
        if not present:
            return
        v = rec.values
        try:
            targets: dict[str, tuple[int, int]] = {}
            for p in Priority.values:
                response = parse_minutes(v.get(f"{p.lower()}_response", ""))
                resolution = parse_minutes(v.get(f"{p.lower()}_resolution", ""))
                if (response is None) != (resolution is None):
                    raise Invalid(_("%s: give both the response and the resolution target.") % p)
                if response is not None and resolution is not None:
                    if resolution < response:
                        raise Invalid(_("%s: resolution cannot be due before the response.") % p)
                    targets[p] = (response, resolution)
            plan = SLAPlan(
                around_the_clock=parse_bool(v.get("around_the_clock", "") or False),
                support_start=parse_time(v.get("support_start") or "08:30"),
                support_end=parse_time(v.get("support_end") or "17:00"),
                support_days=parse_days(v.get("support_days") or "12345"),
                availability_target=parse_decimal(v.get("availability_target") or "99"),
                targets=targets,
            )
        except Invalid as exc:
            self.error(rec, str(exc))
            return
        if not plan.around_the_clock and plan.support_start >= plan.support_end:
            self.error(rec, _("Support must end after it starts."), "support_end")
            return
        if self.current_sla.get(key) != plan:
            self.plan.sla[key] = plan
            if key in self.current_sla:
                self.plan.sla_before[key] = self.current_sla[key]

    def _may_see_resource(self, key: Key) -> bool:
        if key in self.plan.new[RESOURCES]:
            return True
        if not hasattr(self, "_visible_resources"):
            self._visible_resources = {
                (inst, ident)
                for inst, ident in Resource.objects.visible_to(self.actor)
                .filter(institution__in=self.plan.institutions.values())
                .values_list("institution_id", "identifier")
            }
        return key in self._visible_resources

    def _plan_dependencies(self) -> None:
        existing_service_edges = set(
            ServiceDependency.objects.filter(
                service__institution__in=self.plan.institutions.values()
            ).values_list(
                "service__institution_id",
                "service__identifier",
                "resource__institution_id",
                "resource__identifier",
            )
        )
        existing_resource_edges = set(
            ResourceDependency.objects.filter(
                resource__institution__in=self.plan.institutions.values()
            ).values_list(
                "resource__institution_id",
                "resource__identifier",
                "depends_on__institution_id",
                "depends_on__identifier",
            )
        )
        for rec in _progress(self.bundle.records[DEPENDENCIES], self.progress, DEPENDENCIES):
            from_type = fold(str(rec.values.get("from_type", "")))
            if from_type not in ("service", "resource", "pakalpojums", "resurss"):
                self.error(rec, _("Write “service” or “resource”."), "from_type")
                continue
            is_service = from_type in ("service", "pakalpojums")
            src_inst = self.institution(rec, "from_institution")
            dst_inst = self.institution(rec, "to_institution")
            if src_inst is None or dst_inst is None:
                continue
            permission = "manage_services" if is_service else "manage_resources"
            if not self.allowed(permission, src_inst):
                self.error(
                    rec,
                    _("You may not change the catalog of %s.") % src_inst.code,
                    "from_institution",
                )
                continue
            src = (src_inst.pk, str(rec.values.get("from_identifier", "")).strip())
            dst = (dst_inst.pk, str(rec.values.get("to_identifier", "")).strip())
            if src not in (self.service_keys if is_service else self.resource_keys):
                self.error(
                    rec,
                    _("Unknown %(kind)s “%(id)s”.")
                    % {"kind": _("service") if is_service else _("resource"), "id": src[1]},
                    "from_identifier",
                )
                continue
            if dst not in self.resource_keys or not self._may_see_resource(dst):
                # The same message whether it does not exist or is not the importer's to see.
                self.error(rec, _("Unknown resource “%s”.") % dst[1], "to_identifier")
                continue
            if is_service:
                if (*src, *dst) in existing_service_edges:
                    self.plan.unchanged[DEPENDENCIES] += 1
                else:
                    self.plan.service_edges.add((src, dst))
            elif src == dst:
                self.error(rec, _("A resource cannot depend on itself."), "to_identifier")
            elif (*src, *dst) in existing_resource_edges:
                self.plan.unchanged[DEPENDENCIES] += 1
            else:
                self.plan.resource_edges.add((src, dst))

    def _check_cycles(self) -> None:
        if not self.plan.resource_edges:
            return
        by_id = {r.pk: k for k, r in self.resources.items()}
        edges: list[tuple[Hashable, Hashable]] = list(self.plan.resource_edges)
        for src_id, dst_id in ResourceDependency.objects.values_list(
            "resource_id", "depends_on_id"
        ):
            edges.append((by_id.get(src_id, ("id", src_id)), by_id.get(dst_id, ("id", dst_id))))
        cycle = find_cycle(edges)
        if cycle is not None:
            code = {i.pk: i.code for i in self.plan.institutions.values()}
            names = [
                f"{code.get(n[0], '?')}:{n[1]}" if isinstance(n[0], int) else f"#{n[1]}"
                for n in cycle
                if isinstance(n, tuple)
            ]
            self.plan.errors.append(
                RowError(
                    DEPENDENCIES, 0, _("The dependencies form a cycle: %s.") % " → ".join(names)
                )
            )


# --- Applying -------------------------------------------------------------------------------


AUDIT_FIELDS = [
    "at",
    "actor_id",
    "actor_label",
    "verb",
    "content_type_id",
    "object_id",
    "object_repr",
    "institution_id",
    "before",
    "after",
    "request_id",
]


def apply(plan: Plan, progress: Any = None) -> None:
    """Write the plan. Call inside a transaction, after checking ``plan.errors`` is empty.

    New objects, edges and audit events go in with plain multi-row INSERTs (``bulk_insert``):
    at 160,000 rows the ORM's per-row overhead would dominate the import.
    """
    actor = plan.actor
    now = timezone.now()
    events: list[list[Any]] = []
    request_id = current_request_id()
    authenticated = getattr(actor, "is_authenticated", False)
    actor_label = actor.get_username() if authenticated else "system"
    actor_id = actor.pk if authenticated else None
    content_types: dict[type, int] = {
        m: ContentType.objects.get_for_model(m).pk for m in (Service, Resource)
    }

    def event(verb: str, obj: Any, before: Any, after: Any) -> None:
        events.append(
            [
                now,
                actor_id,
                actor_label,
                verb,
                content_types[type(obj)],
                str(obj.pk),
                str(obj)[:300],
                obj.institution_id,
                before,
                after,
                request_id,
            ]
        )

    services: dict[Key, Service] = {}
    resources: dict[Key, Resource] = {}
    stores: dict[str, dict[Key, Any]] = {SERVICES: services, RESOURCES: resources}
    for kind, model in ((SERVICES, Service), (RESOURCES, Resource)):
        created: list[Any] = list(plan.new[kind].values())
        names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        for obj in created:
            obj.created_at = obj.updated_at = now
        bulk_insert(model, names, ([getattr(o, n) for n in names] for o in created))
        changed = plan.changed[kind]
        for obj, _before, _attrs in changed.values():
            obj.updated_at = now  # type: ignore[attr-defined]
        fields = sorted({a for _obj, _before, attrs in changed.values() for a in attrs})
        if changed:
            model.objects.bulk_update(
                [c[0] for c in changed.values()],  # type: ignore[misc]
                [*fields, "updated_at"],
                batch_size=500,
            )
        stores[kind].update(plan.new[kind])
        stores[kind].update({k: v[0] for k, v in changed.items()})

    service_ids = _ids(Service, plan)
    resource_ids = _ids(Resource, plan)
    for kind, model, ids in ((SERVICES, Service, service_ids), (RESOURCES, Resource, resource_ids)):
        for key, obj in plan.new[kind].items():
            obj.pk = ids[key]
            event(f"{model._meta.model_name}.created", obj, None, snapshot(obj))
        for obj, before, _attrs in plan.changed[kind].values():
            event(f"{model._meta.model_name}.updated", obj, before, snapshot(obj))

    bulk_insert(
        ServiceDependency,
        ["service_id", "resource_id"],
        ((service_ids[s], resource_ids[d]) for s, d in plan.service_edges),
    )
    bulk_insert(
        ResourceDependency,
        ["resource_id", "depends_on_id"],
        ((resource_ids[s], resource_ids[d]) for s, d in plan.resource_edges),
    )
    edge_events(
        Resource,
        plan.resource_edges,
        resource_ids,
        resource_ids,
        resources,
        "resource.dependencies_added",
        "depends_on",
        event,
    )
    edge_events(
        Service,
        plan.service_edges,
        service_ids,
        resource_ids,
        services,
        "service.dependencies_added",
        "resources",
        event,
    )

    through = Service.related.through
    for key, related in plan.related.items():
        pk = service_ids[key]
        wanted = {service_ids[o] for o in related}
        current = set(
            through.objects.filter(from_service_id=pk).values_list("to_service_id", flat=True)
        )
        if wanted != current:
            Service.objects.get(pk=pk).related.set(wanted)

    _apply_sla(plan, service_ids, services, event)
    _apply_owners(plan, services, resources, service_ids, resource_ids)
    bulk_insert(AuditEvent, AUDIT_FIELDS, events)
    # The bulk audit bypasses the audit observer: tell the search index what changed.
    kinds = {content_types[Service]: "service", content_types[Resource]: "resource"}
    touch(f"{kinds[e[4]]}:{e[5]}" for e in events if e[4] in kinds)


def _ids(model: type[Service] | type[Resource], plan: Plan) -> dict[Key, int]:
    """Primary keys of every service (or resource) of the institutions in the plan, by key."""
    institution_ids = [i.pk for i in plan.institutions.values()]
    return {
        (inst, ident): pk
        for pk, inst, ident in model.objects.filter(institution_id__in=institution_ids)
        .values_list("pk", "institution_id", "identifier")
        .iterator(chunk_size=5000)
    }


def _objects(
    model: type[Service] | type[Resource],
    keys: Iterable[Key],
    ids: dict[Key, int],
    store: dict[Key, Any],
) -> dict[Key, Any]:
    """The model objects for ``keys``: from ``store`` when there, else fetched in one query."""
    missing = [ids[k] for k in keys if k not in store]
    fetched = {(o.institution_id, o.identifier): o for o in model.objects.filter(pk__in=missing)}
    return {k: store.get(k) or fetched[k] for k in keys}


def edge_events(
    model: type[Service] | type[Resource],
    edges: set[tuple[Key, Key]],
    source_ids: dict[Key, int],
    target_ids: dict[Key, int],
    store: dict[Key, Any],
    verb: str,
    field_name: str,
    event: Callable[[str, models.Model, Any, Any], None],
) -> None:
    """One audit event per source object listing the dependencies the import added to it."""
    grouped: dict[Key, list[int]] = defaultdict(list)
    for src, dst in edges:
        grouped[src].append(target_ids[dst])
    objects = _objects(model, grouped, source_ids, store)
    for key, targets in grouped.items():
        event(verb, objects[key], None, {field_name: sorted(targets)})


def _apply_sla(
    plan: Plan,
    service_ids: dict[Key, int],
    services: dict[Key, Service],
    event: Callable[[str, models.Model, Any, Any], None],
) -> None:
    """Create or change service levels and replace their targets, in bulk."""
    if not plan.sla:
        return
    pks = [service_ids[k] for k in plan.sla]
    existing = {lvl.service_id: lvl for lvl in ServiceLevel.objects.filter(service_id__in=pks)}
    new: list[ServiceLevel] = []
    changed: list[ServiceLevel] = []
    levels: dict[Key, ServiceLevel] = {}
    for key, sla in plan.sla.items():
        level = existing.get(service_ids[key])
        if level is None:
            level = ServiceLevel(service_id=service_ids[key])
            new.append(level)
        else:
            changed.append(level)
        level.around_the_clock = sla.around_the_clock
        level.support_start = sla.support_start
        level.support_end = sla.support_end
        level.support_days = sla.support_days
        level.availability_target = sla.availability_target
        levels[key] = level
    fields = [
        "around_the_clock",
        "support_start",
        "support_end",
        "support_days",
        "availability_target",
    ]
    ServiceLevel.objects.bulk_create(new, batch_size=500)
    ServiceLevel.objects.bulk_update(changed, fields, batch_size=500)
    ServiceLevelTarget.objects.filter(service_level__in=changed).delete()
    ServiceLevelTarget.objects.bulk_create(
        [
            ServiceLevelTarget(
                service_level=levels[key], priority=p, response_minutes=r, resolution_minutes=res
            )
            for key, sla in plan.sla.items()
            for p, (r, res) in sorted(sla.targets.items())
        ],
        batch_size=1000,
    )
    objects = _objects(Service, plan.sla, service_ids, services)
    for key, sla in plan.sla.items():
        before = plan.sla_before.get(key)
        event(
            "service.level_set",
            objects[key],
            _sla_snapshot(before, fields) if before else None,
            _sla_snapshot(sla, fields),
        )


def _sla_snapshot(sla: SLAPlan, fields: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {f: str(getattr(sla, f)) for f in fields}
    data["targets"] = {p: list(t) for p, t in sla.targets.items()}
    return data


def _apply_owners(
    plan: Plan,
    services: dict[Key, Service],
    resources: dict[Key, Resource],
    service_ids: dict[Key, int],
    resource_ids: dict[Key, int],
) -> None:
    from .. import operations as ops  # the owner operations audit themselves

    for (kind, key), user in plan.owners.items():
        store, model = (services, Service) if kind == SERVICES else (resources, Resource)
        obj = store.get(key) or model.objects.get(institution_id=key[0], identifier=key[1])
        ops.set_accountable_owner(actor=plan.actor, obj=obj, user=user)
    if not plan.providers:
        return
    from zina.accounts import operations as account_ops

    ct = ContentType.objects.get_for_model(Service)
    for key, users in plan.providers.items():
        obj = services.get(key) or Service.objects.get(institution_id=key[0], identifier=key[1])
        held = set(
            RoleAssignment.objects.filter(
                scope_type=ct, scope_id=obj.pk, role=Role.SERVICE_PROVIDER
            ).values_list("user_id", flat=True)
        )
        for user in users:
            if user.pk not in held:
                account_ops.assign_role(
                    actor=plan.actor,
                    user=user,
                    institution=obj.institution,
                    role=Role.SERVICE_PROVIDER,
                    responsibility=Responsibility.CO_RESPONSIBLE,
                    scope=obj,
                )
