"""Bulk import of existing knowledge: JSON Lines files and folders of Markdown files.

Reading turns files into entries (one per JSONL line or Markdown file) without touching the
database. Planning checks every entry against the database and the importing user's rights
and resolves it into the arguments of the existing operations; nothing is written while any
entry has an error. Applying calls ``create_article`` (and ``submit_for_review`` +
``publish_revision`` with ``--publish``) for every planned article in one transaction, so each
article gets the same audit trail as one written in the editor.

The row-error, decoding and value-folding helpers are the catalog importer's
(zina/catalog/transfer/formats.py), so both importers report problems the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.accounts.roles import (
    MANAGE_KNOWLEDGE,
    has_capability,
    holds_role_on,
    staff_institutions,
)
from zina.catalog.models import Service
from zina.catalog.transfer.formats import FormatError, RowError, choice_map, decode, fold
from zina.core.permissions import can, is_superuser

from .choices import ArticleType, Audience, Language, Licence
from .models import Article, ArticleRevision
from .operations import (
    ArticleSettings,
    ArticleText,
    create_article,
    publish_revision,
    set_article_owner,
    submit_for_review,
)
from .permissions import licence_level

TEXT_KEYS = ("title", "body", "symptoms", "environment", "cause", "resolution")
CHOICE_KEYS = ("type", "audience", "language")
KEYS = (*TEXT_KEYS, "keywords", *CHOICE_KEYS, "service", "institution", "owner")
# In a Markdown file the text after the front matter is the body.
FRONT_MATTER_KEYS = tuple(k for k in KEYS if k != "body")
TITLE_MAX = ArticleRevision._meta.get_field("title").max_length or 300
KEYWORDS_MAX = ArticleRevision._meta.get_field("keywords").max_length or 500
JSONL_SUFFIXES = (".jsonl",)
MARKDOWN_SUFFIXES = (".md", ".markdown")

Progress = Callable[[Sequence[Any], str], Iterable[Any]]


def _no_progress(items: Sequence[Any], desc: str) -> Iterable[Any]:
    return items


# --- Choices ------------------------------------------------------------------------------------

_choice_lookups: dict[type[models.TextChoices], dict[str, str]] = {}


def choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Folded spellings → code: the catalog's map (codes, English and Latvian labels), plus
    each label without its parenthesised note ("Iekšējs" for "Iekšējs (darbinieki)") and each
    code with spaces or hyphens for its underscores ("known error", "known-error")."""
    if choices not in _choice_lookups:
        lookup = dict(choice_map(choices))
        for spelling, code in list(lookup.items()):
            short = re.sub(r"\s*\(.*\)\s*$", "", spelling)
            if short and short not in lookup:
                lookup[short] = code
        for code in choices.values:
            for variant in (code.replace("_", " "), code.replace("_", "-")):
                lookup.setdefault(fold(variant), code)
        _choice_lookups[choices] = lookup
    return _choice_lookups[choices]


def parse_choice(value: Any, choices: type[models.TextChoices]) -> str | None:
    """The code for a code or label (any case, with or without diacritics), or None."""
    return choice_lookup(choices).get(fold(str(value)))


# --- Reading ------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One article as read from a file: raw values, and where each came from."""

    source: str
    line: int
    values: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


@dataclass
class Batch:
    """Everything read from the files of one import, with the problems found while reading."""

    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.entries.extend(other.entries)
        self.errors.extend(other.errors)


def _decode(name: str, data: bytes, batch: Batch) -> str | None:
    try:
        # The short name: the error's source already says where the file is.
        return decode(Path(name).name, data)
    except FormatError as exc:
        # Name the line of the first bad byte too: JSONL users look for the line.
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        bad = _first_bad_byte(data[start:])
        line = data[start : start + bad].count(b"\n") + 1
        batch.errors.append(RowError(name, line, str(exc)))
        return None


