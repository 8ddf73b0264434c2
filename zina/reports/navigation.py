"""Menu entry of the reports app: shown to whoever has at least one dashboard."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from zina.accounts.roles import grants_of
from zina.core.navigation import NavItem, register_nav
from zina.core.permissions import is_superuser

from .dashboards import DASHBOARDS, Dashboard, scopes_for
from .scope import Scope


def visible_scopes(user: Any) -> dict[str, Scope]:
    """:func:`~zina.reports.dashboards.scopes_for`, remembered on the user object for the
    request: the menu asks on every page, the reports pages ask again and use the scope."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached: dict[str, Scope] | None = getattr(user, "_zina_report_scopes", None)
    if cached is None:
        # Every dashboard's scope comes from the user's role grants: without one, no scope is
        # non-empty, and the menu need not compute five scopes to learn that.
        cached = scopes_for(user) if is_superuser(user) or grants_of(user) else {}
        user._zina_report_scopes = cached
    return cached


def visible_dashboards(user: Any) -> list[Dashboard]:
    return [DASHBOARDS[key] for key in visible_scopes(user)]


register_nav(
    NavItem(
        "reports",
        _("Reports"),
        "reports:index",
        _("Request volumes, service levels, availability and knowledge, per role."),
        lambda u: bool(visible_scopes(u)),
        order=9,
    )
)
