"""Menu entries of the catalog."""

from django.utils.translation import gettext_lazy as _

from zina.core.navigation import NavItem, register_nav

register_nav(
    NavItem(
        "catalog",
        _("Catalog"),
        "catalog:service_list",
        _("Services and resources, their owners, service levels and dependencies."),
        lambda u: True,
        order=10,
    )
)
