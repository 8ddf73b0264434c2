"""Tickets in search: every reader finds exactly the tickets ``visible_to`` shows them (the
totals agree), internal notes are never searchable, a reporter finds their own ticket and no
one else's, and the index follows a hand-over at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.search.queries import search
from zina.tickets import operations as ops
from zina.tickets.choices import EntryKind, Kind
from zina.tickets.models import Ticket

from . import _factories
from ._factories import COMMON, NOTE_SECRET, World
from .test_permissions import EXPECTED

pytestmark = pytest.mark.django_db

# Shared fixtures (see _factories).
world = _factories.world
scoped_owner = _factories.scoped_owner
scoped_partner = _factories.scoped_partner


def found(user: Any, text: str) -> tuple[set[int], int]:
    results = search(user, text, kinds=["ticket"], per_page=50)
    return {hit.pk for hit in results.hits}, results.total


def test_search_shows_what_visible_to_shows(world: World, subtests: Any) -> None:
    for reader in sorted(EXPECTED):
        with subtests.test(reader=reader):
            user = world.readers[reader]
            visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
            expected = {world.tickets[k].pk for k in EXPECTED[reader]["view"]}
            assert visible == expected
            pks, total = found(user, COMMON)
            assert pks == visible
            assert total == len(visible)
            # Without diacritics and in another form, the same.
            pks, total = found(user, f"{COMMON.upper()}S")
            assert pks == visible


def test_internal_notes_are_not_searchable(world: World) -> None:
    for reader in ("superuser", Role.SUPPORT_SPECIALIST, "reporter", "scoped_partner"):
        assert found(world.readers[reader], NOTE_SECRET) == (set(), 0)
    # Public replies are not indexed either (only what the ticket itself says).
    assert found(world.readers["superuser"], "Atbilde") == (set(), 0)


def test_a_reporter_finds_their_own_ticket_only(world: World) -> None:
    reporter = world.readers["reporter"]
    assert found(reporter, "Apraksts svc") == ({world.tickets["svc"].pk}, 1)
    assert found(reporter, "plain") == (set(), 0)
    # Another reporter's words find nothing either, though the ticket has them.
    assert found(world.readers["superuser"], "plain")[0] == {world.tickets["plain"].pk}


def test_the_index_follows_changes_at_once(world: World) -> None:
    specialist = world.readers[Role.SUPPORT_SPECIALIST]
    ticket = world.tickets["plain"]
    ops.update_ticket(actor=specialist, ticket=ticket, data=ops.TicketData(subject="Ugunsdzēsējs"))
    assert found(specialist, "ugunsdzesejs")[0] == {ticket.pk}
    assert found(specialist, "plain")[0] == {ticket.pk}  # still in the description
    ops.transition(
        actor=specialist, ticket=ticket, action="resolve", resolution="Nomainīts kabelis."
    )
    assert found(specialist, "kabelis")[0] == {ticket.pk}


def test_the_index_follows_a_hand_over(
    make_institution: Callable[..., Institution],
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
) -> None:
    desk = make_institution("vpvkac", "Vienotais klientu apkalpošanas centrs")
    desk_agent = make_user("konsultants", desk, Role.SUPPORT_SPECIALIST)
    owner_agent = make_user("vra-konsultants", institution, Role.SUPPORT_SPECIALIST)
    third_agent = make_user("spa-konsultants", other_institution, Role.SUPPORT_SPECIALIST)
    ticket = ops.open_ticket(
        actor=desk_agent,
        institution=desk,
        kind=Kind.REQUEST,
        data=ops.TicketData(subject="Izziņa par transportlīdzekli"),
    )
    ops.add_entry(actor=desk_agent, ticket=ticket, kind=EntryKind.NOTE, body="Iekšēja piezīme.")
    assert found(desk_agent, "transportlidzekli")[0] == {ticket.pk}
    assert found(owner_agent, "transportlidzekli") == (set(), 0)
    ops.hand_over(actor=desk_agent, ticket=ticket, institution=institution, reason="VRA.")
    for user, expected in (
        (desk_agent, {ticket.pk}),
        (owner_agent, {ticket.pk}),
        (third_agent, set()),
    ):
        pks, total = found(user, "transportlidzekli")
        assert pks == expected
        assert total == len(expected)
        assert set(Ticket.objects.visible_to(user).values_list("pk", flat=True)) == expected
    assert found(owner_agent, "Iekšēja piezīme") == (set(), 0)
