"""API of the request management system: tickets of every kind (incidents, problems, changes,
service requests, complaints, suggestions), their workflow, work log, links and knowledge, and
the teams that work them.

Every read goes through ``visible_to`` — a ticket the caller may not see is a 404, exactly like
a missing one, so ids do not reveal what exists — and every write through
:mod:`zina.tickets.operations`, exactly as on the pages: 403 when the caller may see the ticket
but not do this, 422 with messages in the request's language when the input is wrong (nothing
is written then), 409 when the ticket changed since the caller read its ``version``.

Tickets are never deleted: the record is kept for the reports and the audit trail. A ticket
opened by mistake is cancelled (``POST /tickets/{id}/transitions`` with ``"action": "cancel"``)
or merged into the one kept (``POST /tickets/{id}/merge``).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from zina.accounts.models import Institution, User
from zina.catalog.choices import Priority
from zina.catalog.models import Resource, Service
from zina.core.permissions import can, require
from zina.knowledge.choices import TicketRelation
from zina.knowledge.models import Article, ArticleTicketLink
from zina.search.queries import ranked_ids

from . import operations as ops
from . import sla, workflow
from .choices import (
    OPEN_STATES,
    Channel,
    EntryKind,
    Kind,
    LinkKind,
    State,
    WaitingOn,
)
from .models import Team, Ticket, TicketEntry, TicketLink
from .queries import with_breached

router = Router(tags=["tickets"])


def actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _user(context: Any) -> Any:
    return actor(context["request"])


def _staff(context: Any, ticket: Ticket) -> bool:
    """Does the caller see this ticket as staff (reporter contacts, internal notes)?"""
    return can(_user(context), "staff", ticket)


def _enum(values: list[Any], description: str, default: Any = ...) -> Any:
    """A string field documented with its allowed values but checked by the operation, so a
    wrong value is a 422 with the operation's message in the request's language."""
    return Field(default, description=description, json_schema_extra={"enum": values})


# --- Schemas: tickets ----------------------------------------------------------------------------


class ClockOut(Schema):
    """One SLA target (response or resolution) as it stands now."""

    metric: Literal["response", "resolution"]
    due: datetime
    done_at: datetime | None
    target_minutes: int = Field(description="The target in working minutes.")
    remaining_minutes: int = Field(description="Working minutes left; negative once breached.")
    paused: bool = Field(description="Waiting on the recipient: the clock stands still.")
    status: Literal["met", "breached", "paused", "warning", "running"]
    breached: bool
    elapsed_percent: int


class TicketOut(Schema):
    id: int
    reference: str = Field(description='Kind prefix and id, e.g. "INC-12".')
    kind: Kind
    kind_label: str
    state: State
    state_label: str
    institution: str = Field(alias="institution.code")
    received_by: str | None = Field(
        description="Code of the shared desk that received the ticket and handed it over."
    )
    subject: str
    channel: Channel
    service: int | None = Field(alias="service_id")
    resource: int | None = Field(alias="resource_id")
    impact: int
    urgency: int
    priority: Priority
    level: int
    team: int | None = Field(description="The team, for callers who may see it.")
    team_name: str | None
    assignee: str | None = Field(description="Username of the assignee.")
    reporter: str | None = Field(description="Username of the reporter, if they have an account.")
    reporter_name: str | None = Field(description="Only for the ticket's staff.")
    reporter_email: str | None = Field(description="Only for the ticket's staff.")
    reporter_phone: str | None = Field(description="Only for the ticket's staff.")
    language: str
    waiting_on: str
    master: int | None = Field(description="The master incident, if the caller may see it.")
    merged_into: int | None = Field(description="The ticket kept, if the caller may see it.")
    response_due: datetime | None
    resolution_due: datetime | None
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Send it back with changes: a stale one is a 409.")

    @staticmethod
    def resolve_kind_label(obj: Ticket) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_state_label(obj: Ticket) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_received_by(obj: Ticket) -> str | None:
        return obj.received_by.code if obj.received_by else None

    @staticmethod
    def resolve_team(obj: Ticket) -> int | None:
        return obj.team_id if getattr(obj, "api_team_visible", False) else None

    @staticmethod
    def resolve_team_name(obj: Ticket) -> str | None:
        return obj.team.name if obj.team and getattr(obj, "api_team_visible", False) else None

    @staticmethod
    def resolve_assignee(obj: Ticket) -> str | None:
        return obj.assignee.username if obj.assignee else None

    @staticmethod
    def resolve_reporter(obj: Ticket) -> str | None:
        return obj.reporter.username if obj.reporter else None

    @staticmethod
    def resolve_reporter_name(obj: Ticket, context: Any) -> str | None:
        return obj.reporter_name if _staff(context, obj) else None

    @staticmethod
    def resolve_reporter_email(obj: Ticket, context: Any) -> str | None:
        return obj.reporter_email if _staff(context, obj) else None

    @staticmethod
    def resolve_reporter_phone(obj: Ticket, context: Any) -> str | None:
        return obj.reporter_phone if _staff(context, obj) else None

    @staticmethod
    def resolve_master(obj: Ticket) -> int | None:
        return obj.master_id if getattr(obj, "api_master_visible", False) else None

    @staticmethod
    def resolve_merged_into(obj: Ticket) -> int | None:
        return obj.merged_into_id if getattr(obj, "api_merged_visible", False) else None


class LinkOut(Schema):
    id: int
    source: int = Field(alias="source_id")
    target: int = Field(alias="target_id")
    kind: LinkKind
    created_at: datetime


class ArticleLinkOut(Schema):
    article: int = Field(alias="article_id")
    relation: TicketRelation


class ActionOut(Schema):
    action: str
    label: str
    target: State


class TicketDetailOut(TicketOut):
    description: str
    resolution: str
    interruption: bool
    interruption_start: datetime | None
    interruption_end: datetime | None
    root_cause: str
    workaround: str
    known_error_article: int | None
    change_type: str
    planned_start: datetime | None
    planned_end: datetime | None
    expected_downtime_minutes: int | None
    approved_by: str | None
    approved_at: datetime | None
    implementation_result: str
    evaluation: str | None = Field(description="A complaint's evaluation: only for its staff.")
    answer: str
    waiting_since: datetime | None
    time_spent_minutes: int | None = Field(description="Only for the ticket's staff.")
    sla: list[ClockOut] = Field(description="Response and resolution clocks (none: no SLA).")
    links: list[LinkOut] = Field(description="Links to and from tickets the caller works on.")
    linked_reports: list[int] = Field(description="Reports linked to this master incident.")
    articles: list[ArticleLinkOut] = Field(description="Linked articles the caller may read.")
    actions: list[ActionOut] = Field(description="Workflow moves open to the caller now.")

    @staticmethod
    def resolve_known_error_article(obj: Ticket, context: Any) -> int | None:
        pk = obj.known_error_article_id
        visible = Article.objects.visible_to(_user(context))
        return pk if pk is not None and visible.filter(pk=pk).exists() else None

    @staticmethod
    def resolve_approved_by(obj: Ticket) -> str | None:
        return obj.approved_by.username if obj.approved_by else None

    @staticmethod
    def resolve_evaluation(obj: Ticket, context: Any) -> str | None:
        return obj.evaluation if _staff(context, obj) else None

    @staticmethod
    def resolve_time_spent_minutes(obj: Ticket, context: Any) -> int | None:
        return obj.time_spent_minutes if _staff(context, obj) else None

    @staticmethod
    def resolve_sla(obj: Ticket) -> list[dict[str, Any]]:
        return [
            {
                "metric": c.metric,
                "due": c.due,
                "done_at": c.done_at,
                "target_minutes": c.target_minutes,
                "remaining_minutes": c.remaining_minutes,
                "paused": c.paused,
                "status": c.status,
                "breached": c.breached,
                "elapsed_percent": c.elapsed_percent,
            }
            for c in sla.clocks(obj, timezone.now())
        ]

    @staticmethod
    def resolve_links(obj: Ticket, context: Any) -> list[TicketLink]:
        links = TicketLink.objects.visible_to(_user(context))
        return list(links.filter(Q(source=obj) | Q(target=obj)).order_by("created_at", "pk"))

    @staticmethod
    def resolve_linked_reports(obj: Ticket, context: Any) -> list[int]:
        reports = Ticket.objects.visible_to(_user(context)).filter(master=obj).order_by("pk")
        return list(reports.values_list("pk", flat=True))

    @staticmethod
    def resolve_articles(obj: Ticket, context: Any) -> list[ArticleTicketLink]:
        visible = Article.objects.visible_to(_user(context))
        return list(
            ArticleTicketLink.objects.filter(
                ticket_type=ContentType.objects.get_for_model(Ticket),
                ticket_id=obj.pk,
                article__in=visible.values("pk"),
            ).order_by("pk")
        )

    @staticmethod
    def resolve_actions(obj: Ticket, context: Any) -> list[dict[str, Any]]:
        user = _user(context)
        work, approve = can(user, "work", obj), can(user, "approve", obj)
        return [
            {"action": m.action, "label": str(m.label), "target": m.target}
            for m in workflow.moves(obj.kind, obj.state)
            if (approve if m.action in ("approve", "reject") else work)
        ]


class ConflictOut(Schema):
    detail: str
    version: int = Field(description="The ticket's current version.")


KIND_FIELD = "Kind-specific: the operation refuses it on other kinds (422)."


class TicketFields(Schema):
    """What is said about a ticket. Services and resources by id; times in ISO 8601 (without
    an offset: Europe/Riga)."""

    description: str | None = None
    channel: str | None = _enum(Channel.values, "How the request arrived.", None)
    service: int | None = None
    resource: int | None = None
    impact: int | None = Field(None, description="1 high, 2 medium, 3 low.")
    urgency: int | None = Field(None, description="1 high, 2 medium, 3 low.")
    level: int | None = Field(None, description="Support level: 0, 1 or 2.")
    language: str | None = _enum([code for code, _name in settings.LANGUAGES], "Language.", None)
    interruption: bool | None = Field(None, description=f"Incidents. {KIND_FIELD}")
    interruption_start: datetime | None = Field(None, description=f"Incidents. {KIND_FIELD}")
    interruption_end: datetime | None = Field(None, description=f"Incidents. {KIND_FIELD}")
    root_cause: str | None = Field(None, description=f"Problems. {KIND_FIELD}")
    workaround: str | None = Field(None, description=f"Problems. {KIND_FIELD}")
    change_type: str | None = Field(
        None,
        description=f"Changes: standard, normal or emergency. {KIND_FIELD}",
        json_schema_extra={"enum": ["standard", "normal", "emergency"]},
    )
    planned_start: datetime | None = Field(None, description=f"Changes. {KIND_FIELD}")
    planned_end: datetime | None = Field(None, description=f"Changes. {KIND_FIELD}")
    expected_downtime_minutes: int | None = Field(None, description=f"Changes. {KIND_FIELD}")
    implementation_result: str | None = Field(None, description=f"Changes. {KIND_FIELD}")
    evaluation: str | None = Field(None, description=f"Complaints, suggestions. {KIND_FIELD}")
    answer: str | None = Field(None, description=f"Complaints, suggestions. {KIND_FIELD}")


class TicketCreateIn(TicketFields):
    kind: str = _enum(Kind.values, "The type of ticket.")
    institution: str = Field(description="Code of the institution the ticket is for.")
    subject: str
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    team: int | None = Field(None, description="Staff only: the team to give it to.")
    assignee: str | None = Field(None, description="Staff only: username of the assignee.")
    received_by: str | None = Field(
        None, description="Staff only: code of the shared desk that received the request."
    )


class TicketPatch(TicketFields):
    subject: str | None = None
    version: int | None = Field(
        None, description="The version the change is based on; a stale one is a 409."
    )


class TransitionIn(Schema):
    action: str = _enum(
        sorted({m.action for moves in workflow.WORKFLOWS.values() for m in moves}),
        "A move of the ticket's kind (see the ticket's `actions`).",
    )
    note: str = ""
    resolution: str = Field(
        "",
        description="resolve: how it was resolved (a complaint's answer, a change's result).",
    )
    waiting_on: str = _enum(WaitingOn.values, "wait: whom the ticket waits on.", "")
    version: int | None = None


class AssignIn(Schema):
    team: int | None = None
    assignee: str | None = Field(None, description="Username; null leaves it unassigned.")


class EscalateIn(Schema):
    to_level: int = Field(description="Support level 1 or 2.")
    reason: str
    team: int | None = None


class HandOverIn(Schema):
    institution: str = Field(description="Code of the institution that owns the service.")
    reason: str


class EntryOut(Schema):
    id: int
    ticket: int = Field(alias="ticket_id")
    kind: EntryKind
    author: str | None
    author_label: str
    body: str
    verb: str
    data: dict[str, Any] = Field(description="Details of an event (staff only).")
    minutes: int | None = Field(description="Time spent (staff only).")
    created_at: datetime

    @staticmethod
    def resolve_author(obj: TicketEntry) -> str | None:
        return obj.author.username if obj.author else None

    @staticmethod
    def resolve_data(obj: TicketEntry, context: Any) -> dict[str, Any]:
        return obj.data if _staff(context, obj.ticket) else {}

    @staticmethod
    def resolve_minutes(obj: TicketEntry, context: Any) -> int | None:
        return obj.minutes if _staff(context, obj.ticket) else None


class EntryIn(Schema):
    kind: str = _enum(
        [EntryKind.REPLY, EntryKind.NOTE, EntryKind.INCOMING],
        "reply (public, mailed to the reporter), note (internal, staff only) or incoming "
        "(a message from the reporter).",
    )
    body: str
    minutes: int = Field(0, description="Time spent, 0–1440.")


class LinkIn(Schema):
    target: int
    kind: str = _enum(LinkKind.values, "incident caused_by problem, problem fixed_by change, …")


class MasterIn(Schema):
    master: int | None = Field(description="The master incident; null unlinks.")


class MergeIn(Schema):
    into: int = Field(description="The ticket kept.")


class KnownErrorIn(Schema):
    root_cause: str = ""
    workaround: str
    audience: str = "internal"


class KnownErrorOut(Schema):
    article: int
    revision: int
    ticket: TicketDetailOut


class ArticleUseIn(Schema):
    article: int
    relation: str = _enum(
        [TicketRelation.USED_TO_RESOLVE], "Only used_to_resolve.", TicketRelation.USED_TO_RESOLVE
    )


class DraftArticleIn(Schema):
    language: str | None = _enum(["lv", "en"], "Defaults to the ticket's language.", None)


class ArticleDraftOut(Schema):
    article: int
    revision: int


class TeamOut(Schema):
    id: int
    institution: str = Field(alias="institution.code")
    name: str
    level: int
    email: str
    members: list[str]

    @staticmethod
    def resolve_members(obj: Team) -> list[str]:
        return sorted(u.username for u in obj.members.all())


# --- Helpers -------------------------------------------------------------------------------------


def _tickets(request: HttpRequest) -> QuerySet[Ticket]:
    """Tickets the caller may see, with what their representation needs in one query."""
    user = actor(request)
    visible = Ticket.objects.visible_to(user)
    return (
        visible.select_related(
            "institution", "received_by", "team", "assignee", "reporter", "approved_by"
        )
        .annotate(
            api_team_visible=Exists(Team.objects.visible_to(user).filter(pk=OuterRef("team_id"))),
            api_master_visible=Exists(visible.filter(pk=OuterRef("master_id"))),
            api_merged_visible=Exists(visible.filter(pk=OuterRef("merged_into_id"))),
        )
        .order_by()
    )


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    return get_object_or_404(_tickets(request), pk=pk)


def _invalid(field: str, value: Any) -> ValidationError:
    return ValidationError(
        {
            field: _("Select a valid choice. %(value)s is not one of the available choices.")
            % {"value": value}
        }
    )


def _pick(queryset: QuerySet[Any], field: str, value: Any, key: str = "pk") -> Any:
    """The object the caller named in ``field`` among those they may see; anything else is a
    422 on the field (the same whether it does not exist or is hidden)."""
    obj = queryset.filter(**{key: value}).first()
    if obj is None:
        raise _invalid(field, value)
    return obj


def _visible_ticket(request: HttpRequest, field: str, pk: int) -> Ticket:
    return _pick(Ticket.objects.visible_to(actor(request)), field, pk)


def _team(request: HttpRequest, pk: int | None) -> Team | None:
    return None if pk is None else _pick(Team.objects.visible_to(actor(request)), "team", pk)


def _assignee(username: str | None) -> User | None:
    """Anyone the operation accepts; an unknown name is refused with the same message as one
    who may not work on the ticket, so the answer does not reveal which usernames exist."""
    if username is None:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"assignee": _("This person cannot work on this ticket.")})
    return user


def _institution(request: HttpRequest, field: str, code: str) -> Institution:
    return _pick(Institution.objects.visible_to(actor(request)), field, code, key="code")


_NO_NUL = ProhibitNullCharactersValidator()


def _model_field(model: Any, name: str) -> Any:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return None if field.is_relation else field


def _check(values: dict[str, Any], model: Any = None) -> None:
    """What the database would refuse, refused first as a 422 in the request's language:
    NUL characters, over-long text, bad e-mail addresses, out-of-range numbers."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        try:
            if isinstance(value, str):
                _NO_NUL(value)
            if model is not None and isinstance(value, (str, int)) and not isinstance(value, bool):
                field = _model_field(model, name)
                if field is not None:
                    field.run_validators(value)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _ticket_data(request: HttpRequest, values: dict[str, Any]) -> ops.TicketData:
    """``TicketData`` from the given fields: ids become objects the caller may see, a null
    clears the field."""
    user = actor(request)
    _check(values, Ticket)
    language = values.get("language")
    if language is not None and language not in dict(settings.LANGUAGES):
        raise _invalid("language", language)
    data: dict[str, Any] = {}
    given: set[str] = set()
    for name, value in values.items():
        if name == "service" and value is not None:
            value = _pick(Service.objects.visible_to(user), name, value)
        elif name == "resource" and value is not None:
            value = _pick(Resource.objects.visible_to(user), name, value)
        elif isinstance(value, datetime):
            value = _aware(value)
        if value is None:
            given.add(name)
        data[name] = value
    return ops.TicketData(**data, given=given)


