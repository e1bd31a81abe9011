"""How django-allauth fits Atelier: nobody signs up (customers are created by their first order,
everyone else by an agent), and failed logins go through atelier/accounts/throttle.py."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.shortcuts import render

from atelier.core.errors import Throttled

from . import throttle


def throttled_page(request, error: Throttled):
    response = render(request, "429.html", {"message": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            throttle.check(request, credentials.get("email", ""))
        except Throttled as error:
            raise ImmediateHttpResponse(throttled_page(request, error)) from None

    def authentication_failed(self, request, **credentials) -> None:
        throttle.record_failure(request, credentials.get("email", ""))
