"""The role matrix: for every role, what it may do and see in its own and in another institution.

The expectations are written out by hand (not derived from ``ROLE_CAPABILITIES``), so a change
to the capabilities that alters what a role may do fails here until the table is updated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from zina.accounts import operations as ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.accounts.roles import ROLE_CAPABILITIES, ROLE_DUTIES
from zina.conftest import refresh
from zina.core.models import AuditEvent
from zina.core.permissions import can


@dataclass(frozen=True)
class Expect:
    change: bool  # can(user, "change", institution)
    manage_members: bool  # can(user, "manage_members", institution)
    view_audit: bool  # can(user, "view_audit", institution)
    sees_colleagues: bool  # User.objects.visible_to(user) includes other members
    sees_audit: bool  # AuditEvent.objects.visible_to(user) includes the institution's events


NOTHING = Expect(False, False, False, False, False)

#                                        change manage audit  colleagues audit-events
ROLE_TABLE: dict[str, Expect] = {
    Role.SERVICE_PORTFOLIO_OWNER: Expect(False, False, True, True, True),
    Role.SERVICE_OWNER: Expect(False, False, False, True, False),
    Role.SERVICE_PROVIDER: Expect(False, False, False, True, False),
    Role.RESOURCE_PORTFOLIO_OWNER: Expect(False, False, True, True, True),
    Role.RESOURCE_OWNER: Expect(False, False, False, True, False),
    Role.SUPPORT_SPECIALIST: Expect(False, False, False, True, False),
    Role.SUPPORT_EXPERT: Expect(False, False, False, True, False),
    Role.INCIDENT_MANAGER: Expect(False, False, False, True, False),
    Role.PROBLEM_MANAGER: Expect(False, False, False, True, False),
    Role.CHANGE_MANAGER: Expect(False, False, False, True, False),
    Role.KNOWLEDGE_MANAGER: Expect(False, False, True, True, True),
    Role.ADMINISTRATOR: Expect(True, True, True, True, True),
    Role.AUDITOR: Expect(False, False, True, True, True),
    Role.PARTNER: Expect(False, False, False, False, False),
}

CHECKS = ("change", "manage_members", "view_audit", "sees_colleagues", "sees_audit")


def _cases() -> list[Any]:
    cases = []
    for role, expect in ROLE_TABLE.items():
        for check in CHECKS:
            for where in ("own", "other"):
                allowed = getattr(expect, check) if where == "own" else False
                cases.append(
                    pytest.param(
                        role.value,
                        check,
                        where,
                        allowed,
                        id=f"{role.value}-{check}-{where}-{'allowed' if allowed else 'denied'}",
                    )
                )
    return cases


@pytest.fixture
def world(
    make_user: Callable[..., User], institution: Institution, other_institution: Institution
) -> dict[str, Any]:
    """A colleague in ``institution`` and a stranger with a role in ``other_institution``.

    The fixtures' writes leave audit events in both institutions (actor: the superuser).
    """
    return {
        "own": institution,
        "other": other_institution,
        "colleague": make_user("kolega", institution),
        "stranger": make_user("svesinieks", other_institution, Role.SERVICE_PROVIDER),
    }


def _check(user: Any, check: str, world: dict[str, Any], where: str) -> bool:
    target = world[where]
    if check in ("change", "manage_members", "view_audit"):
        return can(user, check, target)
    if check == "sees_colleagues":
        person = world["colleague"] if where == "own" else world["stranger"]
        return User.objects.visible_to(user).filter(pk=person.pk).exists()
    if check == "sees_audit":
        if not getattr(user, "is_superuser", False):
            # Events by someone else exist, so "visible" cannot come from the own-actions rule.
            others = AuditEvent.objects.filter(institution=target).exclude(
                actor_label=user.get_username()
            )
            assert others.exists()
        return AuditEvent.objects.visible_to(user).filter(institution=target).exists()
    raise AssertionError(check)


def test_table_covers_every_role() -> None:
    assert set(ROLE_TABLE) == set(Role.values)


@pytest.mark.parametrize(("role", "check", "where", "allowed"), _cases())
def test_role_matrix(
    make_user: Callable[..., User],
    world: dict[str, Any],
    role: str,
    check: str,
    where: str,
    allowed: bool,
) -> None:
    user = make_user("subjekts", world["own"], role)
    assert _check(user, check, world, where) is allowed


@pytest.mark.parametrize("role", Role.values)
def test_only_superuser_creates_institutions(
    make_user: Callable[..., User], institution: Institution, superuser: User, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    assert can(user, "create", Institution) is False
    assert can(superuser, "create", Institution) is True


@pytest.mark.parametrize("role", Role.values)
def test_every_role_sees_itself(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    assert User.objects.visible_to(user).filter(pk=user.pk).exists()


@pytest.mark.parametrize("role", Role.values)
def test_every_role_sees_its_own_actions_in_the_audit_trail(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    ops.update_user(actor=user, user=user, data=ops.UserData(first_name="Anna"))
    assert AuditEvent.objects.visible_to(refresh(user)).filter(actor=user).exists()


@pytest.mark.parametrize("role", Role.values)
def test_inactive_user_may_do_and_see_nothing(
    make_user: Callable[..., User],
    world: dict[str, Any],
    superuser: User,
    role: str,
) -> None:
    user = make_user("subjekts", world["own"], role)
    ops.update_user(actor=user, user=user, data=ops.UserData(first_name="Anna"))
    ops.set_user_active(actor=superuser, user=user, active=False)
    user = refresh(user)
    for check in CHECKS:
        assert _check(user, check, world, "own") is False, check
    assert not User.objects.visible_to(user).exists()
    assert not AuditEvent.objects.visible_to(user).exists()
    assert can(user, "create", Institution) is False


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("where", ["own", "other"])
def test_anonymous_may_do_and_see_nothing(world: dict[str, Any], check: str, where: str) -> None:
    assert _check(AnonymousUser(), check, world, where) is False


def test_anonymous_cannot_create_institutions(db: Any) -> None:
    assert can(AnonymousUser(), "create", Institution) is False
    assert can(None, "create", Institution) is False


def test_superuser_may_do_and_see_everything(world: dict[str, Any], superuser: User) -> None:
    for where in ("own", "other"):
        for check in CHECKS:
            assert _check(superuser, check, world, where) is True, (check, where)
    assert can(superuser, "create", Institution) is True


def test_inactive_superuser_may_do_nothing(world: dict[str, Any], superuser: User) -> None:
    superuser.is_active = False
    superuser.save(update_fields=["is_active"])
    user = refresh(superuser)
    assert can(user, "create", Institution) is False
    assert can(user, "change", world["own"]) is False
    assert not User.objects.visible_to(user).exists()
    assert not AuditEvent.objects.visible_to(user).exists()


@pytest.mark.parametrize("role", Role.values)
def test_roles_in_another_institution_give_nothing_here(
    make_user: Callable[..., User], world: dict[str, Any], superuser: User, role: str
) -> None:
    """A role held in the other institution gives no rights over this one."""
    user = make_user("subjekts", world["other"], role)
    for check in CHECKS:
        if check == "sees_colleagues":
            continue  # "own" colleague lives in world["own"], which is foreign to this user
        assert _check(user, check, world, "own") is False, check
    assert not User.objects.visible_to(user).filter(pk=world["colleague"].pk).exists()


# --- Institutions: active ones are public; inactive ones only for their administrators -------


@pytest.mark.parametrize("role", Role.values)
def test_institution_visibility(
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
    superuser: User,
    role: str,
) -> None:
    user = make_user("subjekts", institution, role)
    visible = Institution.objects.visible_to(user)
    assert set(visible.values_list("code", flat=True)) == {"vra", "spa"}

    ops.set_institution_active(actor=superuser, institution=institution, active=False)
    ops.set_institution_active(actor=superuser, institution=other_institution, active=False)
    codes = set(Institution.objects.visible_to(refresh(user)).values_list("code", flat=True))
    assert codes == ({"vra"} if role == Role.ADMINISTRATOR else set())


def test_superuser_sees_inactive_institutions(institution: Institution, superuser: User) -> None:
    ops.set_institution_active(actor=superuser, institution=institution, active=False)
    assert Institution.objects.visible_to(superuser).filter(pk=institution.pk).exists()


def test_anonymous_sees_active_institutions(
    institution: Institution, other_institution: Institution, superuser: User
) -> None:
    """Institutions are public facts (accounts/permissions.py): anyone sees the active ones.

    ``view_filter`` treats every user whose ``is_active`` is false as blocked, and
    ``AnonymousUser.is_active`` is always False, so no view rule ever runs for anonymous
    visitors and they see nothing at all.
    """
    ops.set_institution_active(actor=superuser, institution=other_institution, active=False)
    visible = Institution.objects.visible_to(AnonymousUser())
    assert list(visible.values_list("code", flat=True)) == ["vra"]


# --- The role tables themselves -------------------------------------------------------------


def test_capabilities_and_duties_cover_every_role() -> None:
    assert set(ROLE_CAPABILITIES) == set(Role.values)
    assert set(ROLE_DUTIES) == set(Role.values)
    for role in Role.values:
        assert ROLE_DUTIES[role], f"{role} has no duties to show on its home page"


def test_capability_table_matches_the_role_matrix() -> None:
    """The hand-written matrix and ROLE_CAPABILITIES agree on who administers and audits."""
    from zina.accounts.roles import ADMINISTER, STAFF_DIRECTORY, VIEW_AUDIT

    for role, expect in ROLE_TABLE.items():
        caps = ROLE_CAPABILITIES[role]
        assert (ADMINISTER in caps) is expect.change, role
        assert (VIEW_AUDIT in caps) is expect.view_audit, role
        assert (STAFF_DIRECTORY in caps) is expect.sees_colleagues, role


def test_role_users_fixture_has_one_user_per_role(role_users: dict[str, Any]) -> None:
    assert set(role_users) == {*Role.values, "anonymous"}
    for role in Role.values:
        user = role_users[role]
        assert list(user.role_assignments.values_list("role", flat=True)) == [role]
    assert role_users["anonymous"].is_authenticated is False