def _guard_version[M](
    ticket: Ticket, version: int | None, write: Callable[[], M]
) -> M | Status[Any]:
    """Run a versioned write; if it was refused because the ticket changed since ``version``
    (checked under the row lock by the operation), answer 409 with the current version."""
    try:
        return write()
    except ValidationError:
        current = Ticket.objects.filter(pk=ticket.pk).values_list("version", flat=True).first()
        if version is None or current is None or current == version:
            raise
        return Status(409, _conflict(current))


def _conflict(current: int) -> dict[str, Any]:
    return {
        "detail": _(
            "Someone else changed this ticket since you read it; it is now at version "
            "%(version)s. Read it again and repeat your change."
        )
        % {"version": current},
        "version": current,
    }


ORDERS: dict[str, list[Any]] = {
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-updated": ["-updated_at", "-id"],
    "due": [F("resolution_due").asc(nulls_last=True), "-created_at", "-id"],
    "priority": ["priority", F("resolution_due").asc(nulls_last=True), "-id"],
}


# --- Tickets -------------------------------------------------------------------------------------


@router.get("/tickets", response=list[TicketOut])
@paginate(LimitOffsetPagination)
def list_tickets(
    request: HttpRequest,
    kind: Kind | None = None,
    state: State | None = None,
    open: bool | None = None,
    priority: Priority | None = None,
    level: int | None = None,
    team: int | None = None,
    assignee: str | None = None,
    service: int | None = None,
    institution: str | None = None,
    breached: bool | None = None,
    q: str | None = None,
    order: Literal["-created", "created", "-updated", "due", "priority"] | None = None,
) -> QuerySet[Ticket]:
    """Tickets the caller may see: staff their institutions' queues, a reporter their own.

    ``open``: true for tickets still being worked on, false for finished ones. ``assignee``:
    a username, ``me`` or ``none`` (unassigned). ``breached``: true for tickets whose response
    or resolution clock is (or was) breached. ``q``: words, by relevance unless ``order`` is
    given; otherwise newest first. Tickets are never deleted (there is no DELETE): cancel one
    with a transition."""
    user = actor(request)
    qs = _tickets(request)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if open is not None:
        qs = qs.filter(state__in=OPEN_STATES) if open else qs.exclude(state__in=OPEN_STATES)
    if priority:
        qs = qs.filter(priority=priority)
    if level is not None:
        qs = qs.filter(level=level)
    if team is not None:
        qs = qs.filter(team__in=Team.objects.visible_to(user).filter(pk=team))
    if assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee__username=assignee)
    if service is not None:
        qs = qs.filter(service_id=service)
    if institution:
        qs = qs.filter(institution__code=institution)
    if breached is not None:
        now = timezone.now()
        qs = with_breached(qs, now, breached)
    if q and q.strip():
        ids = ranked_ids(user, q, "ticket")
        qs = qs.filter(pk__in=ids)
        if order is None and ids:
            whens = [When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)]
            return qs.order_by(Case(*whens, default=Value(len(ids))), "-id")
    return qs.order_by(*ORDERS[order or "-created"])


