"""Who sees the portal's records: staff who read the institution's tickets see its
deflections and assistant sessions (the reports read them); subscriptions only the
installation's administrators (they are personal data of the public)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zina.core.permissions import NOTHING, register
from zina.tickets.permissions import reader_institutions

from .models import AssistantSession, Deflection, StatusSubscription


def _deflection_view(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    return Q(institution_id__in=reader_institutions(user))


register(Deflection, view=_deflection_view)
# Sessions are not tied to an institution; their transcripts may hold what visitors typed.
register(AssistantSession, view=lambda user: NOTHING)
register(StatusSubscription, view=lambda user: NOTHING)
