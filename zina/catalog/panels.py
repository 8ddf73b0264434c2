"""Places on the service and resource pages that later apps fill (open incidents, known errors,
articles, current status). An app registers a template and a context function; the page
renders every registered panel in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]  # (request user, object) -> context
    order: int = 100


_panels: dict[str, dict[str, Panel]] = {"service": {}, "resource": {}}


def register_panel(kind: str, panel: Panel) -> None:
    _panels[kind][panel.key] = panel


def panels_for(kind: str, user: Any, obj: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (p.template, p.context(user, obj))
        for p in sorted(_panels[kind].values(), key=lambda p: (p.order, p.key))
    ]