@router.get("/tickets/{pk}", response=TicketDetailOut)
def get_ticket(request: HttpRequest, pk: int) -> Ticket:
    """One ticket with its SLA clocks, links, linked reports, articles and the moves open to
    the caller. Contacts of the reporter, internal evaluation and time spent only for staff."""
    return _ticket(request, pk)


@router.post("/tickets", response={201: TicketDetailOut})
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> Status[Ticket]:
    """Open a ticket. The institution's staff record any kind with every field, for anyone
    (``reporter_*``), and may give it to a team or a person; anyone else opens an incident,
    request, complaint or suggestion about themselves with what a reporter can say. Tickets
    are never deleted: cancel one with a transition."""
    user = actor(request)
    institution = _institution(request, "institution", payload.institution)
    fields = payload.dict(
        exclude={"kind", "institution", "team", "assignee", "received_by"}, exclude_unset=True
    )
    contacts = {k: fields.pop(k, "") for k in ("reporter_name", "reporter_email", "reporter_phone")}
    fields = {k: v for k, v in fields.items() if v is not None}
    _check(contacts, Ticket)
    data = _ticket_data(request, fields)
    team = _team(request, payload.team)
    assignee = _assignee(payload.assignee)
    received_by = (
        _institution(request, "received_by", payload.received_by) if payload.received_by else None
    )
    reporter = None
    if any(contacts.values()):
        staff = can(user, "open_ticket", institution)
        reporter = ops.Reporter(
            user=None if staff else user,
            name=contacts.get("reporter_name") or "",
            email=contacts.get("reporter_email") or "",
            phone=contacts.get("reporter_phone") or "",
        )
    ticket = ops.open_ticket(
        actor=user,
        institution=institution,
        kind=payload.kind,
        data=data,
        reporter=reporter,
        team=team,
        assignee=assignee,
        received_by=received_by,
    )
    return Status(201, _ticket(request, ticket.pk))


