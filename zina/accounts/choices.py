"""Fixed vocabularies of the accounts domain (labels are translated: Latvian first)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles from task card PU2-11 and the service desk (N6-2)."""

    SERVICE_PORTFOLIO_OWNER = "service_portfolio_owner", _("Service portfolio owner")
    SERVICE_OWNER = "service_owner", _("Service owner")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    RESOURCE_PORTFOLIO_OWNER = "resource_portfolio_owner", _("Resource portfolio owner")
    RESOURCE_OWNER = "resource_owner", _("Resource owner")
    SUPPORT_SPECIALIST = "support_specialist", _("Support specialist (level 1)")
    SUPPORT_EXPERT = "support_expert", _("Support expert (level 2)")
    INCIDENT_MANAGER = "incident_manager", _("Incident manager")
    PROBLEM_MANAGER = "problem_manager", _("Problem manager")
    CHANGE_MANAGER = "change_manager", _("Change manager")
    KNOWLEDGE_MANAGER = "knowledge_manager", _("Knowledge manager")
    ADMINISTRATOR = "administrator", _("Administrator")
    AUDITOR = "auditor", _("Auditor (read-only)")
    PARTNER = "partner", _("Partner (external service provider)")


class Responsibility(models.TextChoices):
    """The task card's A/L mark."""

    ACCOUNTABLE = "A", _("Accountable (A)")
    CO_RESPONSIBLE = "L", _("Co-responsible (L)")


class MembershipKind(models.TextChoices):
    """Staff of the institution, or staff of an external provider working for it."""

    STAFF = "staff", _("Staff")
    PARTNER = "partner", _("Partner")


class Language(models.TextChoices):
    LATVIAN = "lv", _("Latvian")
    ENGLISH = "en", _("English")
