"""Labels of the accounts domain's audit verbs."""

from django.utils.translation import gettext_lazy as _

from zina.core.audit import register_verbs

register_verbs(
    {
        "institution.created": _("Institution created"),
        "institution.updated": _("Institution changed"),
        "institution.activated": _("Institution activated"),
        "institution.deactivated": _("Institution deactivated"),
        "user.created": _("User created"),
        "user.updated": _("User changed"),
        "user.activated": _("Login unblocked"),
        "user.deactivated": _("Login blocked"),
        "membership.added": _("Member added"),
        "membership.removed": _("Member removed"),
        "role.assigned": _("Role assigned"),
        "role.revoked": _("Role revoked"),
        "token.issued": _("API token issued"),
        "token.revoked": _("API token revoked"),
    }
)