@router.patch("/tickets/{pk}", response={200: TicketDetailOut, 409: ConflictOut})
def update_ticket(request: HttpRequest, pk: int, payload: TicketPatch) -> Any:
    """Change what the ticket says; fields left out keep their values, a null clears one.
    With ``version``, a ticket changed since is not overwritten: 409."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    values = payload.dict(exclude={"version"}, exclude_unset=True)
    data = _ticket_data(request, values)
    result = _guard_version(
        ticket,
        payload.version,
        lambda: ops.update_ticket(actor=user, ticket=ticket, data=data, version=payload.version),
    )
    return result if isinstance(result, Status) else _ticket(request, pk)


@router.post("/tickets/{pk}/transitions", response={200: TicketDetailOut, 409: ConflictOut})
def transition(request: HttpRequest, pk: int, payload: TransitionIn) -> Any:
    """Move the ticket along its kind's workflow: start, wait (``waiting_on``), resume,
    resolve (``resolution``), close, reopen, cancel; problems also known_error; changes
    submit, approve and reject (by the service's owner or whoever approves changes; a
    rejection needs a ``note``). Cancelling is how a ticket is withdrawn: tickets are never
    deleted."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "approve" if payload.action in ("approve", "reject") else "work", ticket)
    _check(payload.dict())
    result = _guard_version(
        ticket,
        payload.version,
        lambda: ops.transition(
            actor=user,
            ticket=ticket,
            action=payload.action,
            note=payload.note,
            resolution=payload.resolution,
            waiting_on=payload.waiting_on,
            version=payload.version,
        ),
    )
    return result if isinstance(result, Status) else _ticket(request, pk)


