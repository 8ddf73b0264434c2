"""The "Open incidents and known errors" panel on service and resource pages: only tickets
(and known-error articles) the viewer may see."""

from __future__ import annotations

from typing import Any

from zina.catalog.panels import Panel, register_panel
from zina.knowledge.models import Article

from .choices import OPEN_STATES, Kind, State
from .models import Ticket

LIMIT = 20


def _tickets_of(kind: str) -> Any:
    def context(user: Any, obj: Any) -> dict[str, Any]:
        if not getattr(user, "is_authenticated", False):
            return {"show": False}
        about = Ticket.objects.visible_to(user).filter(**{kind: obj})
        incidents = list(
            about.filter(kind=Kind.INCIDENT, state__in=OPEN_STATES).order_by(
                "priority", "-created_at"
            )[:LIMIT]
        )
        problems = list(
            about.filter(kind=Kind.PROBLEM, state=State.KNOWN_ERROR).order_by("-updated_at")[:LIMIT]
        )
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
