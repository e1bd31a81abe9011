"""`/auth/token`: trade an e-mail and password for a bearer token; `/me`: who you are."""

from django.http import HttpRequest
from ninja import Router, Status

from atelier.accounts.tokens import token_for_credentials

from . import schemas as s

router = Router(tags=["auth"])


@router.post(
    "/auth/token",
    auth=None,
    # Wrong credentials; too many failed attempts (the shared login limit, accounts/throttle.py).
    response={201: s.TokenOut, 401: s.Error, 429: s.Error},
    summary="Get a token",
)
def create_token(request: HttpRequest, payload: s.TokenIn):
    """Send `Authorization: Bearer <token>` on every other call. Tokens are listed and revoked
    on your profile page, and all of them stop working when your password changes. Failed
    attempts are limited per account and per address (429 with Retry-After); agents also send
    `code`, the current code of their authenticator app."""
    token, raw = token_for_credentials(
        request,
        email=payload.email,
        password=payload.password,
        code=payload.code,
        name=payload.name,
    )
    user = token.user
    return Status(
        201,
        {
            "token": raw,
            "id": token.pk,
            "name": token.name,
            "user": user.email,
            "roles": user.roles,
        },
    )


@router.get("/me", response=s.MeOut, summary="Who am I")
def me(request: HttpRequest):
    user = request.auth
    return {"email": user.email, "name": user.name, "roles": user.roles}
