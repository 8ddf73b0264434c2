"""Fixed vocabularies of the catalog (labels translated; Latvian first)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Recipient(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    BUSINESSES = "businesses", _("Businesses")
    INSTITUTIONS = "institutions", _("Institutions")


class Channel(models.TextChoices):
    E_SERVICE = "e_service", _("E-service")
    VISITOR_DESK = "visitor_desk", _("Visitor service desk")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    POST = "post", _("Post")
    VIDEO = "video", _("Video call")


class Status(models.TextChoices):
    """Lifecycle of a service or a resource."""

    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class ResourceType(models.TextChoices):
    INFORMATION_SYSTEM = "information_system", _("Information system")
    APPLICATION = "application", _("Application")
    DATA_REGISTER = "data_register", _("Data register")
    SERVER = "server", _("Server")
    STORAGE = "storage", _("Storage")
    NETWORK = "network", _("Network")
    WORKSTATION = "workstation", _("Workstation")
    EXTERNAL_SERVICE = "external_service", _("External or partner service")


class Criticality(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Priority(models.TextChoices):
    P1 = "P1", _("P1 — critical")
    P2 = "P2", _("P2 — high")
    P3 = "P3", _("P3 — medium")
    P4 = "P4", _("P4 — low")
