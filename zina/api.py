"""The REST API: one NinjaAPI assembled from each app's router, at /api/v1/."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaError

from zina.accounts.api import router as accounts_router
from zina.accounts.api_auth import Login, TokenAuth
from zina.catalog.api import router as catalog_router
from zina.knowledge.api import router as knowledge_router
from zina.search.api import router as search_router
from zina.tickets.api import router as tickets_router

api = NinjaAPI(
    title="Zina API",
    version="1",
    description="Zina: knowledge base and service desk for public institutions.",
    urls_namespace="api",
    auth=[TokenAuth(), Login()],
)


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = _messages(exc)
    first = next(iter(errors.values()))[0]
    return api.create_response(request, {"detail": first, "errors": errors}, status=422)


@api.exception_handler(SchemaError)
def on_schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    """A request body or parameter of the wrong shape: a message in the request's language
    naming the field, with the validator's details for developers."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        name = ".".join(location[1:] if len(location) > 1 else location) or "__all__"
        errors.setdefault(name, []).append(str(error.get("msg", "")))
    first = next(iter(errors), "__all__")
    detail = (
        _("Check the field “%(field)s”: the value is not valid.") % {"field": first}
        if first != "__all__"
        else _("The request is not valid.")
    )
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("You do not have permission to do this.")}, status=403
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Authentication required: a valid API token or a login.")}, status=401
    )


api.add_router("/", accounts_router)
api.add_router("/catalog", catalog_router)
api.add_router("/knowledge", knowledge_router)
api.add_router("/search", search_router)
api.add_router("/tickets", tickets_router)
