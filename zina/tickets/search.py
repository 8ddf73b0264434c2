"""What tickets put in the search index: one document per ticket, in its language.

Only text everyone who may see the ticket may read is indexed — subject, description,
resolution, a problem's cause and workaround, a complaint's answer — never internal notes, so
neither a hit nor a snippet can reveal them to the reporter. The access tokens are those
``ticket_rule`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zina.search.registry import DocType, IndexDoc, register

from .choices import Kind, State
from .models import Ticket
from .permissions import ticket_rule, ticket_tokens

KIND_LABELS = dict(Kind.choices)
STATE_LABELS = dict(State.choices)


def build_tickets(pks: Sequence[int]) -> Iterable[IndexDoc]:
    rows = Ticket.objects.filter(pk__in=pks).select_related("service", "resource")
    for ticket in rows.order_by("pk"):
        names = " ".join(str(x) for x in (ticket.service, ticket.resource) if x is not None)
        yield IndexDoc(
            kind="ticket",
            pk=ticket.pk,
            language=ticket.language if ticket.language in ("lv", "en") else "lv",
            title=ticket.subject,
            summary=f"{ticket.reference}\n{ticket.workaround}\n{names}",
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
            url=reverse("tickets:detail", args=[ticket.pk]),
            meta={
                "reference": ticket.reference,
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
