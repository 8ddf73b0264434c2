"""How API callers authenticate: a personal token, or a browser login (CSRF-checked)."""

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from .security import user_for_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer zina_<prefix>_<secret>`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            # A presented but invalid token is a 401 at once; falling through to the session
            # check would answer a confusing CSRF 403 on writes.
            raise AuthenticationError
        request.user = user
        return user


class Login(SessionAuth):
    """``django_auth``, except that a request without a login is a 401 at once (``django_auth``
    checks CSRF before it looks for a login, so a write without any credentials would get a
    confusing “CSRF check Failed” 403). A logged-in session is CSRF-checked as before."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)
