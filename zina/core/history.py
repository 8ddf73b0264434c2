"""The audit history shown on every object page.

Whoever may see an object may see its history: the object's own registered view rule decides
(through ``can(user, "view", obj)``), so there is no second visibility rule here. The full
audit trail across objects stays with the audit capability (``AuditEvent.objects.visible_to``).
"""

from typing import Any

from django.db import models

from .models import AuditEvent
from .permissions import can


def history_for(user: Any, obj: models.Model, limit: int = 50) -> list[AuditEvent]:
    if not getattr(user, "is_authenticated", False) or not can(user, "view", obj):
        return []
    return list(AuditEvent.objects.for_object(obj).select_related("actor")[:limit])
