"""Every write of the accounts domain. Views, the API and commands call these, nothing else.

Each operation checks permission, validates, writes in one transaction and records an audit
event. Errors are ``PermissionDenied`` or ``ValidationError`` with a translated message.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zina.core.audit import record, snapshot
from zina.core.permissions import require

from .choices import MembershipKind, Responsibility, Role
from .models import ApiToken, Institution, Membership, RoleAssignment, User, token_digest
from .roles import (
    ADMINISTER,
    forget_grants,
    institutions_with,
    membership_kind_for_role,
    scope_kind_for,
)

# Roles of which a scope has at most one accountable (A) holder.
SINGLE_ACCOUNTABLE_ROLES = {
    Role.SERVICE_PORTFOLIO_OWNER,
    Role.RESOURCE_PORTFOLIO_OWNER,
    Role.SERVICE_OWNER,
    Role.RESOURCE_OWNER,
}


@dataclass
class InstitutionData:
    code: str
    name: str
    name_en: str = ""
    short_name: str = ""
    registration_number: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""


@dataclass
class UserData:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    language: str = "lv"


def _save_validated(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude)
    obj.save()


# --- Institutions ---------------------------------------------------------------------------


@transaction.atomic
def create_institution(*, actor: User, data: InstitutionData) -> Institution:
    """Register a new institution (tenant) in the installation."""
    require(actor, "create", Institution)
    institution = Institution(**asdict(data))
    _save_validated(institution)
    record(
        actor=actor,
        verb="institution.created",
        obj=institution,
        institution=institution,
        after=snapshot(institution),
    )
    return institution


@transaction.atomic
def update_institution(
    *, actor: User, institution: Institution, data: InstitutionData
) -> Institution:
    """Change an institution's details. Its code is changed only by installation admins."""
    require(actor, "change", institution)
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    before = snapshot(institution)
    if data.code != institution.code:
        require(actor, "create", Institution)
    for key, value in asdict(data).items():
        setattr(institution, key, value)
    _save_validated(institution)
    record(
        actor=actor,
        verb="institution.updated",
        obj=institution,
        institution=institution,
        before=before,
        after=snapshot(institution),
    )
    return institution


@transaction.atomic
def set_institution_active(*, actor: User, institution: Institution, active: bool) -> Institution:
    """Deactivate (or reactivate) an institution; its records stay."""
    require(actor, "create", Institution)
    before = snapshot(institution, ["is_active"])
    institution.is_active = active
    institution.save(update_fields=["is_active", "updated_at"])
    record(
        actor=actor,
        verb="institution.activated" if active else "institution.deactivated",
        obj=institution,
        institution=institution,
        before=before,
        after=snapshot(institution, ["is_active"]),
    )
    return institution


# --- Users and memberships ---------------------------------------------------------------


def _home_institution(actor: User, user: User) -> Institution | None:
    """The institution whose audit trail a change to ``user`` belongs in: one the actor
    administers if there is one, else the user's first."""
    memberships = list(user.memberships.select_related("institution").order_by("created_at", "pk"))
    administered = institutions_with(actor, ADMINISTER)
    for m in memberships:
        if m.institution_id in administered:
            return m.institution
    return memberships[0].institution if memberships else None


def _audit_user(
    actor: User, verb: str, user: User, institution: Institution | None, **kw: Any
) -> None:
    if institution is None:
        institution = _home_institution(actor, user)
    record(actor=actor, verb=verb, obj=user, institution=institution, **kw)


@transaction.atomic
def create_user(
    *,
    actor: User,
    institution: Institution,
    username: str,
    data: UserData,
    kind: str = MembershipKind.STAFF,
    title: str = "",
    password: str | None = None,
) -> User:
    """Create a user as a member of ``institution``. Without a password, login waits for a
    password reset (the user sets their own)."""
    require(actor, "manage_members", institution)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("A user with this username already exists.")})
    user = User(username=username, **asdict(data))
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    _save_validated(user, exclude=["password"])
    membership = Membership(user=user, institution=institution, kind=kind, title=title)
    _save_validated(membership)
    _audit_user(actor, "user.created", user, institution, after=snapshot(user))
    record(
        actor=actor,
        verb="membership.added",
        obj=membership,
        institution=institution,
        after=snapshot(membership),
    )
    return user


@transaction.atomic
def update_user(*, actor: User, user: User, data: UserData) -> User:
    """Change a user's name, e-mail and language (the user themself, or their administrators)."""
    require(actor, "change", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user)
    for key, value in asdict(data).items():
        setattr(user, key, value)
    _save_validated(user, exclude=["password"])
    _audit_user(actor, "user.updated", user, None, before=before, after=snapshot(user))
    return user


@transaction.atomic
def set_user_active(*, actor: User, user: User, active: bool) -> User:
    """Block or unblock a user's login. Their records and history stay."""
    require(actor, "deactivate", user)
    before = snapshot(user, ["is_active"])
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    _audit_user(
        actor,
        "user.activated" if active else "user.deactivated",
        user,
        None,
        before=before,
        after=snapshot(user, ["is_active"]),
    )
    return user


