"""Small helpers shared by every app's views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def add_operation_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show an operation's validation errors on the form, on the field they name if it exists."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
