"""The write operations of the accounts domain: permission, validation, audit, atomicity."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zina.accounts import operations as ops
from zina.accounts import roles as roles_module
from zina.accounts.choices import MembershipKind, Responsibility, Role
from zina.accounts.models import ApiToken, Institution, Membership, RoleAssignment, User
from zina.accounts.security import user_for_token
from zina.conftest import PASSWORD, refresh
from zina.core.models import AuditEvent
from zina.core.permissions import can

NON_ADMIN_ROLES = [r for r in Role.values if r != Role.ADMINISTRATOR]


def counts() -> dict[str, int]:
    """Row counts of every table an accounts operation writes to."""
    return {
        "institutions": Institution.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "tokens": ApiToken.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def error_fields(exc: ValidationError) -> set[str]:
    return set(exc.message_dict) if hasattr(exc, "error_dict") else {"__all__"}


# --- Institutions ---------------------------------------------------------------------------


def test_create_institution_writes_the_institution_and_an_audit_event(superuser: User) -> None:
    data = ops.InstitutionData(
        code="dpm",
        name="Digitālās pārvaldības ministrija",
        registration_number="90000000001",
        email="pasts@dpm.example.lv",
    )
    institution = ops.create_institution(actor=superuser, data=data)

    institution.refresh_from_db()
    assert institution.code == "dpm"
    assert institution.is_active is True
    event = AuditEvent.objects.for_object(institution).get()
    assert event.verb == "institution.created"
    assert event.actor == superuser
    assert event.actor_label == "root"
    assert event.institution == institution
    assert event.before is None
    assert event.after["code"] == "dpm"
    assert event.after["registration_number"] == "90000000001"
    assert event.object_repr == str(institution)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "Bad Code"),
        ("code", "-dpm"),
        ("code", "d"),
        ("code", "dpm_2"),
        ("code", "a" * 41),
        ("registration_number", "12345"),
        ("registration_number", "9000000000A"),
        ("registration_number", "900000000011"),
        ("name", ""),
        ("email", "not-an-address"),
    ],
)
def test_create_institution_refuses_invalid_data(superuser: User, field: str, value: str) -> None:
    data = ops.InstitutionData(code="dpm", name="Ministrija")
    setattr(data, field, value)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.create_institution(actor=superuser, data=data)
    assert field in error_fields(exc.value)
    assert counts() == before


def test_create_institution_refuses_a_duplicate_code(
    superuser: User, institution: Institution
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.create_institution(
            actor=superuser, data=ops.InstitutionData(code=institution.code, name="Cita")
        )
    assert "code" in error_fields(exc.value)
    assert counts() == before


@pytest.mark.parametrize("role", Role.values)
def test_only_superuser_creates_institutions(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    before = counts()
    with pytest.raises(PermissionDenied):
        ops.create_institution(actor=user, data=ops.InstitutionData(code="new", name="Jauna"))
    assert counts() == before


def test_update_institution_records_before_and_after(
    admin_user: User, institution: Institution
) -> None:
    data = ops.InstitutionData(
        code=institution.code,
        name=institution.name,
        name_en=institution.name_en,
        short_name="VRA",
        phone="+371 67000002",
    )
    updated = ops.update_institution(actor=admin_user, institution=institution, data=data)

    assert Institution.objects.get(pk=institution.pk).phone == "+371 67000002"
    assert updated.phone == "+371 67000002"
    event = AuditEvent.objects.filter(verb="institution.updated").get()
    assert event.actor == admin_user
    assert event.institution == institution
    assert event.before["phone"] == ""
    assert event.after["phone"] == "+371 67000002"
    assert ("phone", "", "+371 67000002") in event.changes
    assert [name for name, _old, _new in event.changes] == ["phone"]


def test_update_institution_validates(admin_user: User, institution: Institution) -> None:
    data = ops.InstitutionData(
        code=institution.code, name=institution.name, registration_number="123"
    )
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.update_institution(actor=admin_user, institution=institution, data=data)
    assert "registration_number" in error_fields(exc.value)
    assert counts() == before
    assert Institution.objects.get(pk=institution.pk).registration_number == ""


def test_update_institution_refuses_a_code_taken_by_another(
    superuser: User, institution: Institution, other_institution: Institution
) -> None:
    data = ops.InstitutionData(code=other_institution.code, name=institution.name)
    with pytest.raises(ValidationError) as exc:
        ops.update_institution(actor=superuser, institution=institution, data=data)
    assert "code" in error_fields(exc.value)
    assert Institution.objects.get(pk=institution.pk).code == "vra"


def test_only_superuser_changes_an_institution_code(
    admin_user: User, superuser: User, institution: Institution
) -> None:
    data = ops.InstitutionData(code="vra2", name=institution.name)
    with pytest.raises(PermissionDenied):
        ops.update_institution(actor=admin_user, institution=institution, data=data)
    assert Institution.objects.get(pk=institution.pk).code == "vra"

    ops.update_institution(actor=superuser, institution=institution, data=data)
    assert Institution.objects.get(pk=institution.pk).code == "vra2"


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_update_institution(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    data = ops.InstitutionData(code=institution.code, name="Pārdēvēta")
    with pytest.raises(PermissionDenied):
        ops.update_institution(actor=user, institution=institution, data=data)
    assert Institution.objects.get(pk=institution.pk).name == institution.name


def test_admin_cannot_update_another_institution(
    admin_user: User, other_institution: Institution
) -> None:
    data = ops.InstitutionData(code=other_institution.code, name="Pārdēvēta")
    with pytest.raises(PermissionDenied):
        ops.update_institution(actor=admin_user, institution=other_institution, data=data)


def test_set_institution_active(
    superuser: User, admin_user: User, institution: Institution
) -> None:
    with pytest.raises(PermissionDenied):
        ops.set_institution_active(actor=admin_user, institution=institution, active=False)
    ops.set_institution_active(actor=superuser, institution=institution, active=False)
    assert Institution.objects.get(pk=institution.pk).is_active is False
    event = AuditEvent.objects.filter(verb="institution.deactivated").get()
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": False}


# --- Users --------------------------------------------------------------------------------


def test_create_user_without_password_has_an_unusable_password(
    admin_user: User, institution: Institution
) -> None:
    user = ops.create_user(
        actor=admin_user,
        institution=institution,
        username="  anna  ",
        data=ops.UserData(first_name="Anna", last_name="Ozola", email="anna@vra.example.lv"),
        title="Speciāliste",
    )
    user = refresh(user)
    assert user.username == "anna"
    assert user.has_usable_password() is False
    membership = Membership.objects.get(user=user)
    assert membership.institution == institution
    assert membership.kind == MembershipKind.STAFF
    assert membership.title == "Speciāliste"
    verbs = set(AuditEvent.objects.filter(actor=admin_user).values_list("verb", flat=True))
    assert {"user.created", "membership.added"} <= verbs
    created = AuditEvent.objects.for_object(user).get(verb="user.created")
    assert created.institution == institution
    assert created.after["email"] == "anna@vra.example.lv"
    assert "password" not in created.after


def test_create_user_with_password(admin_user: User, institution: Institution) -> None:
    user = ops.create_user(
        actor=admin_user,
        institution=institution,
        username="anna",
        data=ops.UserData(),
        password=PASSWORD,
    )
    assert refresh(user).check_password(PASSWORD)


def test_create_user_refuses_a_weak_password(admin_user: User, institution: Institution) -> None:
    before = counts()
    with pytest.raises(ValidationError):
        ops.create_user(
            actor=admin_user,
            institution=institution,
            username="anna",
            data=ops.UserData(),
            password="12345",
        )
    assert counts() == before


@pytest.mark.parametrize("username", ["kolega", "KOLEGA", "Kolega", " kolega "])
def test_create_user_refuses_a_duplicate_username_in_any_case(
    make_user: Callable[..., User], admin_user: User, institution: Institution, username: str
) -> None:
    make_user("kolega", institution)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.create_user(
            actor=admin_user, institution=institution, username=username, data=ops.UserData()
        )
    assert "username" in error_fields(exc.value)
    assert counts() == before


@pytest.mark.parametrize("username", ["", "   ", "ar atstarpi", "a" * 151])
def test_create_user_refuses_an_invalid_username(
    admin_user: User, institution: Institution, username: str
) -> None:
    before = counts()
    with pytest.raises(ValidationError):
        ops.create_user(
            actor=admin_user, institution=institution, username=username, data=ops.UserData()
        )
    assert counts() == before


def test_create_user_in_another_institution_is_denied(
    admin_user: User, other_institution: Institution
) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        ops.create_user(
            actor=admin_user, institution=other_institution, username="x1", data=ops.UserData()
        )
    assert counts() == before


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_create_users(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    before = counts()
    with pytest.raises(PermissionDenied):
        ops.create_user(actor=user, institution=institution, username="x1", data=ops.UserData())
    assert counts() == before


def test_failed_create_user_leaves_no_user_behind(
    admin_user: User, institution: Institution
) -> None:
    """The user row is saved before the membership is validated; the transaction undoes it."""
    before = counts()
    with pytest.raises(ValidationError):
        ops.create_user(
            actor=admin_user,
            institution=institution,
            username="pusgatavs",
            data=ops.UserData(),
            kind="contractor",  # not a MembershipKind: the membership fails validation
        )
    assert counts() == before
    assert not User.objects.filter(username="pusgatavs").exists()


def test_update_user_by_self_and_by_admin(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution, Role.SERVICE_PROVIDER)
    ops.update_user(actor=user, user=user, data=ops.UserData(first_name="Anna", language="en"))
    ops.update_user(
        actor=admin_user, user=user, data=ops.UserData(first_name="Anna", last_name="Ozola")
    )
    user = refresh(user)
    assert (user.first_name, user.last_name, user.language) == ("Anna", "Ozola", "lv")
    events = AuditEvent.objects.for_object(user).filter(verb="user.updated")
    assert events.count() == 2
    assert set(events.values_list("actor_label", flat=True)) == {"anna", admin_user.username}


def test_update_user_validates(make_user: Callable[..., User], institution: Institution) -> None:
    user = make_user("anna", institution)
    with pytest.raises(ValidationError) as exc:
        ops.update_user(actor=user, user=user, data=ops.UserData(email="nav-adrese"))
    assert "email" in error_fields(exc.value)
    with pytest.raises(ValidationError) as exc:
        ops.update_user(actor=user, user=user, data=ops.UserData(language="de"))
    assert "language" in error_fields(exc.value)


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_update_a_colleague(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    colleague = make_user("kolega", institution)
    with pytest.raises(PermissionDenied):
        ops.update_user(actor=user, user=colleague, data=ops.UserData(first_name="X"))


def test_admin_cannot_update_a_member_of_another_institution_too(
    make_user: Callable[..., User],
    admin_user: User,
    superuser: User,
    institution: Institution,
    other_institution: Institution,
) -> None:
    shared = make_user("kopigs", institution)
    ops.add_membership(
        actor=superuser, user=shared, institution=other_institution, kind=MembershipKind.STAFF
    )
    with pytest.raises(PermissionDenied):
        ops.update_user(actor=admin_user, user=shared, data=ops.UserData(first_name="X"))
    with pytest.raises(PermissionDenied):
        ops.set_user_active(actor=admin_user, user=shared, active=False)


def test_institution_admin_cannot_take_over_an_installation_administrator(
    admin_user: User, superuser: User, institution: Institution
) -> None:
    """A superuser who is also a member of an institution must stay out of reach of that
    institution's administrators: changing their e-mail lets the administrator reset the
    superuser's password and take over the whole installation."""
    ops.add_membership(
        actor=superuser, user=superuser, institution=institution, kind=MembershipKind.STAFF
    )
    assert can(admin_user, "change", superuser) is False
    assert can(admin_user, "deactivate", superuser) is False
    with pytest.raises(PermissionDenied):
        ops.update_user(
            actor=admin_user, user=superuser, data=ops.UserData(email="attacker@example.lv")
        )
    assert User.objects.get(pk=superuser.pk).email == "root@zina.example.lv"