@router.post("/tickets/{pk}/assign", response=TicketDetailOut)
def assign(request: HttpRequest, pk: int, payload: AssignIn) -> Ticket:
    """Give the ticket to a team and/or a person of its institution (both replace the
    current ones; null clears)."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    team, assignee = _team(request, payload.team), _assignee(payload.assignee)
    ops.assign(actor=user, ticket=ticket, team=team, assignee=assignee)
    return _ticket(request, pk)


@router.post("/tickets/{pk}/take", response=TicketDetailOut)
def take(request: HttpRequest, pk: int) -> Ticket:
    """Assign the ticket to oneself and start work."""
    ops.take(actor=actor(request), ticket=_ticket(request, pk))
    return _ticket(request, pk)


@router.post("/tickets/{pk}/escalate", response=TicketDetailOut)
def escalate(request: HttpRequest, pk: int, payload: EscalateIn) -> Ticket:
    """Hand the ticket to another support level, with the reason (and optionally a team)."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    _check(payload.dict())
    ops.escalate(
        actor=user,
        ticket=ticket,
        to_level=payload.to_level,
        reason=payload.reason,
        team=_team(request, payload.team),
    )
    return _ticket(request, pk)


@router.post("/tickets/{pk}/hand-over", response=TicketDetailOut)
def hand_over(request: HttpRequest, pk: int, payload: HandOverIn) -> Ticket:
    """Hand a ticket received by a shared desk over to the institution that owns the service.
    The desk keeps seeing it."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    _check(payload.dict())
    institution = _institution(request, "institution", payload.institution)
    ops.hand_over(actor=user, ticket=ticket, institution=institution, reason=payload.reason)
    return _ticket(request, pk)


# --- Work log ------------------------------------------------------------------------------------


@router.get("/tickets/{pk}/entries", response=list[EntryOut])
@paginate(LimitOffsetPagination)
def list_entries(request: HttpRequest, pk: int) -> QuerySet[TicketEntry]:
    """The ticket's work log, oldest first: replies and messages for everyone who sees the
    ticket; internal notes and events only for its staff."""
    ticket = _ticket(request, pk)
    entries = TicketEntry.objects.visible_to(actor(request)).filter(ticket=ticket)
    return entries.select_related("author", "ticket").order_by("created_at", "id")


@router.post("/tickets/{pk}/entries", response={201: EntryOut})
def add_entry(request: HttpRequest, pk: int, payload: EntryIn) -> Status[TicketEntry]:
    """Write to the work log: a public reply (mailed to the reporter and, on a master
    incident, to every linked report), an internal note (staff), or a message from the
    reporter (the reporter, or staff recording one)."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(
        user, "work" if payload.kind in (EntryKind.REPLY, EntryKind.NOTE) else "comment", ticket
    )
    _check(payload.dict())
    entry = ops.add_entry(
        actor=user, ticket=ticket, kind=payload.kind, body=payload.body, minutes=payload.minutes
    )
    return Status(201, entry)


