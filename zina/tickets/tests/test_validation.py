"""Bad input to the ticket operations is refused with a message per field and nothing is
written — the database never sees a value it would reject with an error page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from zina.tickets import operations as ops
from zina.tickets.models import Ticket


def _open(institution: Any, actor: Any, **data: Any) -> Ticket:
    reporter = data.pop("reporter", ops.Reporter(name="Pilsonis", email="pilsonis@example.lv"))
    return ops.open_ticket(
        actor=actor,
        institution=institution,
        kind="incident",
        data=ops.TicketData(**data),
        reporter=reporter,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"subject": "x" * 301}, "subject"),
        ({"subject": "Kļūda", "language": "de"}, "language"),
        ({"subject": "Kļūda", "reporter": ops.Reporter(email="nav-adrese")}, "reporter_email"),
        ({"subject": "   "}, "subject"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(
    institution: Any, specialist: Any, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _open(institution, specialist, **data)
    assert field in caught.value.message_dict
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_nul_characters_are_dropped(institution: Any, specialist: Any) -> None:
    ticket = _open(institution, specialist, subject="Kļū\x00da", description="a\x00b")
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.description) == ("Kļūda", "ab")
    entry = ops.add_entry(actor=specialist, ticket=ticket, kind="note", body="pie\x00zīme")
    assert entry.body == "piezīme"


@pytest.mark.django_db
def test_update_refuses_an_overlong_subject(institution: Any, specialist: Any) -> None:
    ticket = _open(institution, specialist, subject="Kļūda")
    with pytest.raises(ValidationError) as caught:
        ops.update_ticket(actor=specialist, ticket=ticket, data=ops.TicketData(subject="y" * 400))
    assert "subject" in caught.value.message_dict
    ticket.refresh_from_db()
    assert ticket.subject == "Kļūda"
    assert ticket.version == 1
