"""Small helpers shared by every app's views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

# Django's label of an empty choice in select boxes. Its Latvian catalogue lacks it, so the
# msgid is repeated here: our catalogue (which Django reads first) then translates every form.
BLANK_CHOICE_LABEL = gettext_lazy("- Select an option -")


def add_operation_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show an operation's validation errors on the form, on the field they name if it exists."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def submit[T](
    request: HttpRequest,
    form: forms.BaseForm | list[forms.BaseForm],
    action: Callable[[], T],
    message: str,
) -> T | None:
    """The shape every form view shares: on a POST whose forms are all valid, run the
    operation; on success flash ``message`` and return its result; on a ``ValidationError``
    show the errors on the (last) form and return None, so the view re-renders it."""
    form_list = form if isinstance(form, list) else [form]
    if request.method != "POST" or not all([f.is_valid() for f in form_list]):
        return None
    try:
        result = action()
    except ValidationError as exc:
        add_operation_errors(form_list[-1], exc)
        return None
    messages.success(request, message)
    return result
