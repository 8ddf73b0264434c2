"""The service and resource catalog: services with SLA definitions, resources, dependencies."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zina.core.models import TimeStampedModel
from zina.core.permissions import RestrictedManager

from .calendar import SupportHours
from .choices import Channel, Criticality, Priority, Recipient, ResourceType, Status

identifier_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9:._/-]{0,99}$",
    _("Use letters, digits and : . _ / - (no spaces), up to 100 characters."),
)


def _validate_choices_list(value: Any, choices: type[models.TextChoices], label: str) -> None:
    if not isinstance(value, list) or any(v not in choices.values for v in value):
        raise ValidationError(
            _("Unknown %(what)s: %(values)s. Allowed: %(allowed)s.")
            % {
                "what": label,
                "values": ", ".join(
                    str(v) for v in (value if isinstance(value, list) else [value])
                ),
                "allowed": ", ".join(choices.values),
            }
        )


def validate_recipients(value: Any) -> None:
    _validate_choices_list(value, Recipient, "recipients")


def validate_channels(value: Any) -> None:
    _validate_choices_list(value, Channel, "channels")


class Service(TimeStampedModel):
    """A service (pakalpojums) of an institution, as in the state services register."""

    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("institution"),
    )
    identifier = models.CharField(
        _("identifier"), max_length=100, validators=[identifier_validator]
    )
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name in English"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    category = models.CharField(_("category"), max_length=120, blank=True, db_index=True)
    recipients = models.JSONField(
        _("recipients"), default=list, blank=True, validators=[validate_recipients]
    )
    channels = models.JSONField(
        _("channels"), default=list, blank=True, validators=[validate_channels]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    is_public = models.BooleanField(_("public"), default=True)
    fee = models.TextField(_("fee"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("related services")
    )
    resources = models.ManyToManyField(  # type: ignore[var-annotated]
        "Resource", through="ServiceDependency", related_name="services", blank=True
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["institution__name", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "identifier"], name="uniq_service_identifier"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:service_detail", args=[self.pk])

    def recipient_labels(self) -> list[str]:
        return [str(Recipient(v).label) for v in self.recipients if v in Recipient.values]

    def channel_labels(self) -> list[str]:
        return [str(Channel(v).label) for v in self.channels if v in Channel.values]


class Resource(TimeStampedModel):
    """A resource (resurss): an information system, data register, infrastructure item or an
    external service that services depend on, as in the resources register."""

    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.PROTECT,
        related_name="resources",
        verbose_name=_("institution"),
    )
    identifier = models.CharField(
        _("identifier"), max_length=100, validators=[identifier_validator]
    )
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name in English"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=30, choices=ResourceType.choices)
    criticality = models.CharField(
        _("criticality"), max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    depends_on = models.ManyToManyField(
        "self",
        through="ResourceDependency",
        symmetrical=False,
        related_name="dependents",
        blank=True,
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["institution__name", "name"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "identifier"], name="uniq_resource_identifier"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:resource_detail", args=[self.pk])


class ServiceDependency(models.Model):
    """A service relies on a resource: when the resource is interrupted, the service is affected."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependencies")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="service_links")

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("service dependency")
        verbose_name_plural = _("service dependencies")
        constraints = [
            models.UniqueConstraint(fields=["service", "resource"], name="uniq_service_dependency"),
        ]

    def __str__(self) -> str:
        return f"{self.service} → {self.resource}"


class ResourceDependency(models.Model):
    """A resource relies on another resource (an application on a server, a register on storage)."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="dependency_links"
    )
    depends_on = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="dependent_links"
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("resource dependency")
        verbose_name_plural = _("resource dependencies")
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "depends_on"], name="uniq_resource_dependency"
            ),
            models.CheckConstraint(
                condition=~models.Q(resource=models.F("depends_on")),
                name="resource_not_self_dependent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} → {self.depends_on}"


class ServiceLevel(models.Model):
    """The service level definition (SLA) of a service: support hours and availability target.

    Response and resolution targets per priority are in :class:`ServiceLevelTarget`.
    """

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="service_level")
    around_the_clock = models.BooleanField(_("24/7 support"), default=False)
    support_start = models.TimeField(_("support from"), default=time(8, 30))
    support_end = models.TimeField(_("support until"), default=time(17, 0))
    support_days = models.CharField(
        _("support days"),
        max_length=7,
        default="12345",
        validators=[RegexValidator(r"^[1-7]{1,7}$", _("Days as digits 1–7, Monday = 1."))],
        help_text=_("Working days as digits, Monday = 1: “12345” is Monday to Friday."),
    )
    availability_target = models.DecimalField(
        _("availability target %"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("99.000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")

    def __str__(self) -> str:
        return f"SLA: {self.service}"

    def clean(self) -> None:
        if not self.around_the_clock and self.support_start >= self.support_end:
            raise ValidationError({"support_end": _("Support must end after it starts.")})

    @property
    def support_hours(self) -> SupportHours:
        if self.around_the_clock:
            return SupportHours.around_the_clock()
        return SupportHours(
            start=self.support_start,
            end=self.support_end,
            weekdays=frozenset(int(d) - 1 for d in self.support_days),
        )

    def targets_by_priority(self) -> dict[str, ServiceLevelTarget]:
        return {t.priority: t for t in self.targets.all()}


class ServiceLevelTarget(models.Model):
    """Response and resolution targets of one priority, in working minutes of the SLA's hours."""

    service_level = models.ForeignKey(
        ServiceLevel, on_delete=models.CASCADE, related_name="targets"
    )
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))

    class Meta:
        ordering = ["priority"]
        verbose_name = _("service level target")
        verbose_name_plural = _("service level targets")
        constraints = [
            models.UniqueConstraint(fields=["service_level", "priority"], name="uniq_sla_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.response_minutes}/{self.resolution_minutes} min"

    def clean(self) -> None:
        both = self.resolution_minutes is not None and self.response_minutes is not None
        if both and self.resolution_minutes < self.response_minutes:
            raise ValidationError(
                {"resolution_minutes": _("Resolution cannot be due before the response.")}
            )
