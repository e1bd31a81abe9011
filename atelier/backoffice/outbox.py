"""The outbox: every notification with its delivery state, the e-mail as sent, and a retry for
those that failed. In the demo this is where the e-mails are read."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from atelier.accounts.decorators import agent_required
from atelier.core.htmx import render_page
from atelier.core.keyset import cursor_listing
from atelier.notifications import delivery
from atelier.notifications.messages import line
from atelier.notifications.models import Notification
from atelier.notifications.tasks import deliver_notification


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Notification.Status.choices], required=False
    )
    q = forms.CharField(label="Recipient e-mail", required=False, max_length=254)


@agent_required
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET)
    rows = Notification.objects.select_related("recipient", "order").order_by("-created_at", "-pk")
    if form.is_valid():
        if status := form.cleaned_data["status"]:
            rows = rows.filter(status=status)
        if q := form.cleaned_data["q"].strip():
            rows = rows.filter(recipient__email__icontains=q)
    listing, status = cursor_listing(request, rows)
    for notification in listing["page"]:
        notification.line = line(notification)
    failed = Notification.objects.filter(status=Notification.Status.FAILED).count()
    context = {"form": form, "failed": failed, **listing}
    return render_page(request, "backoffice/outbox.html", context, partial="results", status=status)


@agent_required
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.select_related("recipient"), pk=pk)
    if notification.status == Notification.Status.SENT:
        subject, text = notification.subject, notification.body
    else:  # not sent (yet): what it will say
        subject, text, _ = delivery.render(notification)
    context = {
        "n": notification,
        "subject": subject,
        "text": text,
        "message_id": delivery.message_id(notification),
    }
    return render(request, "backoffice/outbox_message.html", context)


@agent_required
@require_POST
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk)
    if delivery.retry_failed(notification):
        deliver_notification.enqueue(notification.pk)
        messages.success(request, f"Sending “{line(notification)}” again.")
    else:
        messages.error(request, "Only a notification that failed can be retried.")
    return redirect("console-outbox-message", pk=notification.pk)