# --- Links, master incident, merging -------------------------------------------------------------


@router.post("/tickets/{pk}/links", response={201: LinkOut})
def link(request: HttpRequest, pk: int, payload: LinkIn) -> Status[TicketLink]:
    """Link this ticket to another: incident ``caused_by`` problem, problem ``fixed_by``
    change, a complaint's resulting ``action``, or ``related``."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    _check(payload.dict())
    target = _visible_ticket(request, "target", payload.target)
    return Status(
        201, ops.link_tickets(actor=user, source=ticket, target=target, kind=payload.kind)
    )


@router.delete("/tickets/{pk}/links/{link_id}", response={204: None})
def unlink(request: HttpRequest, pk: int, link_id: int) -> Status[None]:
    """Remove a link made from this ticket (or to it)."""
    ticket = _ticket(request, pk)
    found = get_object_or_404(
        TicketLink.objects.visible_to(actor(request))
        .filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source", "target"),
        pk=link_id,
    )
    ops.unlink_tickets(actor=actor(request), link=found)
    return Status(204, None)


@router.post("/tickets/{pk}/master", response=TicketDetailOut)
def set_master(request: HttpRequest, pk: int, payload: MasterIn) -> Ticket:
    """Link this report to the master incident of the same interruption (null unlinks)."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    master = None if payload.master is None else _visible_ticket(request, "master", payload.master)
    ops.set_master(actor=user, ticket=ticket, master=master)
    return _ticket(request, pk)


