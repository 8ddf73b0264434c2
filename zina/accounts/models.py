"""Institutions (tenants), users, memberships, role assignments, API tokens, login attempts."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zina.core.models import TimeStampedModel
from zina.core.permissions import RestrictedManager, RestrictedQuerySet

from .choices import Language, MembershipKind, Responsibility, Role

code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{1,39}$",
    _("Use 2–40 lowercase Latin letters, digits and hyphens, starting with a letter or digit."),
)
registration_validator = RegexValidator(
    r"^\d{11}$", _("A registration number has exactly 11 digits.")
)


class Institution(TimeStampedModel):
    """A public institution (iestāde): the tenant that every domain object belongs to."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    registration_number = models.CharField(
        _("registration number"), max_length=11, blank=True, validators=[registration_validator]
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:institution_detail", args=[self.code])


class ZinaUserManager(UserManager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who logs in: institution staff, partners, or a service recipient."""

    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.LATVIAN
    )
    institutions = models.ManyToManyField(
        Institution, through="Membership", related_name="users", blank=True
    )

    objects = ZinaUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.username])


class Membership(TimeStampedModel):
    """A user's belonging to an institution, as its staff or as a partner's staff."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="memberships"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=MembershipKind.choices, default=MembershipKind.STAFF
    )
    title = models.CharField(_("position"), max_length=200, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["institution__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "institution"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.institution}"


class RoleAssignment(TimeStampedModel):
    """A role held by a user in an institution, over a scope, with the A/L mark.

    The scope is the whole institution (no scope object) or one object of a registered scope
    kind (a service or a resource, from the catalog), referenced generically so later apps plug
    in without changing this table.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    responsibility = models.CharField(
        _("responsibility"),
        max_length=1,
        choices=Responsibility.choices,
        default=Responsibility.CO_RESPONSIBLE,
    )
    scope_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_id = models.PositiveBigIntegerField(null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["institution__name", "role", "user__username"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institution", "role"],
                condition=models.Q(scope_type__isnull=True),
                name="uniq_role_institution_scope",
            ),
            models.UniqueConstraint(
                fields=["user", "institution", "role", "scope_type", "scope_id"],
                name="uniq_role_object_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(scope_type__isnull=True, scope_id__isnull=True)
                | models.Q(scope_type__isnull=False, scope_id__isnull=False),
                name="role_scope_complete",
            ),
        ]
        indexes = [models.Index(fields=["scope_type", "scope_id", "role"])]

    def __str__(self) -> str:
        return (
            f"{self.user} — {self.get_role_display()} ({self.responsibility}) — {self.scope_label}"
        )

    @property
    def scope_object(self) -> Any:
        if self.scope_type is None:
            return None
        model = self.scope_type.model_class()
        return model._default_manager.filter(pk=self.scope_id).first() if model else None

    @property
    def scope_label(self) -> str:
        obj = self.scope_object
        return str(obj) if obj is not None else str(self.institution)


def token_digest(secret: str) -> str:
    """Tokens are high-entropy random strings, so one SHA-256 round is a sufficient hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its prefix and hash are stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} (zina_{self.prefix}_…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class LoginAttempt(models.Model):
    """One login attempt, kept for rate limiting and for the security log."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} {self.address} {self.at:%Y-%m-%d %H:%M} {self.succeeded}"