def _first_bad_byte(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def _unknown_keys(keys: Iterable[str]) -> str:
    return _("Unknown keys: %(keys)s. Allowed: %(allowed)s.") % {
        "keys": ", ".join(keys),
        "allowed": ", ".join(KEYS),
    }


def read_jsonl(name: str, data: bytes) -> Batch:
    """One article per line; blank lines are skipped."""
    batch = Batch()
    text = _decode(name, data, batch)
    if text is None:
        return batch
    # Split on "\n" only: JSON strings may hold U+2028 and other characters that
    # str.splitlines() would treat as line breaks.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            batch.errors.append(
                RowError(
                    name,
                    number,
                    _("Not valid JSON: %(error)s (column %(column)d).")
                    % {"error": exc.msg, "column": exc.colno},
                )
            )
            continue
        if not isinstance(item, dict):
            batch.errors.append(RowError(name, number, _("Each line must be a JSON object.")))
            continue
        unknown = [k for k in item if k not in KEYS]
        if unknown:
            batch.errors.append(RowError(name, number, _unknown_keys(unknown)))
            continue
        batch.entries.append(Entry(name, number, item))
    return batch


_HEADING = re.compile(r"^ {0,3}#[ \t]+(?P<title>.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _keyword_list(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    return [k for k in (_unquote(v) for v in value.split(",")) if k]


def read_markdown(name: str, data: bytes) -> Batch:
    """One article: optional front matter between ``---`` lines with ``key: value`` lines, then
    the Markdown body. The title is the front matter's, else the first ``# Heading`` (which is
    then removed from the body)."""
    batch = Batch()
    text = _decode(name, data, batch)
    if text is None:
        return batch
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    values: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            batch.errors.append(
                RowError(name, 1, _("The front matter is not closed with a “---” line."))
            )
            return batch
        for number, raw in enumerate(lines[1:end], start=2):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            key, colon, value = stripped.partition(":")
            key = key.strip().lower()
            if not colon or not key:
                batch.errors.append(
                    RowError(name, number, _("Write front matter lines as “key: value”."))
                )
            elif key == "body":
                batch.errors.append(
                    RowError(
                        name,
                        number,
                        _("The text after the front matter is the body; remove “body:”."),
                    )
                )
            elif key not in FRONT_MATTER_KEYS:
                batch.errors.append(RowError(name, number, _unknown_keys([key])))
            elif key in values:
                batch.errors.append(
                    RowError(name, number, _("“%s” is given twice.") % key, column=key)
                )
            else:
                values[key] = _keyword_list(value) if key == "keywords" else _unquote(value)
                key_lines[key] = number
        start = end + 1
    body = lines[start:]
    if not str(values.get("title", "")).strip():
        values.pop("title", None)
        in_fence = False
        for index, raw in enumerate(body):
            if _FENCE.match(raw):
                in_fence = not in_fence
                continue
            heading = None if in_fence else _HEADING.match(raw)
            if heading:
                values["title"] = heading.group("title").strip()
                key_lines["title"] = start + index + 1
                del body[index]
                break
        else:
            batch.errors.append(
                RowError(
                    name,
                    0,
                    _("No title: add “title:” to the front matter or a “# Heading” line."),
                )
            )
    if batch.errors:
        return batch
    values["body"] = "\n".join(body).strip()
    batch.entries.append(Entry(name, 0, values, key_lines))
    return batch


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_paths(paths: Iterable[Path]) -> Batch:
    """Read the files and folders named on the command line: ``.jsonl`` files, Markdown files,
    and folders, whose ``*.md`` files (recursively, sorted, hidden ones skipped) are one
    article each."""
    batch = Batch()
    for path in paths:
        if not path.exists():
            batch.errors.append(RowError(str(path), 0, _("No such file or folder.")))
        elif path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in MARKDOWN_SUFFIXES and not _is_hidden(p, path)
            )
            if not found:
                batch.errors.append(
                    RowError(str(path), 0, _("The folder holds no Markdown (.md) files."))
                )
            for file in found:
                batch.extend(_read_file(file, read_markdown))
        elif path.suffix.lower() in JSONL_SUFFIXES:
            batch.extend(_read_file(path, read_jsonl))
        elif path.suffix.lower() in MARKDOWN_SUFFIXES:
            batch.extend(_read_file(path, read_markdown))
        else:
            batch.errors.append(
                RowError(
                    str(path),
                    0,
                    _("Give a JSON Lines file (.jsonl), a Markdown file (.md) or a folder."),
                )
            )
    return batch


