"""Catalog import and export: CSV (as Latvian Excel writes it) and JSON, in one format.

Reading turns files into records (one per row) without touching the database. Planning
validates every record against the database and the rest of the file and works out what would
change; nothing is written while any record has an error. Applying writes the plan in bulk in
the caller's transaction, with an audit event per created or changed object.
See docs/catalog-import.md for the format.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, RoleAssignment, User
from zina.core.audit import snapshot
from zina.core.middleware import current_request_id
from zina.core.models import AuditEvent
from zina.core.permissions import can

from .choices import Channel, Criticality, Priority, Recipient, ResourceType, Status
from .graph import find_cycle
from .models import (
    Resource,
    ResourceDependency,
    Service,
    ServiceDependency,
    ServiceLevel,
    ServiceLevelTarget,
    identifier_validator,
)

SERVICES, RESOURCES, DEPENDENCIES = "services", "resources", "dependencies"
KINDS = (SERVICES, RESOURCES, DEPENDENCIES)

SLA_COLUMNS = [
    "around_the_clock",
    "support_start",
    "support_end",
    "support_days",
    "availability_target",
    *[f"{p.lower()}_{what}" for p in Priority.values for what in ("response", "resolution")],
]
SERVICE_COLUMNS = [
    "institution",
    "identifier",
    "name",
    "name_en",
    "description",
    "description_en",
    "category",
    "recipients",
    "channels",
    "status",
    "public",
    "fee",
    "legal_basis",
    "related",
    "owner",
    "providers",
    *SLA_COLUMNS,
]
RESOURCE_COLUMNS = [
    "institution",
    "identifier",
    "name",
    "name_en",
    "description",
    "type",
    "criticality",
    "status",
    "owner",
]
DEPENDENCY_COLUMNS = [
    "from_type",
    "from_institution",
    "from_identifier",
    "to_institution",
    "to_identifier",
]
COLUMNS = {SERVICES: SERVICE_COLUMNS, RESOURCES: RESOURCE_COLUMNS, DEPENDENCIES: DEPENDENCY_COLUMNS}
REQUIRED = {
    SERVICES: ["institution", "identifier", "name"],
    RESOURCES: ["institution", "identifier", "name", "type"],
    DEPENDENCIES: DEPENDENCY_COLUMNS,
}
LIST_SEPARATORS = ("|", ",")


class FormatError(Exception):
    """The file as a whole cannot be read (encoding, no header, unknown kind)."""


@dataclass
class RowError:
    source: str
    line: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


@dataclass
class Record:
    kind: str
    source: str
    line: int
    values: dict[str, Any]


@dataclass
class Bundle:
    records: dict[str, list[Record]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[RowError] = field(default_factory=list)

    def extend(self, other: Bundle) -> None:
        for kind in KINDS:
            self.records[kind].extend(other.records[kind])
        self.errors.extend(other.errors)

    def __len__(self) -> int:
        return sum(len(v) for v in self.records.values())


# --- Reading ------------------------------------------------------------------------------------


def read_file(name: str, data: bytes, kind: str | None = None) -> Bundle:
    """Read one CSV or JSON file. Raises FormatError when the file as a whole is unusable."""
    text = decode(name, data)
    if name.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
        return read_json(name, text)
    return read_csv(name, text, kind)


def decode(name: str, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(
            _(
                "%(file)s is not in UTF-8 (byte %(pos)d). In Excel choose “Save as” → "
                "“CSV UTF-8 (comma delimited)”, or convert the file to UTF-8."
            )
            % {"file": name, "pos": exc.start + 1}
        ) from None


def detect_kind(columns: Iterable[str]) -> str | None:
    cols = set(columns)
    if "from_identifier" in cols or "to_identifier" in cols:
        return DEPENDENCIES
    if cols & {"type", "criticality"}:
        return RESOURCES
    if cols & {"recipients", "channels", "public", *SLA_COLUMNS} or {"identifier", "name"} <= cols:
        return SERVICES
    return None


def read_csv(name: str, text: str, kind: str | None = None) -> Bundle:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise FormatError(
            _("%(file)s is empty: the first line must name the columns.") % {"file": name}
        )
    header_line = lines[0]
    delimiter = max((";", ",", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    kind = kind or detect_kind(header)
    if kind not in KINDS:
        raise FormatError(
            _(
                "%(file)s: cannot tell whether the file holds services, resources or dependencies "
                "from its columns (%(columns)s)."
            )
            % {"file": name, "columns": ", ".join(header)}
        )
    bundle = Bundle()
    missing = [c for c in REQUIRED[kind] if c not in header]
    unknown = [c for c in header if c and c not in COLUMNS[kind]]
    if missing:
        bundle.errors.append(RowError(name, 1, _("Missing columns: %s.") % ", ".join(missing)))
    if unknown:
        bundle.errors.append(RowError(name, 1, _("Unknown columns: %s.") % ", ".join(unknown)))
    if missing or unknown:
        return bundle
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            bundle.errors.append(
                RowError(
                    name,
                    line,
                    _("The row has %(n)d cells; the header has %(h)d.")
                    % {"n": len(row), "h": len(header)},
                )
            )
            continue
        values = {col: row[i].strip() if i < len(row) else "" for i, col in enumerate(header)}
        bundle.records[kind].append(Record(kind, name, line, values))
    return bundle


def read_json(name: str, text: str) -> Bundle:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            _("%(file)s is not valid JSON: %(error)s (line %(line)d).")
            % {"file": name, "error": exc.msg, "line": exc.lineno}
        ) from None
    if not isinstance(document, dict) or not any(k in document for k in KINDS):
        raise FormatError(
            _("%(file)s: expected an object with “services”, “resources” or “dependencies” lists.")
            % {"file": name}
        )
    bundle = Bundle()
    for kind in KINDS:
        items = document.get(kind, [])
        if not isinstance(items, list):
            bundle.errors.append(RowError(name, 0, _("“%s” must be a list.") % kind))
            continue
        for index, item in enumerate(items, start=1):
            source = f"{name} {kind}[{index}]"
            if not isinstance(item, dict):
                bundle.errors.append(RowError(source, 0, _("Each entry must be an object.")))
                continue
            unknown = [k for k in item if k not in COLUMNS[kind]]
            missing = [k for k in REQUIRED[kind] if k not in item]
            if unknown or missing:
                parts = []
                if missing:
                    parts.append(_("Missing columns: %s.") % ", ".join(missing))
                if unknown:
                    parts.append(_("Unknown columns: %s.") % ", ".join(unknown))
                bundle.errors.append(RowError(source, 0, " ".join(parts)))
                continue
            bundle.records[kind].append(Record(kind, source, 0, item))
    return bundle


# --- Value parsing ------------------------------------------------------------------------------


class Invalid(ValueError):
    """A cell's value is not acceptable; the message is shown to the user."""


