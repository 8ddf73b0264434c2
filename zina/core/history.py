"""The audit history shown on every object page (only the events the viewer may see)."""

from typing import Any

from django.db import models

from .models import AuditEvent


def history_for(user: Any, obj: models.Model, limit: int = 50) -> list[AuditEvent]:
    return list(AuditEvent.objects.visible_to(user).for_object(obj).select_related("actor")[:limit])