@router.post("/tickets/{pk}/merge", response=TicketDetailOut)
def merge(request: HttpRequest, pk: int, payload: MergeIn) -> Ticket:
    """Merge this duplicate into ``into``: it is cancelled and points to the ticket kept,
    which is returned."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    into = _visible_ticket(request, "into", payload.into)
    kept = ops.merge(actor=user, duplicate=ticket, into=into)
    return _ticket(request, kept.pk)


# --- Knowledge -----------------------------------------------------------------------------------


@router.post("/tickets/{pk}/known-error", response=KnownErrorOut)
def known_error(request: HttpRequest, pk: int, payload: KnownErrorIn) -> dict[str, Any]:
    """Record a problem's known error: root cause and workaround on the problem and, in the
    same step, its known-error article (created, or a new draft of the linked one)."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    _check(payload.dict(), Ticket)
    revision = ops.record_known_error(
        actor=user,
        problem=ticket,
        root_cause=payload.root_cause,
        workaround=payload.workaround,
        audience=payload.audience,
    )
    return {
        "article": revision.article_id,
        "revision": revision.pk,
        "ticket": _ticket(request, pk),
    }


@router.post("/tickets/{pk}/articles", response={201: ArticleLinkOut})
def use_article(request: HttpRequest, pk: int, payload: ArticleUseIn) -> Status[Any]:
    """KCS reuse: record that an article (one the caller may read) was used to resolve this
    ticket."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    if payload.relation != TicketRelation.USED_TO_RESOLVE:
        raise _invalid("relation", payload.relation)
    article = _pick(Article.objects.visible_to(user), "article", payload.article)
    return Status(201, ops.use_article(actor=user, ticket=ticket, article=article))


@router.post("/tickets/{pk}/draft-article", response={201: ArticleDraftOut})
def draft_article(request: HttpRequest, pk: int, payload: DraftArticleIn) -> Status[Any]:
    """KCS capture: a draft article prefilled from the ticket, linked "created from" it."""
    ticket = _ticket(request, pk)
    user = actor(request)
    require(user, "work", ticket)
    if payload.language is not None and payload.language not in ("lv", "en"):
        raise _invalid("language", payload.language)
    revision = ops.draft_article(actor=user, ticket=ticket, language=payload.language)
    return Status(201, {"article": revision.article_id, "revision": revision.pk})


# --- Teams ---------------------------------------------------------------------------------------


@router.get("/teams", response=list[TeamOut])
def list_teams(
    request: HttpRequest, institution: str | None = None, level: int | None = None
) -> QuerySet[Team]:
    """Teams of the institutions where the caller is staff."""
    qs = (
        Team.objects.visible_to(actor(request))
        .select_related("institution")
        .prefetch_related("members")
    )
    if institution:
        qs = qs.filter(institution__code=institution)
    if level is not None:
        qs = qs.filter(level=level)
    return qs