# --- Blocking users -------------------------------------------------------------------------


def test_set_user_active_revokes_tokens(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution, Role.SERVICE_PROVIDER)
    _t1, secret1 = ops.issue_api_token(actor=user, name="skripts")
    _t2, secret2 = ops.issue_api_token(actor=user, name="cits")
    assert user_for_token(secret1) == user

    ops.set_user_active(actor=admin_user, user=user, active=False)

    assert User.objects.get(pk=user.pk).is_active is False
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert ApiToken.objects.filter(user=user).count() == 2
    event = AuditEvent.objects.for_object(user).get(verb="user.deactivated")
    assert event.actor == admin_user
    assert event.before == {"is_active": True}
    assert event.after == {"is_active": False}

    # Unblocking restores login, not the revoked tokens.
    ops.set_user_active(actor=admin_user, user=refresh(user), active=True)
    assert User.objects.get(pk=user.pk).is_active is True
    assert user_for_token(secret1) is None
    assert user_for_token(secret2) is None
    assert AuditEvent.objects.for_object(user).filter(verb="user.activated").exists()


def test_admin_cannot_block_themself(admin_user: User) -> None:
    with pytest.raises(PermissionDenied):
        ops.set_user_active(actor=admin_user, user=admin_user, active=False)
    assert User.objects.get(pk=admin_user.pk).is_active is True


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_block_users(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    colleague = make_user("kolega", institution)
    with pytest.raises(PermissionDenied):
        ops.set_user_active(actor=user, user=colleague, active=False)
    assert User.objects.get(pk=colleague.pk).is_active is True


# --- Memberships ----------------------------------------------------------------------------


def test_add_membership_refuses_a_duplicate(
    make_user: Callable[..., User], superuser: User, institution: Institution
) -> None:
    user = make_user("anna", institution)
    before = counts()
    with pytest.raises(ValidationError):
        ops.add_membership(
            actor=superuser, user=user, institution=institution, kind=MembershipKind.STAFF
        )
    assert counts() == before


def test_remove_membership_removes_the_roles_there(
    make_user: Callable[..., User],
    admin_user: User,
    superuser: User,
    institution: Institution,
    other_institution: Institution,
) -> None:
    user = make_user("anna", institution, Role.SERVICE_PROVIDER)
    ops.assign_role(actor=superuser, user=user, institution=institution, role=Role.SUPPORT_EXPERT)
    ops.assign_role(
        actor=superuser, user=user, institution=other_institution, role=Role.SUPPORT_EXPERT
    )
    membership = Membership.objects.get(user=user, institution=institution)

    ops.remove_membership(actor=admin_user, membership=membership)

    assert not Membership.objects.filter(user=user, institution=institution).exists()
    assert not RoleAssignment.objects.filter(user=user, institution=institution).exists()
    remaining = RoleAssignment.objects.filter(user=user)
    assert list(remaining.values_list("institution__code", "role")) == [
        ("spa", Role.SUPPORT_EXPERT)
    ]
    assert Membership.objects.filter(user=user, institution=other_institution).exists()
    events = AuditEvent.objects.filter(actor=admin_user)
    assert events.filter(verb="role.revoked").count() == 2
    removed = events.get(verb="membership.removed")
    assert removed.before["institution_id"] == institution.pk
    assert removed.institution == institution
    assert User.objects.visible_to(refresh(user)).filter(pk=admin_user.pk).exists() is False


def test_non_admin_cannot_remove_memberships(
    role_users: dict[str, Any], institution: Institution
) -> None:
    membership = Membership.objects.get(user=role_users[Role.AUDITOR], institution=institution)
    for role in NON_ADMIN_ROLES:
        with pytest.raises(PermissionDenied):
            ops.remove_membership(actor=role_users[role], membership=membership)
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- Role assignments -----------------------------------------------------------------------


def test_assign_role_writes_the_assignment_and_an_audit_event(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution)
    assignment = ops.assign_role(
        actor=admin_user,
        user=user,
        institution=institution,
        role=Role.SERVICE_OWNER,
        responsibility=Responsibility.ACCOUNTABLE,
    )
    assignment.refresh_from_db()
    assert (assignment.role, assignment.responsibility) == (Role.SERVICE_OWNER, "A")
    assert assignment.scope_type_id is None
    event = AuditEvent.objects.for_object(assignment).get()
    assert event.verb == "role.assigned"
    assert event.actor == admin_user
    assert event.institution == institution
    assert event.after["role"] == Role.SERVICE_OWNER
    assert event.after["user_id"] == user.pk


def test_assign_role_refuses_a_duplicate(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution, Role.SUPPORT_SPECIALIST)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.assign_role(
            actor=admin_user, user=user, institution=institution, role=Role.SUPPORT_SPECIALIST
        )
    assert "role" in error_fields(exc.value)
    # The other mark is still the same role in the same scope.
    with pytest.raises(ValidationError):
        ops.assign_role(
            actor=admin_user,
            user=user,
            institution=institution,
            role=Role.SUPPORT_SPECIALIST,
            responsibility=Responsibility.ACCOUNTABLE,
        )
    assert counts() == before


@pytest.mark.parametrize("role", sorted(ops.SINGLE_ACCOUNTABLE_ROLES))
def test_second_accountable_holder_in_the_same_scope_is_refused(
    make_user: Callable[..., User], admin_user: User, institution: Institution, role: str
) -> None:
    make_user("pirmais", institution, role, responsibility=Responsibility.ACCOUNTABLE)
    second = make_user("otrais", institution)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.assign_role(
            actor=admin_user,
            user=second,
            institution=institution,
            role=role,
            responsibility=Responsibility.ACCOUNTABLE,
        )
    assert "responsibility" in error_fields(exc.value)
    assert counts() == before
    # Co-responsible holders beside the accountable one are fine.
    ops.assign_role(actor=admin_user, user=second, institution=institution, role=role)


def test_accountable_service_owner_per_institution_is_independent(
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    other_institution: Institution,
) -> None:
    make_user("pirmais", institution, Role.SERVICE_OWNER, responsibility="A")
    other = make_user("otrais", other_institution, Role.SERVICE_OWNER, responsibility="A")
    assert RoleAssignment.objects.filter(user=other, responsibility="A").exists()


def test_several_accountable_holders_of_other_roles_are_allowed(
    make_user: Callable[..., User], institution: Institution
) -> None:
    make_user("pirmais", institution, Role.INCIDENT_MANAGER, responsibility="A")
    make_user("otrais", institution, Role.INCIDENT_MANAGER, responsibility="A")
    assert (
        RoleAssignment.objects.filter(role=Role.INCIDENT_MANAGER, responsibility="A").count() == 2
    )


def test_partner_role_needs_a_partner_membership(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    staff = make_user("darbinieks", institution)
    partner = make_user("partneris", institution, kind=MembershipKind.PARTNER)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.assign_role(actor=admin_user, user=staff, institution=institution, role=Role.PARTNER)
    assert "role" in error_fields(exc.value)
    with pytest.raises(ValidationError):
        ops.assign_role(
            actor=admin_user, user=partner, institution=institution, role=Role.SERVICE_PROVIDER
        )
    assert counts() == before

    ops.assign_role(actor=admin_user, user=partner, institution=institution, role=Role.PARTNER)
    assert RoleAssignment.objects.filter(user=partner, role=Role.PARTNER).exists()


@pytest.mark.parametrize(
    ("role", "kind"),
    [(Role.SUPPORT_EXPERT, MembershipKind.STAFF), (Role.PARTNER, MembershipKind.PARTNER)],
)
def test_assign_role_adds_the_membership_it_needs(
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    role: str,
    kind: str,
) -> None:
    user = make_user("anna", other_institution)
    ops.assign_role(actor=superuser, user=user, institution=institution, role=role)
    membership = Membership.objects.get(user=user, institution=institution)
    assert membership.kind == kind
    assert AuditEvent.objects.for_object(membership).filter(verb="membership.added").exists()


def test_failed_assign_role_leaves_no_membership_behind(
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    other_institution: Institution,
) -> None:
    """The automatic membership is written before the accountable check fails; it must go."""
    make_user("pirmais", institution, Role.SERVICE_OWNER, responsibility="A")
    outsider = make_user("arejais", other_institution)
    before = counts()
    with pytest.raises(ValidationError):
        ops.assign_role(
            actor=superuser,
            user=outsider,
            institution=institution,
            role=Role.SERVICE_OWNER,
            responsibility=Responsibility.ACCOUNTABLE,
        )
    assert counts() == before
    assert not Membership.objects.filter(user=outsider, institution=institution).exists()


@pytest.mark.parametrize(
    ("role", "responsibility", "field"),
    [("chief", "L", "role"), (Role.SERVICE_OWNER, "X", "responsibility")],
)
def test_assign_role_refuses_unknown_values(
    make_user: Callable[..., User],
    admin_user: User,
    institution: Institution,
    role: str,
    responsibility: str,
    field: str,
) -> None:
    user = make_user("anna", institution)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.assign_role(
            actor=admin_user,
            user=user,
            institution=institution,
            role=role,
            responsibility=responsibility,
        )
    assert field in error_fields(exc.value)
    assert counts() == before


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_assign_roles(
    make_user: Callable[..., User], institution: Institution, role: str
) -> None:
    user = make_user("subjekts", institution, role)
    colleague = make_user("kolega", institution)
    before = counts()
    with pytest.raises(PermissionDenied):
        ops.assign_role(
            actor=user, user=colleague, institution=institution, role=Role.ADMINISTRATOR
        )
    with pytest.raises(PermissionDenied):
        ops.assign_role(actor=user, user=user, institution=institution, role=Role.ADMINISTRATOR)
    assert counts() == before


def test_admin_cannot_assign_roles_in_another_institution(
    admin_user: User, make_user: Callable[..., User], other_institution: Institution
) -> None:
    stranger = make_user("svesinieks", other_institution)
    with pytest.raises(PermissionDenied):
        ops.assign_role(
            actor=admin_user,
            user=stranger,
            institution=other_institution,
            role=Role.ADMINISTRATOR,
        )


def test_assigned_role_takes_effect(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution)
    assert can(user, "view_audit", institution) is False
    ops.assign_role(actor=admin_user, user=user, institution=institution, role=Role.AUDITOR)
    assert can(refresh(user), "view_audit", institution) is True


def test_revoke_role(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution, Role.AUDITOR)
    assert can(user, "view_audit", institution) is True
    assignment = RoleAssignment.objects.get(user=user)

    ops.revoke_role(actor=admin_user, assignment=assignment)

    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert can(refresh(user), "view_audit", institution) is False
    event = AuditEvent.objects.filter(verb="role.revoked").get()
    assert event.actor == admin_user
    assert event.institution == institution
    assert event.before["role"] == Role.AUDITOR
    assert event.after is None
    # The membership stays.
    assert Membership.objects.filter(user=user, institution=institution).exists()


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_revoke_roles(
    make_user: Callable[..., User], role_users: dict[str, Any], role: str
) -> None:
    target = RoleAssignment.objects.get(user=role_users[Role.ADMINISTRATOR])
    own = RoleAssignment.objects.get(user=role_users[role])
    for assignment in (target, own):
        with pytest.raises(PermissionDenied):
            ops.revoke_role(actor=role_users[role], assignment=assignment)
    assert RoleAssignment.objects.filter(pk__in=[target.pk, own.pk]).count() == 2


# --- Scoped roles (a stand-in scope kind; the catalog registers services and resources) ------


@pytest.fixture
def membership_scope() -> Iterator[None]:
    """Register Membership as a scope kind for service/resource owners, for these tests only."""
    saved = dict(roles_module._scope_kinds)
    roles_module.register_scope(
        "membership",
        "membership",
        Membership,
        {Role.SERVICE_OWNER, Role.SERVICE_PROVIDER},
    )
    yield
    roles_module._scope_kinds.clear()
    roles_module._scope_kinds.update(saved)


@pytest.mark.usefixtures("membership_scope")
def test_accountable_owner_is_unique_per_scope_object(
    make_user: Callable[..., User], superuser: User, institution: Institution
) -> None:
    first = make_user("pirmais", institution)
    second = make_user("otrais", institution)
    scope_a = Membership.objects.get(user=first)
    scope_b = Membership.objects.get(user=second)

    assignment = ops.assign_role(
        actor=superuser,
        user=first,
        institution=institution,
        role=Role.SERVICE_OWNER,
        responsibility="A",
        scope=scope_a,
    )
    assert assignment.scope_type == ContentType.objects.get_for_model(Membership)
    assert assignment.scope_id == scope_a.pk
    assert assignment.scope_object == scope_a
    # Another object: another accountable owner is fine; so is an institution-wide one.
    ops.assign_role(
        actor=superuser,
        user=second,
        institution=institution,
        role=Role.SERVICE_OWNER,
        responsibility="A",
        scope=scope_b,
    )
    ops.assign_role(
        actor=superuser,
        user=second,
        institution=institution,
        role=Role.SERVICE_OWNER,
        responsibility="A",
    )
    before = counts()
    with pytest.raises(ValidationError):
        ops.assign_role(
            actor=superuser,
            user=second,
            institution=institution,
            role=Role.SERVICE_OWNER,
            responsibility="A",
            scope=scope_a,
        )
    # The same user and role once per scope object.
    with pytest.raises(ValidationError):
        ops.assign_role(
            actor=superuser,
            user=first,
            institution=institution,
            role=Role.SERVICE_OWNER,
            scope=scope_a,
        )
    assert counts() == before


@pytest.mark.usefixtures("membership_scope")
def test_scope_must_fit_the_role_and_institution(
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    other_institution: Institution,
) -> None:
    user = make_user("anna", institution)
    own_scope = Membership.objects.get(user=user)
    foreign_scope = Membership.objects.get(user=make_user("svesinieks", other_institution))
    before = counts()
    cases: list[tuple[str, Any]] = [
        (Role.AUDITOR, own_scope),  # the role cannot be scoped to this kind
        (Role.SERVICE_OWNER, foreign_scope),  # the object belongs to another institution
        (Role.SERVICE_OWNER, institution),  # not a registered scope kind
    ]
    for role, scope in cases:
        with pytest.raises(ValidationError) as exc:
            ops.assign_role(
                actor=superuser, user=user, institution=institution, role=role, scope=scope
            )
        assert "scope" in error_fields(exc.value), (role, scope)
    assert counts() == before


# --- API tokens -----------------------------------------------------------------------------


def test_issue_api_token_validates(
    make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user("anna", institution)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        ops.issue_api_token(actor=user, name="   ")
    assert "name" in error_fields(exc.value)
    with pytest.raises(ValidationError) as exc:
        ops.issue_api_token(actor=user, name="x", expires_at=timezone.now() - timedelta(hours=1))
    assert "expires_at" in error_fields(exc.value)
    assert counts() == before


def test_issue_and_revoke_api_token_are_audited_without_the_secret(
    make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user("anna", institution)
    token, secret = ops.issue_api_token(actor=user, name="skripts")
    issued = AuditEvent.objects.for_object(token).get(verb="token.issued")
    assert "digest" not in issued.after
    assert secret not in str(issued.after)
    assert token.digest not in str(issued.after)

    ops.revoke_api_token(actor=user, token=token)
    ops.revoke_api_token(actor=user, token=token)  # revoking twice records once
    assert AuditEvent.objects.for_object(token).filter(verb="token.revoked").count() == 1
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_tokens_are_personal(
    make_user: Callable[..., User], admin_user: User, institution: Institution
) -> None:
    user = make_user("anna", institution)
    token, _secret = ops.issue_api_token(actor=user, name="skripts")
    with pytest.raises(PermissionDenied):
        ops.revoke_api_token(actor=admin_user, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
