"""Base model mixins and the append-only audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .permissions import RestrictedQuerySet


class TimeStampedModel(models.Model):
    """Creation and last-change times, set by the database layer."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(RestrictedQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are append-only")

    def for_object(self, obj: models.Model) -> AuditEventQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
            object_id=str(obj.pk),
        )


class AuditEvent(models.Model):
    """One recorded change: who did what to which object, with the state before and after.

    Written by every operation inside its transaction; never edited or deleted.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200)
    verb = models.CharField(_("action"), max_length=80, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    institution = models.ForeignKey(
        "accounts.Institution",
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are append-only")

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """Field-level differences between ``before`` and ``after``."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
