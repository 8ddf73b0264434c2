"""What each role may do (capabilities) and over which scopes it may be assigned.

A capability is a plain string owned by the app that checks it. Later apps add their own
capabilities to roles here, so the whole role matrix stays readable in one place and is
covered by one unit test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zina.core.db import select_rows

from .choices import MembershipKind, Role

# Capabilities of the foundation.
ADMINISTER = "institution.administer"  # edit the institution, its users and role assignments
VIEW_AUDIT = "audit.view"  # read the institution's audit trail
READ_ALL = "institution.read_all"  # read everything in the institution, change nothing
STAFF_DIRECTORY = "staff.directory"  # see colleagues and who holds which role
# Capabilities of the knowledge base.
WRITE_KNOWLEDGE = "knowledge.write"  # draft and improve the institution's articles
READ_EXPERT_KNOWLEDGE = "knowledge.read_expert"  # read articles meant for level 2 and owners
MANAGE_KNOWLEDGE = "knowledge.manage"  # approve anything, grant licences, set the procedure
# Capabilities of the catalog.
MANAGE_SERVICES = "catalog.manage_services"  # create and change the institution's services
MANAGE_RESOURCES = "catalog.manage_resources"  # create and change the institution's resources
# Capabilities of the request management system.
WORK_TICKETS = "tickets.work"  # take, work on and resolve the institution's tickets
READ_TICKETS = "tickets.read"  # read the institution's tickets and their internal notes
APPROVE_CHANGES = "tickets.approve_changes"  # approve or reject change requests
MANAGE_TICKETS = "tickets.manage"  # teams, bulk assignment and closing, hand-over rules

_W, _X, _M = WRITE_KNOWLEDGE, READ_EXPERT_KNOWLEDGE, MANAGE_KNOWLEDGE
_T, _R, _A, _TM = WORK_TICKETS, READ_TICKETS, APPROVE_CHANGES, MANAGE_TICKETS
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.SERVICE_PORTFOLIO_OWNER: frozenset(
        {STAFF_DIRECTORY, VIEW_AUDIT, MANAGE_SERVICES, _W, _X, _M, _T, _R, _A}
    ),
    Role.SERVICE_OWNER: frozenset({STAFF_DIRECTORY, _W, _X, _T, _R}),
    Role.SERVICE_PROVIDER: frozenset({STAFF_DIRECTORY, _W, _T, _R}),
    Role.RESOURCE_PORTFOLIO_OWNER: frozenset(
        {STAFF_DIRECTORY, VIEW_AUDIT, MANAGE_RESOURCES, _W, _X, _T, _R, _A}
    ),
    Role.RESOURCE_OWNER: frozenset({STAFF_DIRECTORY, _W, _X, _T, _R}),
    Role.SUPPORT_SPECIALIST: frozenset({STAFF_DIRECTORY, _W, _T, _R}),
    Role.SUPPORT_EXPERT: frozenset({STAFF_DIRECTORY, _W, _X, _T, _R}),
    Role.INCIDENT_MANAGER: frozenset({STAFF_DIRECTORY, _W, _X, _T, _R, _TM}),
    Role.PROBLEM_MANAGER: frozenset({STAFF_DIRECTORY, _W, _X, _T, _R}),
    Role.CHANGE_MANAGER: frozenset({STAFF_DIRECTORY, _W, _X, _T, _R, _A}),
    Role.KNOWLEDGE_MANAGER: frozenset({STAFF_DIRECTORY, VIEW_AUDIT, _W, _X, _M, _R}),
    Role.ADMINISTRATOR: frozenset(
        {STAFF_DIRECTORY, ADMINISTER, VIEW_AUDIT, MANAGE_SERVICES, MANAGE_RESOURCES, _R, _TM}
    ),
    Role.AUDITOR: frozenset({STAFF_DIRECTORY, VIEW_AUDIT, READ_ALL, _X, _R}),
    Role.PARTNER: frozenset(),
}

# Duties shown on each role's home page (from task card PU2-11 and N6-2).
ROLE_DUTIES: dict[str, list[Promise]] = {
    Role.SERVICE_PORTFOLIO_OWNER: [
        _("Set the institution's knowledge management procedure."),
        _(
            "Provide the knowledge database and organise how knowledge is accumulated "
            "and kept current."
        ),
        _("Make knowledge available to service providers and support."),
    ],
    Role.SERVICE_OWNER: [
        _(
            "Accumulate and update knowledge about your service's interruptions, "
            "their causes and remedies."
        ),
        _("Approve knowledge about your service and make it available."),
    ],
    Role.SERVICE_PROVIDER: [
        _("Record situations and actions while providing the service, and share them."),
    ],
    Role.RESOURCE_PORTFOLIO_OWNER: [
        _("Organise knowledge about all of the institution's resources."),
    ],
    Role.RESOURCE_OWNER: [
        _(
            "Accumulate and update knowledge about your resource's interruptions, "
            "causes and remedies."
        ),
    ],
    Role.SUPPORT_SPECIALIST: [
        _("Answer general and simple questions (level 1), searching the knowledge base first."),
        _("Escalate specialised questions to level 2."),
    ],
    Role.SUPPORT_EXPERT: [
        _("Solve specialised and complex questions (level 2) and record the solutions."),
    ],
    Role.INCIDENT_MANAGER: [_("Restore service availability after interruptions.")],
    Role.PROBLEM_MANAGER: [_("Find and remove the causes of incidents; record known errors.")],
    Role.CHANGE_MANAGER: [_("Plan and carry out the changes that remove causes.")],
    Role.KNOWLEDGE_MANAGER: [
        _("Review, approve and keep knowledge current; grant knowledge licences."),
    ],
    Role.ADMINISTRATOR: [
        _("Manage the institution's details, users and role assignments."),
    ],
    Role.AUDITOR: [_("Read the institution's records and audit trail; change nothing.")],
    Role.PARTNER: [
        _("Work on the services and resources you are assigned to, and record what you learn."),
    ],
}


@dataclass(frozen=True)
class ScopeKind:
    """A kind of object a role can be scoped to (registered by the app that owns the model)."""

    key: str
    label: Promise
    model: type[models.Model]
    roles: frozenset[str]


_scope_kinds: dict[str, ScopeKind] = {}


def register_scope(key: str, label: Promise, model: type[models.Model], roles: set[str]) -> None:
    _scope_kinds[key] = ScopeKind(key, label, model, frozenset(roles))


def scope_kinds() -> dict[str, ScopeKind]:
    return dict(_scope_kinds)


def scope_kind_for(obj: Any) -> ScopeKind | None:
    for kind in _scope_kinds.values():
        if isinstance(obj, kind.model):
            return kind
    return None


def membership_kind_for_role(role: str) -> str:
    return MembershipKind.PARTNER if role == Role.PARTNER else MembershipKind.STAFF


@dataclass(frozen=True)
class Grant:
    """One role assignment as the permission layer sees it."""

    institution_id: int
    role: str
    responsibility: str
    scope_type_id: int | None
    scope_id: int | None


def grants_of(user: Any) -> list[Grant]:
    """The user's role assignments, loaded once per user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_zina_grants", None)
    if cached is None:
        from .models import RoleAssignment

        # One plain statement each, here and in ``staff_institutions``: they run on every
        # request of a signed-in user, and compiling them through the ORM cost more than
        # running them (a search's permission rules 3.3 -> 0.8 ms).
        columns = ("institution", "role", "responsibility", "scope_type", "scope_id")
        cached = [Grant(*row) for row in select_rows(RoleAssignment, columns, user=user.pk)]
        user._zina_grants = cached
    return cached


