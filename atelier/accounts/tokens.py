"""API tokens: made on the profile page or with `POST /api/v1/auth/token`, stored hashed,
listed and revoked by their owner."""

import hashlib
import secrets
from datetime import timedelta

from django.db.models import QuerySet

from atelier.core import clock
from atelier.core.errors import InvalidInput, NotFound

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