@transaction.atomic
def add_membership(
    *, actor: User, user: User, institution: Institution, kind: str, title: str = ""
) -> Membership:
    """Make an existing user a member of another institution."""
    require(actor, "manage_members", institution)
    return _create_membership(actor, user, institution, kind, title)


def _create_membership(
    actor: User, user: User, institution: Institution, kind: str, title: str = ""
) -> Membership:
    if Membership.objects.filter(user=user, institution=institution).exists():
        raise ValidationError(_("This user is already a member of the institution."))
    membership = Membership(user=user, institution=institution, kind=kind, title=title)
    _save_validated(membership)
    record(
        actor=actor,
        verb="membership.added",
        obj=membership,
        institution=institution,
        after=snapshot(membership),
    )
    return membership


@transaction.atomic
def remove_membership(*, actor: User, membership: Membership) -> None:
    """Remove a user from an institution, together with their roles there."""
    require(actor, "remove", membership)
    for assignment in RoleAssignment.objects.filter(
        user_id=membership.user_id, institution_id=membership.institution_id
    ):
        _delete_assignment(actor, assignment)
    record(
        actor=actor,
        verb="membership.removed",
        obj=membership,
        institution=membership.institution,
        before=snapshot(membership),
    )
    membership.delete()
    forget_grants(membership.user)


# --- Role assignments --------------------------------------------------------------------


@transaction.atomic
def assign_role(
    *,
    actor: User,
    user: User,
    institution: Institution,
    role: str,
    responsibility: str = Responsibility.CO_RESPONSIBLE,
    scope: models.Model | None = None,
) -> RoleAssignment:
    """Give ``user`` a role in ``institution``, over the whole institution or one object.

    Institution-wide roles are given by the institution's administrators; roles on one object
    (a service owner, a resource's partner) by whoever may manage that object's owners.
    """
    if scope is None:
        require(actor, "manage_members", institution)
    else:
        require(actor, "manage_owners", scope)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if responsibility not in Responsibility.values:
        raise ValidationError({"responsibility": _("Unknown responsibility mark.")})
    scope_type = scope_id = None
    if scope is not None:
        kind = scope_kind_for(scope)
        if kind is None:
            raise ValidationError({"scope": _("A role cannot be scoped to this kind of object.")})
        if role not in kind.roles:
            raise ValidationError(
                {"scope": _("This role cannot be scoped to a %(kind)s.") % {"kind": kind.label}}
            )
        if getattr(scope, "institution_id", None) != institution.pk:
            raise ValidationError({"scope": _("The scope belongs to another institution.")})
        scope_type = ContentType.objects.get_for_model(scope, for_concrete_model=True)
        scope_id = scope.pk

    membership = Membership.objects.filter(user=user, institution=institution).first()
    wanted_kind = membership_kind_for_role(role)
    if membership is None:
        membership = _create_membership(actor, user, institution, wanted_kind)
    elif membership.kind != wanted_kind:
        raise ValidationError(
            {
                "role": _(
                    "The partner role is for partner members; staff roles are for staff members."
                )
            }
        )

    same_scope = RoleAssignment.objects.filter(
        institution=institution, role=role, scope_type=scope_type, scope_id=scope_id
    )
    if same_scope.filter(user=user).exists():
        raise ValidationError({"role": _("The user already holds this role in this scope.")})
    if (
        role in SINGLE_ACCOUNTABLE_ROLES
        and responsibility == Responsibility.ACCOUNTABLE
        and same_scope.filter(responsibility=Responsibility.ACCOUNTABLE).exists()
    ):
        raise ValidationError(
            {"responsibility": _("This scope already has an accountable holder of this role.")}
        )
    assignment = RoleAssignment(
        user=user,
        institution=institution,
        role=role,
        responsibility=responsibility,
        scope_type=scope_type,
        scope_id=scope_id,
    )
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise ValidationError(
            {"role": _("The user already holds this role in this scope.")}
        ) from None
    record(
        actor=actor,
        verb="role.assigned",
        obj=assignment,
        institution=institution,
        after=snapshot(assignment),
    )
    forget_grants(user)
    return assignment


def _delete_assignment(actor: User, assignment: RoleAssignment) -> None:
    record(
        actor=actor,
        verb="role.revoked",
        obj=assignment,
        institution=assignment.institution,
        before=snapshot(assignment),
    )
    assignment.delete()


@transaction.atomic
def revoke_role(*, actor: User, assignment: RoleAssignment) -> None:
    """Take a role assignment away."""
    require(actor, "revoke", assignment)
    _delete_assignment(actor, assignment)
    forget_grants(assignment.user)


# --- API tokens ------------------------------------------------------------------------


@transaction.atomic
def issue_api_token(
    *, actor: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a personal API token for ``actor``. The secret is returned once, never stored."""
    require(actor, "issue_token", actor)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry date must be in the future.")})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=actor,
        name=name[:100],
        prefix=prefix,
        digest=token_digest(secret),
        expires_at=expires_at,
    )
    token.save()
    record(actor=actor, verb="token.issued", obj=token, after=snapshot(token))
    return token, f"zina_{prefix}_{secret}"


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a personal API token at once."""
    require(actor, "revoke", token)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor=actor, verb="token.revoked", obj=token, after=snapshot(token))
    return token
