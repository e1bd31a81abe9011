"""`/auth/token`: trade an e-mail and password for a bearer token; `/me`: who you are."""

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Status

from atelier.accounts.tokens import issue_token
from atelier.core.errors import DomainError

from . import schemas as s

router = Router(tags=["auth"])


class BadCredentials(DomainError):
    status = 401
    default_code = "bad_credentials"


@router.post("/auth/token", auth=None, response={201: s.TokenOut}, summary="Get a token")
def create_token(request: HttpRequest, payload: s.TokenIn):
    """Send `Authorization: Bearer <token>` on every other call. Tokens are listed and revoked
    on your profile page."""
    user = authenticate(request, email=payload.email, password=payload.password)
    if user is None or not user.is_active:
        raise BadCredentials("The e-mail address or the password is wrong.")
    token, raw = issue_token(user, name=payload.name)
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
