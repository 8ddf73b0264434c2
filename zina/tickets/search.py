"""What tickets put in the search index: one document per ticket, in its language.

Only text everyone who may see the ticket may read is indexed — subject, description,
resolution, a problem's cause and workaround, a complaint's answer — never internal notes, so
neither a hit nor a snippet can reveal them to the reporter. The access tokens are those
``ticket_rule`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, register, url_maker

from .choices import Kind, State
from .models import Ticket, reference_of
from .permissions import ticket_rule, ticket_tokens

KIND_LABELS = dict(Kind.choices)
STATE_LABELS = dict(State.choices)


class _Row(NamedTuple):
    """What a ticket's document is built from, as plain values (searches hydrate every hit
    through here: model instances, select_related and one reverse() per ticket cost four
    times as much)."""

    id: int
    kind: str
    state: str
    institution_id: int
    received_by_id: int | None
    service_id: int | None
    resource_id: int | None
    assignee_id: int | None
    reporter_id: int | None
    language: str
    subject: str
    workaround: str
    service_name: str | None
    resource_name: str | None
    description: str
    resolution: str
    root_cause: str
    answer: str
    implementation_result: str
    updated_at: datetime
    priority: str


# The columns of _Row (a linked row's name through its foreign key).
_FIELDS = [name.replace("_name", "__name") for name in _Row._fields]


def build_tickets(pks: Sequence[int]) -> Iterable[IndexDoc]:
    rows = Ticket.objects.filter(pk__in=pks).order_by("pk").values_list(*_FIELDS)
    url = url_maker("tickets:detail")
    for values in rows:
        ticket = _Row._make(values)
        names = " ".join(n for n in (ticket.service_name, ticket.resource_name) if n)
        reference = reference_of(ticket.kind, ticket.id)
        yield IndexDoc(
            kind="ticket",
            pk=ticket.id,
            language=ticket.language if ticket.language in ("lv", "en") else "lv",
            title=ticket.subject,
            summary=f"{reference}\n{ticket.workaround}\n{names}",
            body="\n".join(
                part
                for part in (
                    ticket.description,
                    ticket.resolution,
                    ticket.root_cause,
                    ticket.answer,
                    ticket.implementation_result,
                )
                if part
            ),
            acl=ticket_tokens(ticket),
            type=ticket.kind,
            state=ticket.state,
            audience="internal",
            institution=ticket.institution_id,
            services=[ticket.service_id] if ticket.service_id else [],
            date=ticket.updated_at,
            url=url(ticket.id),
            meta={
                "reference": reference,
                "state": STATE_LABELS.get(ticket.state),
                "priority": ticket.priority,
            },
        )


register(
    DocType(
        kind="ticket",
        label=_("Ticket"),
        model=Ticket,
        build=build_tickets,
        rule=ticket_rule,
        labels={"type": KIND_LABELS, "state": STATE_LABELS},
    )
)
