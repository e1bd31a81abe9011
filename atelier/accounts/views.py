import copy

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.core.errors import DomainError, NotFound

from . import tokens
from .forms import ProfileForm, TokenForm


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # A copy, so that a refused form does not change the name shown in the top bar.
    posted = request.method == "POST"
    form = ProfileForm(request.POST if posted else None, instance=copy.copy(request.user))
    if posted and form.is_valid():
        form.save(commit=False).save(update_fields=["name", "time_zone", "email_muted"])
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return _profile_page(request, form=form)


def _profile_page(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    context = {
        "form": ProfileForm(instance=request.user),
        "token_form": TokenForm(),
        "tokens": tokens.tokens_of(request.user),
        "second_factor": is_mfa_enabled(request.user, ["totp"]),
        **context,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    """The raw token is shown on this one response and never again (only its hash is kept)."""
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = tokens.issue_token(request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            return _profile_page(request, new_token=raw, new_token_name=token.name)
    return _profile_page(request, token_form=form, status=400)


@login_required
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoking is final: a confirmation page first."""
    token = tokens.tokens_of(request.user).filter(pk=pk, revoked_at__isnull=True).first()
    if token is None:
        raise Http404("No such token.")
    if request.method == "POST":
        try:
            tokens.revoke_token(request.user, pk)
        except NotFound:
            raise Http404("No such token.") from None
        messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
        return redirect("profile")
    return render(request, "accounts/token_revoke.html", {"token": token})
