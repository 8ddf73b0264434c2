"""Menu entry of the service desk."""

from django.utils.translation import gettext_lazy as _

from zina.accounts.roles import READ_TICKETS, WORK_TICKETS, has_any_capability
from zina.core.navigation import NavItem, register_nav

register_nav(
    NavItem(
        "tickets",
        _("Tickets"),
        "tickets:queue",
        _("Incidents, problems, changes, service requests, complaints and suggestions."),
        lambda u: (
            bool(getattr(u, "is_superuser", False))
            or has_any_capability(u, {READ_TICKETS, WORK_TICKETS})
        ),
        order=4,
    )
)
