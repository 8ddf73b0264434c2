"""Writing audit events. Operations call :func:`record` inside their transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .middleware import current_request_id
from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audit-relevant state of ``obj``: concrete field values, foreign keys as ids."""
    exclude = {"password", "digest", "created_at", "updated_at", "last_login"}
    result: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude or (fields is not None and f.name not in fields):
            continue
        result[f.attname if f.is_relation else f.name] = _jsonable(getattr(obj, f.attname))
    return result


def record(
    *,
    actor: Any,
    verb: str,
    obj: models.Model,
    institution: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event about ``obj``. Call it inside the operation's transaction."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=(actor.get_username() if is_user else "system")[:200],
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        institution=institution,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        request_id=current_request_id(),
    )
    for observer in _observers:
        observer(obj)
    return event


# Called with the object of every audited change, inside the same transaction (the search
# app writes its index outbox this way, so no operation can forget it).
_observers: list[Callable[[models.Model], None]] = []


def observe(observer: Callable[[models.Model], None]) -> None:
    if observer not in _observers:
        _observers.append(observer)


_verb_labels: dict[str, Any] = {}


def register_verbs(labels: dict[str, Any]) -> None:
    """Human labels (lazy translations) for audit verbs, shown in histories and the trail."""
    _verb_labels.update(labels)


def verb_label(verb: str) -> str:
    return str(_verb_labels.get(verb, verb))
