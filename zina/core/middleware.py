"""Request id: taken from ``X-Request-ID`` when a proxy sets a sane one, otherwise new.

It is kept in a context variable so that log records and audit events carry it.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

_request_id: ContextVar[str] = ContextVar("zina_request_id", default="-")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


def _clear_request_id() -> None:
    _request_id.set("-")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        _request_id.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        # Cleared when the server closes the response, not here: Django logs 4xx/5xx responses
        # after the middleware chain has returned, and those records must carry the id too.
        response._resource_closers.append(_clear_request_id)  # type: ignore[attr-defined]
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class LanguageMiddleware:
    """Latvian unless chosen otherwise: the language switch's cookie, else the user's profile
    language, else ``LANGUAGE_CODE``. The browser's Accept-Language is deliberately ignored,
    because staff machines often run English browsers while the UI must be Latvian first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        supported = {code for code, _name in settings.LANGUAGES}
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in supported:
            user = getattr(request, "user", None)
            language = getattr(user, "language", "") if user is not None else ""
            if language not in supported:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response
