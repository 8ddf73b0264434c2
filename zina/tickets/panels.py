"""The "Open incidents and known errors" panel on service and resource pages: only tickets
(and known-error articles) the viewer may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zina.catalog.panels import Panel, register_panel
from zina.knowledge.models import Article

from .choices import OPEN_STATES, Kind, State
from .models import Ticket

LIMIT = 20


def _tickets_of(kind: str) -> Any:
    def context(user: Any, obj: Any) -> dict[str, Any]:
        if not getattr(user, "is_authenticated", False):
            return {"show": False}
        # One query for both lists (the page shows several panels).
        rows = list(
            Ticket.objects.visible_to(user)
            .filter(**{kind: obj})
            .filter(
                Q(kind=Kind.INCIDENT, state__in=OPEN_STATES)
                | Q(kind=Kind.PROBLEM, state=State.KNOWN_ERROR)
            )
            .order_by("-updated_at")[: 10 * LIMIT]
        )
        incidents = sorted(
            (t for t in rows if t.kind == Kind.INCIDENT),
            key=lambda t: (t.priority, -t.created_at.timestamp()),
        )[:LIMIT]
        problems = [t for t in rows if t.kind == Kind.PROBLEM][:LIMIT]
        article_ids = [p.known_error_article_id for p in problems if p.known_error_article_id]
        articles = Article.objects.visible_to(user).in_bulk(article_ids)
        known_errors = [(p, articles.get(p.known_error_article_id or 0)) for p in problems]
        return {
            "show": bool(incidents or known_errors),
            "incidents": incidents,
            "known_errors": known_errors,
            "subject": obj,
        }

    return context


register_panel("service", Panel("tickets", "tickets/_panel.html", _tickets_of("service"), 10))
register_panel("resource", Panel("tickets", "tickets/_panel.html", _tickets_of("resource"), 10))
