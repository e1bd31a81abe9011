"""API tokens: made on the profile page or with `POST /api/v1/auth/token`, stored hashed,
listed and revoked by their owner."""

import hashlib
import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.http import HttpRequest

from atelier.core import clock
from atelier.core.errors import DomainError, InvalidInput, NotAllowed, NotFound

from . import throttle
from .models import ApiToken, User

PREFIX = "atl_"
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, *, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw token is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the token a name, e.g. “storefront”.", field="name")
    if len(name) > 100:
        raise InvalidInput("A token's name is at most 100 characters.", field="name")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:12], digest=_digest(raw), created_at=clock.now()
    )
    return token, raw


class BadCredentials(DomainError):
    status = 401
    default_code = "bad_credentials"


def token_for_credentials(
    request: HttpRequest, *, email: str, password: str, code: str | None, name: str
) -> tuple[ApiToken, str]:
    """`POST /api/v1/auth/token`: the same failed-login limits as the login page, and an agent
    (when agents must use a second factor) also gives the current code of their authenticator."""
    throttle.check(request, email)
    user = authenticate(request, email=email, password=password)
    if user is None or not user.is_active:
        throttle.record_failure(request, email)
        raise BadCredentials("The e-mail address or the password is wrong.")
    if user.is_agent and settings.ATELIER_AGENT_MFA_REQUIRED:
        _check_second_factor(request, user, email, code)
    return issue_token(user, name=name)


def _check_second_factor(request: HttpRequest, user: User, email: str, code: str | None) -> None:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        raise NotAllowed(
            "Agents need a second factor: set up an authenticator app on your profile first.",
            code="second_factor_required",
        )
    if not code:
        raise BadCredentials(
            "Give the current code of your authenticator app.", code="code_required", field="code"
        )
    if not TOTP(authenticator).validate_code(code.strip()):
        throttle.record_failure(request, email)
        raise BadCredentials("That code is wrong or used already.", field="code")


def user_for_token(raw: str) -> User | None:
    """The active user an active token belongs to, or None."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def revoke_token(user: User, pk: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (someone else's is not found)."""
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token
