"""Home page, health check and error pages."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .home import home_sections


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"sections": home_sections(request.user)})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers and the index directory is usable."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # the point is to report any failure, not to raise it
        checks["database"] = f"error: {exc.__class__.__name__}"
    index_dir = settings.ZINA_INDEX_DIR
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        checks["index"] = "ok" if os.access(index_dir, os.R_OK | os.W_OK) else "error: not writable"
    except OSError as exc:
        checks["index"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    context: dict[str, Any] = {"status": status, "title": title, "message": message}
    return render(request, "core/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 403, _("Access denied"), _("You do not have permission to see this page.")
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        _("Page not found"),
        _("There is no page at this address. Check the address or start from the home page."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _("Something went wrong"),
        _("The error has been logged. Please try again later."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("The form has expired"),
        _("Reload the page and submit the form again."),
    )
