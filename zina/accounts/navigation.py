"""Menu entries of the accounts domain."""

from django.utils.translation import gettext_lazy as _

from zina.core.navigation import NavItem, register_nav

from .roles import ADMINISTER, STAFF_DIRECTORY, VIEW_AUDIT, has_any_capability


def _authenticated(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False))


register_nav(
    NavItem("home", _("Home"), "core:home", _("Your roles and duties."), lambda u: True, order=0)
)
register_nav(
    NavItem(
        "institutions",
        _("Institutions"),
        "accounts:institution_list",
        _("Institutions of this installation, their staff and roles."),
        _authenticated,
        order=80,
    )
)
register_nav(
    NavItem(
        "users",
        _("Users"),
        "accounts:user_list",
        _("Colleagues and their roles; administrators add users and assign roles."),
        lambda u: has_any_capability(u, {STAFF_DIRECTORY, ADMINISTER}),
        order=81,
    )
)
register_nav(
    NavItem(
        "audit",
        _("Audit trail"),
        "accounts:audit_list",
        _("Who changed what and when."),
        lambda u: has_any_capability(u, {VIEW_AUDIT}),
        order=82,
    )
)
register_nav(
    NavItem(
        "profile",
        _("My profile"),
        "accounts:profile",
        _("Your name, e-mail, language, password and API tokens."),
        _authenticated,
        order=90,
        in_menu=False,
    )
)
register_nav(
    NavItem(
        "api",
        _("API"),
        "api:openapi-view",
        _("The REST API and its documentation."),
        _authenticated,
        order=95,
        in_menu=False,
    )
)