def _read_file(path: Path, reader: Callable[[str, bytes], Batch]) -> Batch:
    try:
        data = path.read_bytes()
    except OSError as exc:
        batch = Batch()
        batch.errors.append(RowError(str(path), 0, exc.strerror or str(exc)))
        return batch
    return reader(str(path), data)


# --- Planning -----------------------------------------------------------------------------------


@dataclass
class ImportOptions:
    """The command line's defaults for values an entry leaves out."""

    institution: Institution | None = None
    type: str = ArticleType.SOLUTION
    audience: str = Audience.INTERNAL
    language: str = Language.LATVIAN
    publish: bool = False


def resolve_options(
    *,
    institution: str | None = None,
    audience: str | None = None,
    language: str | None = None,
    publish: bool = False,
) -> ImportOptions:
    """Options as typed on the command line; FormatError names a value that is not known."""
    options = ImportOptions(publish=publish)
    if institution:
        found = Institution.objects.filter(code=institution.strip().lower()).first()
        if found is None:
            raise FormatError(_("Unknown institution “%s”.") % institution)
        options.institution = found
    for key, value, choices in (
        ("audience", audience, Audience),
        ("language", language, Language),
    ):
        if value:
            code = parse_choice(value, choices)
            if code is None:
                raise FormatError(_unknown_value(key, value, choices))
            setattr(options, key, code)
    return options


def _unknown_value(key: str, value: Any, choices: type[models.TextChoices]) -> str:
    messages = {
        "type": _("Unknown article type “%(value)s”. Allowed: %(allowed)s."),
        "audience": _("Unknown audience “%(value)s”. Allowed: %(allowed)s."),
        "language": _("Unknown language “%(value)s”. Allowed: %(allowed)s."),
    }
    return messages[key] % {"value": value, "allowed": ", ".join(choices.values)}


@dataclass
class PlannedArticle:
    """An entry resolved into the arguments of ``create_article``."""

    source: str
    line: int
    institution: Institution
    settings: ArticleSettings
    text: ArticleText
    language: str
    owner: User
    publish: bool

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        services = ", ".join(s.identifier for s in self.settings.services)
        parts = [
            self.institution.code,
            self.settings.type,
            self.settings.audience,
            self.language,
            *([services] if services else []),
            self.owner.get_username(),
            _("publish") if self.publish else _("draft"),
        ]
        return f"{where}: {self.text.title} [{' · '.join(parts)}]"


@dataclass
class ImportReport:
    """What an import did, or would do, and every problem found."""

    planned: list[PlannedArticle]
    errors: list[RowError]
    dry_run: bool
    created: list[ArticleRevision] = field(default_factory=list)

    @property
    def to_create(self) -> int:
        return len(self.planned)

    @property
    def to_publish(self) -> int:
        return sum(1 for p in self.planned if p.publish)


def may_publish_new(
    user: User, institution: Institution, audience: str, services: Sequence[Service]
) -> bool:
    """``permissions.can_publish`` for an article that does not exist yet (it reads the saved
    article's links, so it cannot be asked before creation). Keep the two in step; applying
    the plan calls ``publish_revision``, which checks the real rule again."""
    if is_superuser(user) or has_capability(user, MANAGE_KNOWLEDGE, institution.pk):
        return True
    if any(holds_role_on(user, Role.SERVICE_OWNER, s) for s in services):
        return True
    level = licence_level(user, institution.pk)
    if level == Licence.PUBLISHER:
        return True
    return level == Licence.CONTRIBUTOR and audience != Audience.PUBLIC