def forget_grants(user: Any) -> None:
    for attr in ("_zina_grants", "_zina_staff_of"):
        if hasattr(user, attr):
            delattr(user, attr)


def institutions_with(user: Any, capability: str) -> set[int]:
    """Institutions where the user holds ``capability`` through any role (institution-wide)."""
    return {
        g.institution_id
        for g in grants_of(user)
        if g.scope_type_id is None and capability in ROLE_CAPABILITIES.get(g.role, frozenset())
    }


def has_capability(user: Any, capability: str, institution_id: int | None) -> bool:
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    return institution_id is not None and institution_id in institutions_with(user, capability)


def holds_role_on(user: Any, role: str, obj: models.Model) -> bool:
    """Does the user hold ``role`` on ``obj`` itself, or institution-wide in its institution?"""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    institution_id = getattr(obj, "institution_id", None)
    return any(
        g.role == role
        and (
            (g.scope_type_id == ct.pk and g.scope_id == obj.pk)
            or (g.scope_type_id is None and g.institution_id == institution_id)
        )
        for g in grants_of(user)
    )


def has_any_capability(user: Any, capabilities: set[str]) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(institutions_with(user, c) for c in capabilities)


def staff_institutions(user: Any) -> set[int]:
    """Institutions where the user is staff (not a partner): they see its internal records."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_zina_staff_of", None)
    if cached is None:
        from .models import Membership

        rows = select_rows(
            Membership, ("institution",), user=user.pk, kind=str(MembershipKind.STAFF)
        )
        cached = {institution_id for (institution_id,) in rows}
        user._zina_staff_of = cached
    return cached


def scoped_ids(user: Any, model: type[models.Model], roles: set[str] | None = None) -> set[int]:
    """Ids of ``model`` objects the user holds a role on directly (e.g. a partner's services)."""
    ct = ContentType.objects.get_for_model(model, for_concrete_model=True)
    return {
        g.scope_id
        for g in grants_of(user)
        if g.scope_type_id == ct.pk
        and g.scope_id is not None
        and (roles is None or g.role in roles)
    }
