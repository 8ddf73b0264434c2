"""Permission rules of the accounts domain (and of the audit trail, which follows roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zina.core.models import AuditEvent
from zina.core.permissions import NOTHING, can, register

from .models import ApiToken, Institution, Membership, RoleAssignment, User
from .roles import ADMINISTER, STAFF_DIRECTORY, VIEW_AUDIT, has_capability, institutions_with


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


# Institutions are public facts: anyone sees the active ones.
def institution_view(user: Any) -> Q:
    return Q(is_active=True) | Q(pk__in=institutions_with(user, ADMINISTER))


def administers(user: Any, institution: Any) -> bool:
    institution_id = institution if isinstance(institution, int) else institution.pk
    return has_capability(user, ADMINISTER, institution_id)


register(
    Institution,
    view=institution_view,
    change=lambda user, obj: administers(user, obj),
    manage_members=lambda user, obj: administers(user, obj),
    view_audit=lambda user, obj: has_capability(user, VIEW_AUDIT, obj.pk),
)


def user_view(user: Any) -> Q:
    if not _authenticated(user):
        return NOTHING
    ids = institutions_with(user, STAFF_DIRECTORY)
    colleagues = Membership.objects.filter(institution_id__in=ids).values("user_id")
    return Q(pk=user.pk) | Q(pk__in=colleagues)


def _administers_all_institutions_of(user: Any, target: User) -> bool:
    # An installation administrator is out of reach of institution administrators: changing
    # their e-mail would let an institution admin reset their password and take over.
    if target.is_superuser:
        return False
    institution_ids = set(target.memberships.values_list("institution_id", flat=True))
    return bool(institution_ids) and institution_ids <= institutions_with(user, ADMINISTER)


register(
    User,
    view=user_view,
    # Creating a user needs administrator rights in at least one institution.
    create=lambda user, obj: bool(institutions_with(user, ADMINISTER)),
    change=lambda user, obj: obj.pk == user.pk or _administers_all_institutions_of(user, obj),
    deactivate=lambda user, obj: obj.pk != user.pk and _administers_all_institutions_of(user, obj),
    issue_token=lambda user, obj: obj.pk == user.pk,
)


def _institution_staff_view(user: Any) -> Q:
    if not _authenticated(user):
        return NOTHING
    return Q(user=user) | Q(institution_id__in=institutions_with(user, STAFF_DIRECTORY))


register(
    Membership,
    view=_institution_staff_view,
    remove=lambda user, obj: administers(user, obj.institution_id),
)
register(
    RoleAssignment,
    view=_institution_staff_view,
    revoke=lambda user, obj: (
        administers(user, obj.institution_id)
        or (obj.scope_object is not None and can(user, "manage_owners", obj.scope_object))
    ),
)
register(
    ApiToken,
    view=lambda user: Q(user=user) if _authenticated(user) else NOTHING,
    revoke=lambda user, obj: obj.user_id == user.pk,
)


def audit_view(user: Any) -> Q:
    if not _authenticated(user):
        return NOTHING
    return Q(actor=user) | Q(institution_id__in=institutions_with(user, VIEW_AUDIT))


register(AuditEvent, view=audit_view)
