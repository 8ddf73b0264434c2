"""Helpers shared by the ticket views: choices of teams and people, errors as messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from zina.accounts.models import User

from ..models import Team


def teams_of(user: Any, institution_ids: Iterable[int]) -> QuerySet[Team]:
    return Team.objects.visible_to(user).filter(institution_id__in=list(institution_ids))


def people_of(user: Any, institution_ids: Iterable[int]) -> QuerySet[User]:
    """Active staff of the institutions whom the user may see (the operations check that the
    one chosen may work on the ticket)."""
    return (
        User.objects.visible_to(user)
        .filter(is_active=True, memberships__institution_id__in=list(institution_ids))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def flash_validation(request: HttpRequest, exc: ValidationError, prefix: str = "") -> None:
    for message in error_messages(exc):
        messages.error(request, f"{prefix}{message}")


def flash_form(request: HttpRequest, form: forms.BaseForm) -> None:
    """A form's errors as messages, each with its field's label."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = f"{field.label}: " if field is not None and field.label else ""
        for error in errors:
            messages.error(request, f"{label}{error}")
