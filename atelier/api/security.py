"""Who is calling: a bearer token (integrations) or the browser's session (with CSRF)."""

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from atelier.accounts.models import User
from atelier.accounts.tokens import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user  # so code that reads request.user sees the token's owner
        return user


class Session(SessionAuth):
    """Django's session cookie; ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        return user if user.is_authenticated and user.is_active else None


AUTH = [BearerToken(), Session()]
