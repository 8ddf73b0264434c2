"""The catalog exchange format: columns, reading CSV and JSON into records, value parsing."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from ..choices import Channel, Criticality, Priority, Recipient, ResourceType, Status
from ..models import (
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
    if value is None:
        return []
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
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise Invalid(_("Write a percentage between 0 and 100."))
    return number.quantize(Decimal("0.001"))


MAX_MINUTES = 10_000_000  # about 19 years of round-the-clock time; fits every database


def parse_minutes(value: Any) -> int | None:
    if value in ("", None):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(_("Write a whole number of minutes.")) from None
    if not 0 <= number <= MAX_MINUTES:
        raise Invalid(_("Write a whole number of minutes, at most %d.") % MAX_MINUTES)
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