def fold(text: str) -> str:
    """Lowercase without diacritics: how Latvian users may type a value."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_choice_maps: dict[type[models.TextChoices], dict[str, str]] = {}


def choice_map(choices: type[models.TextChoices]) -> dict[str, str]:
    if choices not in _choice_maps:
        mapping: dict[str, str] = {}
        for value, label in choices.choices:
            mapping[fold(value)] = value
            for language in ("en", "lv"):
                with translation.override(language):
                    mapping[fold(str(label))] = value
        _choice_maps[choices] = mapping
    return _choice_maps[choices]


def parse_choice(value: Any, choices: type[models.TextChoices]) -> str:
    code = choice_map(choices).get(fold(str(value)))
    if code is None:
        raise Invalid(
            _("Unknown value “%(value)s”. Allowed: %(allowed)s.")
            % {"value": value, "allowed": ", ".join(choices.values)}
        )
    return code


def parse_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value)
    for sep in LIST_SEPARATORS:
        if sep in text:
            return [v.strip() for v in text.split(sep) if v.strip()]
    return [text.strip()] if text.strip() else []


def parse_choice_list(value: Any, choices: type[models.TextChoices]) -> list[str]:
    result: list[str] = []
    for item in parse_list(value):
        code = parse_choice(item, choices)
        if code not in result:
            result.append(code)
    return result


TRUE = {"1", "true", "yes", "ja", "y", "x"}
FALSE = {"0", "false", "no", "ne", "n", ""}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    folded = fold(str(value))
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise Invalid(_("Write yes or no (jā / nē)."))


def parse_time(value: Any) -> time:
    try:
        hours, minutes = str(value).strip().split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise Invalid(_("Write the time as HH:MM, e.g. 08:30.")) from None


def parse_decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("%", ""))
    except InvalidOperation:
        raise Invalid(_("Write a number, e.g. 99,5.")) from None
    if not Decimal(0) <= number <= Decimal(100):
        raise Invalid(_("Write a percentage between 0 and 100."))
    return number.quantize(Decimal("0.001"))


def parse_minutes(value: Any) -> int | None:
    if value in ("", None):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(_("Write a whole number of minutes.")) from None
    if number < 0:
        raise Invalid(_("Write a whole number of minutes."))
    return number


def parse_days(value: Any) -> str:
    digits = "".join(sorted(set(str(value).replace(",", "").replace(" ", ""))))
    if not digits or any(d not in "1234567" for d in digits):
        raise Invalid(_("Days as digits 1–7, Monday = 1."))
    return digits


def text_parser(max_length: int, required: bool = False) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise Invalid(_("This value is required."))
        if len(text) > max_length:
            raise Invalid(_("At most %d characters.") % max_length)
        return text

    return parse


def parse_identifier(value: Any) -> str:
    text = str(value or "").strip()
    try:
        identifier_validator(text)
    except Exception:
        raise Invalid(str(identifier_validator.message)) from None
    return text


SERVICE_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    # column: (model field, parser)
    "name": ("name", text_parser(300, required=True)),
    "name_en": ("name_en", text_parser(300)),
    "description": ("description", text_parser(20000)),
    "description_en": ("description_en", text_parser(20000)),
    "category": ("category", text_parser(120)),
    "recipients": ("recipients", lambda v: parse_choice_list(v, Recipient)),
    "channels": ("channels", lambda v: parse_choice_list(v, Channel)),
    "status": ("status", lambda v: parse_choice(v, Status)),
    "public": ("is_public", parse_bool),
    "fee": ("fee", text_parser(5000)),
    "legal_basis": ("legal_basis", text_parser(5000)),
}
RESOURCE_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name": ("name", text_parser(300, required=True)),
    "name_en": ("name_en", text_parser(300)),
    "description": ("description", text_parser(20000)),
    "type": ("type", lambda v: parse_choice(v, ResourceType)),
    "criticality": ("criticality", lambda v: parse_choice(v, Criticality)),
    "status": ("status", lambda v: parse_choice(v, Status)),
}


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

    def _plan_owners(self, rec: Record, kind: str, key: Key) -> None:
        owner = str(rec.values.get("owner", "") or "").strip()
        if owner:
            user = self.user(rec, owner, "owner")
            if user is not None and self.current_owner.get((kind, key)) != user.pk:
                self.plan.owners[(kind, key)] = user
        if kind == SERVICES and rec.values.get("providers"):
            found = [self.user(rec, u, "providers") for u in parse_list(rec.values["providers"])]
            held = self.current_providers.get(key, set())
            missing = [u for u in found if u is not None and u.pk not in held]
            if missing:
                self.plan.providers[key] = missing
        if kind == SERVICES and "related" in rec.values:
            wanted = {(key[0], i) for i in parse_list(rec.values["related"])}
            if wanted != self.current_related.get(key, set()):
                self.plan.related[key] = sorted(wanted)
                self.related_records[key] = rec

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
            if dst not in self.resource_keys:
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
        for key, related in self.plan.related.items():
            for other in related:
                if other == key:
                    self.error(
                        self.related_records[key],
                        _("A service cannot be related to itself."),
                        "related",
                    )
                elif other not in self.service_keys:
                    self.error(
                        self.related_records[key],
                        _("Unknown related service “%s”.") % other[1],
                        "related",
                    )

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


def apply(plan: Plan, progress: Any = None) -> None:
    """Write the plan. Call inside a transaction, after checking ``plan.errors`` is empty."""
    actor = plan.actor
    events: list[AuditEvent] = []
    request_id = current_request_id()
    actor_label = actor.get_username() if getattr(actor, "is_authenticated", False) else "system"
    actor_ref = actor if getattr(actor, "is_authenticated", False) else None

    def event(verb: str, obj: models.Model, before: Any, after: Any) -> None:
        events.append(
            AuditEvent(
                actor=actor_ref,
                actor_label=actor_label,
                verb=verb,
                content_type=ContentType.objects.get_for_model(obj),
                object_id=str(obj.pk),
                object_repr=str(obj)[:300],
                institution_id=obj.institution_id,  # type: ignore[attr-defined]
                before=before,
                after=after,
                request_id=request_id,
            )
        )

    services: dict[Key, Service] = {}
    resources: dict[Key, Resource] = {}
    for kind, model, store in ((SERVICES, Service, services), (RESOURCES, Resource, resources)):
        created = list(plan.new[kind].values())
        model.objects.bulk_create(created, batch_size=500)  # type: ignore[arg-type]
        for obj in created:
            event(f"{model._meta.model_name}.created", obj, None, snapshot(obj))
        changed = plan.changed[kind]
        fields = sorted({a for _obj, _before, attrs in changed.values() for a in attrs})
        if changed:
            model.objects.bulk_update(
                [c[0] for c in changed.values()],  # type: ignore[misc]
                [*fields, "updated_at"],
                batch_size=500,
            )
        for obj, before, _attrs in changed.values():
            event(f"{model._meta.model_name}.updated", obj, before, snapshot(obj))
        store.update(plan.new[kind])  # type: ignore[arg-type]
        store.update({k: v[0] for k, v in changed.items()})  # type: ignore[misc]

    institution_ids = [i.pk for i in plan.institutions.values()]

    def resolve(model: type[Service] | type[Resource], keys: set[Key]) -> dict[Key, int]:
        found: dict[Key, int] = {}
        for pk, inst, ident in model.objects.filter(institution_id__in=institution_ids).values_list(
            "pk", "institution_id", "identifier"
        ):
            if (inst, ident) in keys:
                found[(inst, ident)] = pk
        return found

    service_ids = resolve(
        Service,
        {s for s, _ in plan.service_edges}
        | set(plan.related)
        | {o for rel in plan.related.values() for o in rel}
        | set(plan.sla),
    )
    resource_ids = resolve(
        Resource,
        {d for _, d in plan.service_edges} | {k for edge in plan.resource_edges for k in edge},
    )
    ServiceDependency.objects.bulk_create(
        [
            ServiceDependency(service_id=service_ids[s], resource_id=resource_ids[d])
            for s, d in plan.service_edges
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    ResourceDependency.objects.bulk_create(
        [
            ResourceDependency(resource_id=resource_ids[s], depends_on_id=resource_ids[d])
            for s, d in plan.resource_edges
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    for src, dst in plan.resource_edges:
        obj = resources.get(src) or Resource.objects.get(pk=resource_ids[src])
        event("resource.dependency_added", obj, None, {"depends_on": resource_ids[dst]})
    for src, dst in plan.service_edges:
        obj = services.get(src) or Service.objects.get(pk=service_ids[src])
        event("service.dependency_added", obj, None, {"resource": resource_ids[dst]})

    through = Service.related.through
    for key, related in plan.related.items():
        pk = service_ids[key]
        wanted = {service_ids[o] for o in related}
        current = set(
            through.objects.filter(from_service_id=pk).values_list("to_service_id", flat=True)
        )
        if wanted != current:
            Service.objects.get(pk=pk).related.set(wanted)

    _apply_sla(plan, service_ids)
    _apply_owners(plan, services, resources, service_ids, resource_ids)
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def _apply_sla(plan: Plan, service_ids: dict[Key, int]) -> None:
    for key, sla in plan.sla.items():
        pk = service_ids[key]
        level, _created = ServiceLevel.objects.update_or_create(
            service_id=pk,
            defaults={
                "around_the_clock": sla.around_the_clock,
                "support_start": sla.support_start,
                "support_end": sla.support_end,
                "support_days": sla.support_days,
                "availability_target": sla.availability_target,
            },
        )
        current = {
            t.priority: (t.response_minutes, t.resolution_minutes) for t in level.targets.all()
        }
        if current != sla.targets:
            level.targets.all().delete()
            ServiceLevelTarget.objects.bulk_create(
                [
                    ServiceLevelTarget(
                        service_level=level, priority=p, response_minutes=r, resolution_minutes=s
                    )
                    for p, (r, s) in sorted(sla.targets.items())
                ]
            )


def _apply_owners(
    plan: Plan,
    services: dict[Key, Service],
    resources: dict[Key, Resource],
    service_ids: dict[Key, int],
    resource_ids: dict[Key, int],
) -> None:
    from . import operations as ops  # the owner operations audit themselves

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


# --- Exporting ----------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows(
    services: Iterable[Service], resources: Iterable[Resource]
) -> dict[str, list[dict[str, Any]]]:
    """Rows for every kind, typed (lists, booleans, numbers) as the JSON format has them."""
    services = list(services)
    resources = list(resources)
    service_ids = [s.pk for s in services]
    resource_ids = [r.pk for r in resources]
    sct = ContentType.objects.get_for_model(Service)
    rct = ContentType.objects.get_for_model(Resource)
    owners: dict[tuple[int, int], str] = {}
    providers: dict[int, list[str]] = defaultdict(list)
    for ct_id, scope_id, role, mark, username in (
        RoleAssignment.objects.filter(
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
        Service.related.through.objects.filter(from_service_id__in=service_ids)
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
                    "availability_target": str(level.availability_target.normalize()),
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
