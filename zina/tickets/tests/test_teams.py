"""Teams: created and changed by whoever manages the institution's tickets (incident manager,
administrator), audited; members must be the institution's staff; others may only look."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from zina.accounts.choices import Role
from zina.core.models import AuditEvent
from zina.tickets import operations as ops
from zina.tickets.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user: Callable[..., Any], institution: Any) -> Any:
    return make_user("vadītājs", institution, Role.INCIDENT_MANAGER)


def test_create_and_change_a_team(manager: Any, specialist: Any, institution: Any) -> None:
    team = ops.create_team(
        actor=manager,
        institution=institution,
        data=ops.TeamData(name=" 1. līmenis ", level=1, members=[specialist]),
    )
    assert team.name == "1. līmenis"
    assert list(team.members.all()) == [specialist]
    team = ops.update_team(
        actor=manager, team=team, data=ops.TeamData(name="Eksperti", level=2, members=[])
    )
    assert (team.level, team.members.count()) == (2, 0)
    verbs = set(AuditEvent.objects.for_object(team).values_list("verb", flat=True))
    assert verbs == {"team.created", "team.changed"}


def test_members_must_be_staff_and_names_unique(
    manager: Any, make_user: Callable[..., Any], institution: Any, other_institution: Any
) -> None:
    stranger = make_user("svešais", other_institution, Role.SUPPORT_SPECIALIST)
    with pytest.raises(ValidationError) as caught:
        ops.create_team(
            actor=manager,
            institution=institution,
            data=ops.TeamData(name="Atbalsts", members=[stranger]),
        )
    assert "members" in caught.value.message_dict
    ops.create_team(actor=manager, institution=institution, data=ops.TeamData(name="Atbalsts"))
    with pytest.raises(ValidationError) as caught:
        ops.create_team(actor=manager, institution=institution, data=ops.TeamData(name="Atbalsts"))
    assert "name" in caught.value.message_dict
    assert Team.objects.count() == 1


def test_a_specialist_may_not_manage_teams(specialist: Any, institution: Any) -> None:
    with pytest.raises(PermissionDenied):
        ops.create_team(actor=specialist, institution=institution, data=ops.TeamData(name="X"))
    assert not Team.objects.exists()


def test_team_pages(client: Client, manager: Any, specialist: Any, institution: Any) -> None:
    client.force_login(specialist)
    assert client.get("/tickets/teams/").status_code == 200
    assert client.get("/tickets/teams/new/").status_code == 403
    client.force_login(manager)
    response = client.post(
        "/tickets/teams/new/",
        {
            "institution": institution.pk,
            "name": "2. līmenis",
            "level": 2,
            "members": [specialist.pk],
        },
    )
    assert response.status_code == 302
    team = Team.objects.get()
    assert (team.level, list(team.members.all())) == (2, [specialist])
    page = client.get("/tickets/teams/").content.decode()
    assert "2. līmenis" in page
    response = client.post(f"/tickets/teams/{team.pk}/", {"name": "", "level": 2})
    assert response.status_code == 200  # the form again, with its error
    team.refresh_from_db()
    assert team.name == "2. līmenis"


def test_incoming_mail_records_only_for_ticket_managers(
    manager: Any, specialist: Any, institution: Any
) -> None:
    from zina.tickets.models import MailMessage

    MailMessage.objects.create(
        mailbox="vra",
        institution=institution,
        uidvalidity=1,
        uid=1,
        sha256="0" * 64,
        status="quarantined",
        reason="too_large",
    )
    assert MailMessage.objects.visible_to(manager).count() == 1
    assert MailMessage.objects.visible_to(specialist).count() == 0