class Planner:
    """Checks a batch against the database and the actor's rights, entry by entry."""

    def __init__(self, actor: User, options: ImportOptions) -> None:
        self.actor = actor
        self.options = options
        self.errors: list[RowError] = []
        self.planned: list[PlannedArticle] = []
        self.institutions: dict[str, Institution | None] = {}
        if options.institution is not None:
            self.institutions[options.institution.code] = options.institution
        self.users: dict[str, User | None] = {actor.get_username().lower(): actor}
        self.services: dict[int, dict[str, Service]] = {}
        self.rights: dict[int, bool] = {}

    def error(self, entry: Entry, message: str, key: str = "") -> None:
        self.errors.append(RowError(entry.source, entry.line_of(key), message, key))

    def run(self, batch: Batch, progress: Progress = _no_progress) -> None:
        self.errors.extend(batch.errors)
        for entry in progress(batch.entries, _("Checking")):
            self.plan(entry)

    # values

    def text(self, entry: Entry, key: str) -> str:
        value = entry.values.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(entry, _("Write text."), key)
            return ""
        return value.strip()

    def keywords(self, entry: Entry) -> str:
        value = entry.values.get("keywords")
        if value is None:
            return ""
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = value
        else:
            self.error(
                entry, _("Write keywords as text, separated by commas, or a list."), "keywords"
            )
            return ""
        text = ", ".join(k.strip() for k in items if k.strip())
        if len(text) > KEYWORDS_MAX:
            self.error(entry, _("At most %d characters.") % KEYWORDS_MAX, "keywords")
        return text

    def choice(
        self, entry: Entry, key: str, choices: type[models.TextChoices], default: str
    ) -> str:
        value = entry.values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        code = parse_choice(value, choices) if isinstance(value, str) else None
        if code is None:
            self.error(entry, _unknown_value(key, value, choices), key)
            return default
        return code

    def names(self, entry: Entry, key: str) -> list[str]:
        value = entry.values.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
        self.error(entry, _("Write text."), key)
        return []

    # the database

    def institution(self, entry: Entry) -> Institution | None:
        code = self.text(entry, "institution").lower()
        if not code:
            if self.options.institution is None:
                self.error(
                    entry,
                    _("No institution: give --institution or an “institution” value."),
                    "institution",
                )
            return self.options.institution
        if code not in self.institutions:
            self.institutions[code] = Institution.objects.filter(code=code).first()
        found = self.institutions[code]
        if found is None:
            self.error(entry, _("Unknown institution “%s”.") % code, "institution")
        return found

    def may_write(self, institution: Institution) -> bool:
        if institution.pk not in self.rights:
            self.rights[institution.pk] = can(self.actor, "write_knowledge", institution)
        return self.rights[institution.pk]

    def service_map(self, institution: Institution) -> dict[str, Service]:
        """The institution's services that the actor may see: others are "unknown", so the
        import cannot be used to probe for services the actor may not see."""
        if institution.pk not in self.services:
            self.services[institution.pk] = {
                s.identifier: s
                for s in Service.objects.visible_to(self.actor).filter(institution=institution)
            }
        return self.services[institution.pk]

    def user(self, username: str) -> User | None:
        # Usernames are unique regardless of case (accounts.operations.create_user).
        key = username.lower()
        if key not in self.users:
            self.users[key] = User.objects.filter(username__iexact=username, is_active=True).first()
        return self.users[key]

    # one entry

    def plan(self, entry: Entry) -> None:
        errors = len(self.errors)
        text = ArticleText(
            title=self.text(entry, "title"),
            **{k: self.text(entry, k) for k in TEXT_KEYS if k != "title"},
            keywords=self.keywords(entry),
        )
        if not text.title:
            self.error(entry, _("Missing title."), "title")
        elif len(text.title) > TITLE_MAX:
            self.error(entry, _("At most %d characters.") % TITLE_MAX, "title")
        options = self.options
        type_ = self.choice(entry, "type", ArticleType, options.type)
        audience = self.choice(entry, "audience", Audience, options.audience)
        language = self.choice(entry, "language", Language, options.language)
        service_names = self.names(entry, "service")
        owner_name = self.text(entry, "owner")
        institution = self.institution(entry)
        if institution is None:
            return
        if not self.may_write(institution):
            # Nothing more is looked up in an institution the actor may not write in.
            self.error(
                entry,
                _("“%(user)s” may not write articles in %(institution)s.")
                % {"user": self.actor.get_username(), "institution": institution.code},
                "institution",
            )
            return
        services = self.linked_services(entry, institution, service_names)
        owner = self.owner(entry, institution, owner_name)
        if options.publish and not may_publish_new(self.actor, institution, audience, services):
            self.error(
                entry,
                _(
                    "“%(user)s” may not publish %(audience)s articles in %(institution)s: that "
                    "needs a knowledge manager, an owner of a linked service or a KCS licence."
                )
                % {
                    "user": self.actor.get_username(),
                    "audience": audience,
                    "institution": institution.code,
                },
            )
        if len(self.errors) > errors or owner is None:
            return
        self.planned.append(
            PlannedArticle(
                source=entry.source,
                line=entry.line,
                institution=institution,
                settings=ArticleSettings(type=type_, audience=audience, services=services),
                text=text,
                language=language,
                owner=owner,
                publish=options.publish,
            )
        )

    def linked_services(
        self, entry: Entry, institution: Institution, names: list[str]
    ) -> list[Service]:
        services: list[Service] = []
        for name in names:
            service = self.service_map(institution).get(name)
            if service is None:
                self.error(
                    entry,
                    _("Unknown service “%(service)s” in %(institution)s.")
                    % {"service": name, "institution": institution.code},
                    "service",
                )
            elif service not in services:
                services.append(service)
        return services

    def owner(self, entry: Entry, institution: Institution, username: str) -> User | None:
        """The named owner, who must be active staff of the institution; by default the
        importing user (as ``create_article`` makes the author the owner)."""
        if not username:
            return self.actor
        owner = self.user(username)
        if owner is None:
            self.error(entry, _("Unknown or blocked user “%s”.") % username, "owner")
            return None
        if owner.pk != self.actor.pk and institution.pk not in staff_institutions(owner):
            self.error(
                entry,
                _("“%(user)s” is not a staff member of %(institution)s.")
                % {"user": username, "institution": institution.code},
                "owner",
            )
            return None
        return owner


