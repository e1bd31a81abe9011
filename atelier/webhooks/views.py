"""The agent console's webhook pages: endpoints, their secret and settings, a test event, and
each endpoint's delivery log with a retry for failures. Anyone but an agent gets 404."""

import json

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier.accounts.decorators import agent_required
from atelier.core.errors import NotFound
from atelier.core.htmx import render_page
from atelier.core.keyset import cursor_listing
from atelier.orders.views.common import attempt

from . import actions, signing
from .forms import EndpointForm
from .models import Delivery, Endpoint


def _endpoint_or_404(request: HttpRequest, pk: int) -> Endpoint:
    try:
        return actions.get_endpoint_for(request.user, pk)
    except NotFound:
        raise Http404("No such endpoint.") from None


@agent_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    latest = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-pk")
    endpoints = actions.endpoints_for(request.user).annotate(
        last_status=Subquery(latest.values("status")[:1]),
        last_event=Subquery(latest.values("event")[:1]),
        last_at=Subquery(latest.values("created_at")[:1]),
    )
    return render(request, "webhooks/endpoints.html", {"endpoints": endpoints})


@agent_required
def endpoint_new(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST) if request.method == "POST" else EndpointForm()
    if form.is_bound and form.is_valid():
        endpoint = attempt(
            request,
            lambda: actions.create_endpoint(
                actor=request.user,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                events=form.subscribed(),
            ),
            form,
        )
        if endpoint is not None:
            messages.success(request, "Endpoint added. Give its secret to the receiver.")
            return redirect("console-webhook", pk=endpoint.pk)
    status = 400 if form.errors else 200
    return render(request, "webhooks/endpoint_form.html", {"form": form}, status=status)


@agent_required
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    form = EndpointForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        updated = attempt(
            request,
            lambda: actions.update_endpoint(
                endpoint,
                actor=request.user,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
                events=form.subscribed(),
            ),
            form,
        )
        if updated is not None:
            messages.success(request, "Endpoint saved.")
            return redirect("console-webhook", pk=endpoint.pk)
    if form is None:
        form = EndpointForm.for_endpoint(endpoint)
    context = {"form": form, "endpoint": endpoint}
    status = 400 if form.errors else 200
    return render(request, "webhooks/endpoint_form.html", context, status=status)


@agent_required
def endpoint_page(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    listing, status = cursor_listing(request, endpoint.deliveries.all())
    context = {"endpoint": endpoint, "signature_header": signing.SIGNATURE_HEADER, **listing}
    return render_page(request, "webhooks/endpoint.html", context, partial="log", status=status)


@agent_required
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    if request.method == "POST":
        actions.rotate_secret(endpoint, actor=request.user)
        messages.success(request, "New secret made. Requests are signed with it from now on.")
        return redirect("console-webhook", pk=endpoint.pk)
    return render(request, "webhooks/confirm_rotate.html", {"endpoint": endpoint})


@agent_required
@require_POST
def endpoint_active(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    active = request.POST.get("active") == "1"
    actions.set_endpoint_active(endpoint, actor=request.user, active=active)
    if active:
        messages.success(request, "Endpoint enabled: it receives new events again.")
    else:
        messages.success(request, "Endpoint disabled: it gets no events until you enable it.")
    return redirect("console-webhook", pk=endpoint.pk)


@agent_required
@require_POST
def endpoint_ping(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    if attempt(request, lambda: actions.send_test_event(endpoint, actor=request.user)):
        messages.success(request, "A test event is on its way; it appears in the log below.")
    return redirect("console-webhook", pk=endpoint.pk)


@agent_required
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    if request.method == "POST":
        actions.delete_endpoint(endpoint, actor=request.user)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect("console-webhooks")
    pending = endpoint.deliveries.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).count()
    context = {"endpoint": endpoint, "pending": pending, "logged": endpoint.deliveries.count()}
    return render(request, "webhooks/confirm_delete.html", context)


def _delivery_or_404(request: HttpRequest, pk: int) -> Delivery:
    try:
        return actions.get_delivery_for(request.user, pk)
    except NotFound:
        raise Http404("No such delivery.") from None


@agent_required
def delivery_page(request: HttpRequest, pk: int) -> HttpResponse:
    found = _delivery_or_404(request, pk)
    context = {
        "d": found,
        "endpoint": found.endpoint,
        "payload": json.dumps(found.payload, indent=2, ensure_ascii=False),
    }
    return render(request, "webhooks/delivery.html", context)


@agent_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    found = _delivery_or_404(request, pk)
    if attempt(request, lambda: actions.retry_delivery(found, actor=request.user)) is not None:
        messages.success(request, f"Sending {found.event} again (the same event id).")
    if request.POST.get("back") == "delivery":
        return redirect("console-webhook-delivery", pk=found.pk)
    return redirect("console-webhook", pk=found.endpoint_id)
