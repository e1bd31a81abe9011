"""Signing a known person in by a code sent to their own address, started by the site on their
behalf (the farewell link: the visitor never types, or learns, the customer's address)."""

from allauth.account.internal.flows.login_by_code import LoginCodeVerificationProcess
from allauth.core import ratelimit
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from atelier.core.errors import Throttled

from .models import User


def send_sign_in_code(request: HttpRequest, user: User, *, then: str) -> str:
    """E-mail `user` a one-time sign-in code; returns the page where it is typed in, which goes
    on to `then` (by way of choosing a password, for someone who has none yet)."""
    if not ratelimit.consume(request, action="request_login_code", key=user.email.lower()):
        raise Throttled("A code was sent a moment ago: check your e-mail.", retry_after=60)
    LoginCodeVerificationProcess.initiate(request=request, user=user, email=user.email)
    if not user.has_usable_password():
        then = f"{reverse('account_set_password')}?{urlencode({'next': then})}"
    return f"{reverse('account_confirm_login_code')}?{urlencode({'next': then})}"
