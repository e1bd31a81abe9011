"""Delivering the outbox: each notification row is claimed by one worker at a time (a lease),
sent as one e-mail with a Message-ID derived from the row, and retried with exponential back-off
until a limit, then marked failed for an agent to retry.

The row is the durable record, written in the transaction of the change that caused it; tasks
only nudge. A worker that dies mid-send leaves the row SENDING with a lease that expires, and the
sweep hands it to another worker; the resend carries the same Message-ID.
"""

import logging
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string, select_template
from django.utils import timezone

from atelier.core import clock
from atelier.core.time import platform_tz

from .messages import line
from .models import Notification

logger = logging.getLogger(__name__)
Status = Notification.Status


def message_id(notification: Notification) -> str:
    domain = urlsplit(settings.ATELIER_BASE_URL).hostname or "atelier.invalid"
    return f"<notification-{notification.pk}@{domain}>"


def due(grace: timedelta = timedelta(0)) -> "Q":
    """Rows a worker may take now: pending and due (for at least `grace`), or sending with an
    expired lease."""
    now = clock.now()
    return Q(status=Status.PENDING, next_attempt_at__lte=now - grace) | Q(
        status=Status.SENDING, lease_expires_at__lte=now
    )


def claim(pk: int) -> Notification | None:
    """Take the row for sending, atomically: at most one worker holds it at a time."""
    now = clock.now()
    lease = now + timedelta(seconds=settings.ATELIER_EMAIL_LEASE_SECONDS)
    taken = Notification.objects.filter(due(), pk=pk).update(
        status=Status.SENDING, lease_expires_at=lease, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Notification.objects.select_related("recipient", "order").get(pk=pk)


def render(notification: Notification) -> tuple[str, str, str]:
    """Subject, text body and HTML body, from the event's templates (or the default ones)."""
    context = {
        "n": notification,
        "c": notification.context,
        "line": line(notification),
        "recipient": notification.recipient,
        "order": notification.order,
        "base_url": settings.ATELIER_BASE_URL,
    }
    event = notification.event
    with timezone.override(_zone(notification.recipient)):
        return _render(event, context)


def _zone(user) -> ZoneInfo:
    """Times in an e-mail are in its reader's zone (their profile), else the platform's."""
    try:
        return ZoneInfo(user.time_zone) if user.time_zone else platform_tz()
    except (ZoneInfoNotFoundError, ValueError):
        return platform_tz()


def _render(event: str, context: dict) -> tuple[str, str, str]:
    text = select_template(
        [f"notifications/email/{event}.txt", "notifications/email/default.txt"]
    ).render(context)
    html = select_template(
        [f"notifications/email/{event}.html", "notifications/email/default.html"]
    ).render(context)
    subject = " ".join(render_to_string("notifications/email/subject.txt", context).split())
    return subject[:300], text, html


def send(notification: Notification) -> bool:
    """Send a claimed notification; True when it was handed to the mail server."""
    recipient = notification.recipient
    if not recipient.wants_email(notification.event) or not recipient.is_active:
        _finish(notification, status=Status.SKIPPED)
        return False
    subject, text, html = render(notification)
    email = EmailMultiAlternatives(
        subject,
        text,
        to=[recipient.email],
        headers={"Message-ID": message_id(notification)},
    )
    email.attach_alternative(html, "text/html")
    try:
        email.send()
    except Exception as error:  # any transport failure: retry later, never lose the row
        _retry(notification, error)
        return False
    _finish(notification, status=Status.SENT, subject=subject, body=text, sent_at=clock.now())
    return True


def _finish(notification: Notification, **fields) -> None:
    # Only while this claim holds: `attempts` grows with every claim, so a worker whose lease
    # expired and was taken over cannot overwrite the new holder's outcome.
    Notification.objects.filter(
        pk=notification.pk, status=Status.SENDING, attempts=notification.attempts
    ).update(lease_expires_at=None, last_error="", **fields)


def _retry(notification: Notification, error: Exception) -> None:
    attempts = notification.attempts
    message = f"{type(error).__name__}: {error}"[:2000]
    if attempts >= settings.ATELIER_EMAIL_MAX_ATTEMPTS:
        logger.error("Giving up on notification %s after %s attempts", notification.pk, attempts)
        fields = {"status": Status.FAILED, "next_attempt_at": None}
    else:
        delay = settings.ATELIER_EMAIL_RETRY_SECONDS * 2 ** (attempts - 1)
        logger.warning("Notification %s failed (%s); retry in %ss", notification.pk, error, delay)
        fields = {
            "status": Status.PENDING,
            "next_attempt_at": clock.now() + timedelta(seconds=delay),
        }
    updated = Notification.objects.filter(
        pk=notification.pk, status=Status.SENDING, attempts=notification.attempts
    ).update(lease_expires_at=None, last_error=message, **fields)
    if updated and fields["next_attempt_at"] is not None:
        # A nudge deferred to the retry's moment, so the back-off is kept to the second; the
        # sweep stays the safety net should this task be lost.
        from .tasks import deliver_notification

        deliver_notification.using(run_after=fields["next_attempt_at"]).enqueue(notification.pk)


def deliver(pk: int) -> bool:
    """Claim and send one notification if it is due; safe to call any number of times."""
    notification = claim(pk)
    return send(notification) if notification is not None else False


def due_ids(limit: int = 500, *, grace: timedelta = timedelta(0)) -> list[int]:
    return list(
        Notification.objects.filter(due(grace))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def retry_failed(notification: Notification) -> bool:
    """An agent sends a failed notification again (a fresh round of attempts)."""
    return bool(
        Notification.objects.filter(pk=notification.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=clock.now(), last_error=""
        )
    )
