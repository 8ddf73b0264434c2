"""Services and resources as role scopes: owners, providers and partners are assigned per object."""

from django.utils.translation import gettext_lazy as _

from zina.accounts.choices import Role
from zina.accounts.roles import register_scope

from .models import Resource, Service

SERVICE_ROLES: set[str] = {
    Role.SERVICE_OWNER,
    Role.SERVICE_PROVIDER,
    Role.SUPPORT_SPECIALIST,
    Role.SUPPORT_EXPERT,
    Role.PARTNER,
}
RESOURCE_ROLES: set[str] = {Role.RESOURCE_OWNER, Role.SUPPORT_EXPERT, Role.PARTNER}

register_scope("service", _("service"), Service, SERVICE_ROLES)
register_scope("resource", _("resource"), Resource, RESOURCE_ROLES)
