import copy

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .forms import ProfileForm


@login_required
def set_password(request: HttpRequest) -> HttpResponse:
    """For customers who came in through a one-time link and have no password yet."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.user.has_usable_password():
        return redirect("password_change")
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, "Your password is set.")
        return redirect(next_url)
    return render(request, "registration/set_password.html", {"form": form, "next": next_url})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # A copy, so that a refused form does not change the name shown in the top bar.
    posted = request.method == "POST"
    form = ProfileForm(request.POST if posted else None, instance=copy.copy(request.user))
    if posted and form.is_valid():
        form.save(commit=False).save(update_fields=["name", "time_zone", "email_muted"])
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})
