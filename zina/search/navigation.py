"""Menu entries of search."""

from django.utils.translation import gettext_lazy as _

from zina.accounts.roles import MANAGE_KNOWLEDGE, has_any_capability
from zina.core.navigation import NavItem, register_nav

register_nav(
    NavItem(
        "search",
        _("Search"),
        "search:search",
        _("Search articles, services and resources as you type them, with or without diacritics."),
        lambda u: True,
        order=2,
    )
)
register_nav(
    NavItem(
        "search_gaps",
        _("Knowledge gaps"),
        "search:gaps",
        _("Searches that found nothing: the articles people are missing."),
        lambda u: u.is_superuser or has_any_capability(u, {MANAGE_KNOWLEDGE}),
        order=8,
        in_menu=False,
    )
)