# --- Applying -----------------------------------------------------------------------------------


class _Failed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


def _apply_one(actor: User, item: PlannedArticle) -> ArticleRevision:
    revision = create_article(
        actor=actor,
        institution=item.institution,
        settings=item.settings,
        text=item.text,
        language=item.language,
    )
    if item.publish:
        revision = submit_for_review(actor=actor, revision=revision)
        revision = publish_revision(actor=actor, revision=revision)
    if item.owner.pk != actor.pk:
        # create_article makes the importing user the owner; hand it over last, so the steps
        # above run with the importer as owner.
        set_article_owner(
            actor=actor, article=Article.objects.get(pk=revision.article_id), owner=item.owner
        )
    return revision


def apply(
    actor: User, planned: Sequence[PlannedArticle], progress: Progress
) -> list[ArticleRevision]:
    """Create (and publish) every planned article, in the caller's transaction. An operation
    refusing one of them raises ``_Failed`` naming its file and line."""
    created: list[ArticleRevision] = []
    for item in progress(planned, _("Importing")):
        try:
            created.append(_apply_one(actor, item))
        except PermissionDenied:
            raise _Failed(
                RowError(item.source, item.line, _("Permission denied by the operation."))
            ) from None
        except ValidationError as exc:
            raise _Failed(RowError(item.source, item.line, " ".join(exc.messages))) from None
    return created


def import_articles(
    *,
    actor: User,
    batch: Batch,
    options: ImportOptions,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a batch, all or nothing: every entry is checked first; if any has an error, or
    in a dry run, nothing is written and the report says what would be created."""
    progress = progress or _no_progress
    planner = Planner(actor, options)
    planner.run(batch, progress)
    report = ImportReport(planner.planned, planner.errors, dry_run)
    if report.errors or dry_run:
        return report
    try:
        with transaction.atomic():
            report.created = apply(actor, planner.planned, progress)
    except _Failed as exc:
        report.errors.append(exc.error)
        report.created = []
    return report
