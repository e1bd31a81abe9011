"""Agents hold every permission and the admin: with ATELIER_AGENT_MFA_REQUIRED, an agent without
an authenticator app is sent to set one up before any other page (the API refuses their session
with 403). The demo leaves it off and says so on the console."""

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect

# What an agent may reach before the second factor is set up: signing in and out, the set-up
# pages themselves, and static files.
_OPEN_PREFIXES = ("/accounts/", "/static/")


def signed_in_with_second_factor(request: HttpRequest) -> bool:
    """This session's sign-in used a second factor (read from the session: no query)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    return (
        settings.ATELIER_AGENT_MFA_REQUIRED
        and user.is_authenticated
        and user.is_agent
        and not signed_in_with_second_factor(request)
        and not is_mfa_enabled(user, ["totp"])
    )


def agents_use_a_second_factor(get_response):
    def middleware(request: HttpRequest):
        if request.path.startswith(_OPEN_PREFIXES) or not needs_second_factor(request):
            return get_response(request)
        message = "Agents need a second factor: set up an authenticator app first."
        if request.path.startswith("/api/"):
            error = {"code": "second_factor_required", "message": message, "field": None}
            return JsonResponse({"error": error}, status=403)
        messages.warning(request, message)
        return redirect("mfa_activate_totp")

    return middleware
