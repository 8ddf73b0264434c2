"""Template filters of the ticket pages: timeline event texts, SLA clock labels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..choices import Level, LinkKind
from ..verbs import EVENT_LABELS

register = template.Library()

CLOCK_STATUS = {
    "running": gettext_lazy("Running"),
    "warning": gettext_lazy("At risk"),
    "breached": gettext_lazy("Breached"),
    "paused": gettext_lazy("Paused"),
    "met": gettext_lazy("Met"),
}
RELATIONS = dict(LinkKind.choices)
LEVELS = dict(Level.choices)


@register.filter
def event_label(entry: Any) -> str:
    return str(EVENT_LABELS.get(entry.verb, entry.verb))


@register.filter
def event_details(entry: Any) -> str:
    """The few facts an event carries, in words ("→ IS eksperti", "level 1 → 2")."""
    data = entry.data or {}
    parts: list[str] = []
    if data.get("team") or data.get("assignee"):
        parts.append(" / ".join(str(x) for x in (data.get("team"), data.get("assignee")) if x))
    if "to_level" in data:
        parts.append(
            _("level %(a)s → %(b)s") % {"a": data.get("from_level"), "b": data.get("to_level")}
        )
    if data.get("target") and "source" in data and isinstance(data["source"], str):
        parts.append(f"{data['source']} → {data['target']}")
    if data.get("relation"):
        parts.append(str(RELATIONS.get(data["relation"], data["relation"])))
    if isinstance(data.get("fields"), list):
        parts.append(", ".join(data["fields"]))
    return "; ".join(parts)


@register.filter
def clock_status(status: str) -> str:
    return str(CLOCK_STATUS.get(status, status))


@register.filter
def level_label(value: int) -> str:
    return str(LEVELS.get(value, value))
