"""API of the accounts domain: institutions, users, role assignments, audit events."""

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from zina.core.models import AuditEvent
from zina.core.permissions import require

from . import operations as ops
from .choices import Language, MembershipKind, Responsibility, Role
from .models import Institution, RoleAssignment, User

router = Router()


def actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


# --- Schemas ------------------------------------------------------------------------------


class InstitutionOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    short_name: str
    registration_number: str
    email: str
    phone: str
    website: str
    is_active: bool


class InstitutionIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    name_en: str = ""
    short_name: str = ""
    registration_number: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""


class InstitutionPatch(Schema):
    code: str | None = None
    name: str | None = None
    name_en: str | None = None
    short_name: str | None = None
    registration_number: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None


class MembershipOut(Schema):
    institution: str = Field(alias="institution.code")
    kind: MembershipKind
    title: str


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    language: Language
    is_active: bool
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(obj: User) -> list[Any]:
        return list(obj.memberships.all())


class UserIn(Schema):
    institution: str
    username: str = Field(max_length=150)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    language: Language = Language.LATVIAN
    kind: MembershipKind = MembershipKind.STAFF
    title: str = ""


class UserPatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    language: Language | None = None
    is_active: bool | None = None


class RoleAssignmentOut(Schema):
    id: int
    user: str = Field(alias="user.username")
    institution: str = Field(alias="institution.code")
    role: Role
    responsibility: Responsibility
    scope_type: str | None = None
    scope_id: int | None = None

    @staticmethod
    def resolve_scope_type(obj: RoleAssignment) -> str | None:
        return obj.scope_type.model if obj.scope_type is not None else None


class RoleAssignmentIn(Schema):
    user: str
    institution: str
    role: Role
    responsibility: Responsibility = Responsibility.CO_RESPONSIBLE


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor: str = Field(alias="actor_label")
    verb: str
    object_type: str
    object_id: str
    object_repr: str
    institution: str | None = None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str

    @staticmethod
    def resolve_object_type(obj: AuditEvent) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    @staticmethod
    def resolve_institution(obj: AuditEvent) -> str | None:
        return obj.institution.code if obj.institution is not None else None


class AuditFilter(FilterSchema):
    institution: Annotated[str | None, FilterLookup("institution__code")] = None
    verb: Annotated[str | None, FilterLookup("verb__startswith")] = None
    object_type: Annotated[str | None, FilterLookup("content_type__model")] = None
    object_id: Annotated[str | None, FilterLookup("object_id")] = None
    actor: Annotated[str | None, FilterLookup("actor_label")] = None


# --- Institutions -----------------------------------------------------------------------


def _institution(request: HttpRequest, code: str) -> Institution:
    return get_object_or_404(Institution.objects.visible_to(actor(request)), code=code)


@router.get("/institutions", response=list[InstitutionOut], tags=["institutions"])
@paginate(LimitOffsetPagination)
def list_institutions(request: HttpRequest) -> QuerySet[Institution]:
    return Institution.objects.visible_to(actor(request))


@router.get("/institutions/{code}", response=InstitutionOut, tags=["institutions"])
def get_institution(request: HttpRequest, code: str) -> Institution:
    return _institution(request, code)


@router.post("/institutions", response={201: InstitutionOut}, tags=["institutions"])
def create_institution(request: HttpRequest, payload: InstitutionIn) -> Status[Institution]:
    data = ops.InstitutionData(**payload.dict())
    return Status(201, ops.create_institution(actor=actor(request), data=data))


@router.patch("/institutions/{code}", response=InstitutionOut, tags=["institutions"])
def update_institution(request: HttpRequest, code: str, payload: InstitutionPatch) -> Institution:
    institution = _institution(request, code)
    require(actor(request), "change", institution)
    current = {f: getattr(institution, f) for f in ops.InstitutionData.__dataclass_fields__}
    current.update(payload.dict(exclude_unset=True, exclude_none=True))
    return ops.update_institution(
        actor=actor(request), institution=institution, data=ops.InstitutionData(**current)
    )


# --- Users ------------------------------------------------------------------------------


def _user(request: HttpRequest, username: str) -> User:
    return get_object_or_404(User.objects.visible_to(actor(request)), username=username)


@router.get("/me", response=UserOut, tags=["users"])
def me(request: HttpRequest) -> User:
    return User.objects.prefetch_related("memberships__institution").get(pk=actor(request).pk)


@router.get("/users", response=list[UserOut], tags=["users"])
@paginate(LimitOffsetPagination)
def list_users(request: HttpRequest) -> QuerySet[User]:
    return User.objects.visible_to(actor(request)).prefetch_related("memberships__institution")


@router.get("/users/{username}", response=UserOut, tags=["users"])
def get_user(request: HttpRequest, username: str) -> User:
    return _user(request, username)


@router.post("/users", response={201: UserOut}, tags=["users"])
def create_user(request: HttpRequest, payload: UserIn) -> Status[User]:
    institution = _institution(request, payload.institution)
    user = ops.create_user(
        actor=actor(request),
        institution=institution,
        username=payload.username,
        data=ops.UserData(
            first_name=payload.first_name,
            last_name=payload.last_name,
            email=payload.email,
            language=payload.language,
        ),
        kind=payload.kind,
        title=payload.title,
    )
    return Status(201, user)


@router.patch("/users/{username}", response=UserOut, tags=["users"])
def update_user(request: HttpRequest, username: str, payload: UserPatch) -> User:
    user = _user(request, username)
    changes = payload.dict(exclude_unset=True, exclude_none=True)
    is_active = changes.pop("is_active", None)
    if changes:
        current = {f: getattr(user, f) for f in ops.UserData.__dataclass_fields__}
        current.update(changes)
        user = ops.update_user(actor=actor(request), user=user, data=ops.UserData(**current))
    if is_active is not None and is_active != user.is_active:
        user = ops.set_user_active(actor=actor(request), user=user, active=is_active)
    return user


# --- Role assignments -------------------------------------------------------------------


@router.get("/role-assignments", response=list[RoleAssignmentOut], tags=["roles"])
@paginate(LimitOffsetPagination)
def list_role_assignments(
    request: HttpRequest, institution: str | None = None, user: str | None = None
) -> QuerySet[RoleAssignment]:
    qs = RoleAssignment.objects.visible_to(actor(request)).select_related(
        "user", "institution", "scope_type"
    )
    if institution:
        qs = qs.filter(institution__code=institution)
    if user:
        qs = qs.filter(user__username=user)
    return qs


@router.post("/role-assignments", response={201: RoleAssignmentOut}, tags=["roles"])
def create_role_assignment(
    request: HttpRequest, payload: RoleAssignmentIn
) -> Status[RoleAssignment]:
    assignment = ops.assign_role(
        actor=actor(request),
        user=_user(request, payload.user),
        institution=_institution(request, payload.institution),
        role=payload.role,
        responsibility=payload.responsibility,
    )
    return Status(201, assignment)


@router.delete("/role-assignments/{pk}", response={204: None}, tags=["roles"])
def delete_role_assignment(request: HttpRequest, pk: int) -> Status[None]:
    assignment = get_object_or_404(RoleAssignment.objects.visible_to(actor(request)), pk=pk)
    ops.revoke_role(actor=actor(request), assignment=assignment)
    return Status(204, None)


# --- Audit ------------------------------------------------------------------------------


@router.get("/audit-events", response=list[AuditEventOut], tags=["audit"])
@paginate(LimitOffsetPagination)
def list_audit_events(request: HttpRequest, filters: Query[AuditFilter]) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.visible_to(actor(request)).select_related("content_type", "institution")
    return filters.filter(qs)
