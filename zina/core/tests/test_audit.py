"""The audit trail: append-only, carries the request id, shows field-level changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from zina.accounts import operations as ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.core.audit import record, snapshot
from zina.core.history import history_for
from zina.core.models import AppendOnlyError, AuditEvent


@pytest.fixture
def event(institution: Institution) -> AuditEvent:
    return AuditEvent.objects.for_object(institution).get(verb="institution.created")


def test_saving_an_existing_event_is_refused(event: AuditEvent) -> None:
    event.verb = "institution.tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).verb == "institution.created"


def test_deleting_an_event_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(verb="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().visible_to(event.actor).update(verb="x")
    assert AuditEvent.objects.get(pk=event.pk).verb == "institution.created"


def test_queryset_delete_is_refused(event: AuditEvent) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == count


def test_deleting_the_actor_is_refused(event: AuditEvent) -> None:
    """Events keep their actor: a user with recorded actions cannot be deleted."""
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        event.actor.delete()


def test_record_outside_a_request_has_no_request_id(superuser: User) -> None:
    institution = ops.create_institution(
        actor=superuser, data=ops.InstitutionData(code="dpm", name="Ministrija")
    )
    event = AuditEvent.objects.for_object(institution).get()
    assert event.request_id == "-"


def test_record_by_the_system(institution: Institution) -> None:
    event = record(actor=None, verb="system.check", obj=institution, institution=institution)
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.content_type == ContentType.objects.get_for_model(Institution)
    assert event.object_id == str(institution.pk)


def test_request_id_from_header_is_recorded(client: Client, superuser: User) -> None:
    client.force_login(superuser)
    response = client.post(
        reverse("accounts:institution_create"),
        {"code": "dpm", "name": "Digitālās pārvaldības ministrija"},
        headers={"X-Request-ID": "req-2026-abcdef"},
    )
    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-2026-abcdef"
    institution = Institution.objects.get(code="dpm")
    event = AuditEvent.objects.for_object(institution).get(verb="institution.created")
    assert event.request_id == "req-2026-abcdef"
    assert event.actor == superuser


def test_request_id_from_header_is_recorded_through_the_api(
    client: Client, superuser: User
) -> None:
    client.force_login(superuser)
    response = client.post(
        "/api/v1/institutions",
        {"code": "dpm", "name": "Ministrija"},
        content_type="application/json",
        headers={"X-Request-ID": "api-req-12345678"},
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(verb="institution.created", object_repr="Ministrija")
    assert event.request_id == "api-req-12345678"


@pytest.mark.parametrize("header", ["short", "has spaces in it", "x" * 65, "semi;colon;value"])
def test_unsafe_request_id_is_replaced(client: Client, superuser: User, header: str) -> None:
    client.force_login(superuser)
    response = client.post(
        reverse("accounts:institution_create"),
        {"code": "dpm", "name": "Ministrija"},
        headers={"X-Request-ID": header},
    )
    assert response.status_code == 302
    request_id = response["X-Request-ID"]
    assert request_id != header
    assert len(request_id) == 32
    event = AuditEvent.objects.get(verb="institution.created", object_repr="Ministrija")
    assert event.request_id == request_id


def test_changes_lists_only_changed_fields(institution: Institution) -> None:
    event = record(
        actor=None,
        verb="institution.updated",
        obj=institution,
        before={"name": "A", "phone": "", "email": "x@example.lv"},
        after={"name": "B", "phone": "", "website": "https://example.lv"},
    )
    assert event.changes == [
        ("email", "x@example.lv", None),
        ("name", "A", "B"),
        ("website", None, "https://example.lv"),
    ]


def test_changes_of_creation_and_deletion(institution: Institution) -> None:
    created = record(actor=None, verb="x.created", obj=institution, after={"a": 1, "b": None})
    assert created.changes == [("a", None, 1)]
    deleted = record(actor=None, verb="x.deleted", obj=institution, before={"a": 1})
    assert deleted.changes == [("a", 1, None)]
    nothing = record(actor=None, verb="x.touched", obj=institution)
    assert nothing.changes == []


def test_snapshot_leaves_out_secrets_and_timestamps(superuser: User) -> None:
    data = snapshot(superuser)
    assert "password" not in data
    assert "last_login" not in data
    assert data["username"] == "root"
    assert data["is_superuser"] is True


def test_for_object_and_history(
    institution: Institution, other_institution: Institution, superuser: User
) -> None:
    assert list(AuditEvent.objects.for_object(institution).values_list("verb", flat=True)) == [
        "institution.created"
    ]
    ops.update_institution(
        actor=superuser,
        institution=institution,
        data=ops.InstitutionData(code="vra", name="Jauns nosaukums"),
    )
    history = history_for(superuser, institution)
    assert [e.verb for e in history] == ["institution.updated", "institution.created"]


def test_history_follows_the_objects_own_view_rule(
    make_user: Callable[..., User], institution: Institution
) -> None:
    """An object's history is shown to whoever may see the object (its registered view rule);
    the audit trail across objects stays with the audit capability."""
    provider = make_user("sniedzejs", institution, Role.SERVICE_PROVIDER)
    auditor = make_user("revidents", institution, Role.AUDITOR)
    assert [e.verb for e in history_for(provider, institution)] == ["institution.created"]
    assert [e.verb for e in history_for(auditor, institution)] == ["institution.created"]
    assert history_for(AnonymousUser(), institution) == []
    assert not AuditEvent.objects.visible_to(provider).filter(verb="institution.created").exists()
    institution.is_active = False
    institution.save()
    assert history_for(provider, institution) == []  # inactive institutions are not public


def test_institution_auditor_sees_changes_to_its_users(
    make_user: Callable[..., User], institution: Institution
) -> None:
    """An institution's audit trail must show what its administrators did to its members.

    ``update_user`` and ``set_user_active`` record their events with no institution, so only
    the actor and superusers can see them: an auditor of the institution cannot see that an
    administrator blocked a member or changed a member's e-mail address.
    """
    admin = make_user("admins", institution, Role.ADMINISTRATOR)
    auditor = make_user("revidents", institution, Role.AUDITOR)
    member = make_user("darbinieks", institution)
    ops.update_user(actor=admin, user=member, data=ops.UserData(email="cits@example.lv"))
    ops.set_user_active(actor=admin, user=member, active=False)

    visible: Any = AuditEvent.objects.visible_to(auditor).for_object(member)
    assert {"user.updated", "user.deactivated"} <= set(visible.values_list("verb", flat=True))
