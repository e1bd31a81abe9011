"""Delivering the outbox: each notification row is claimed by one worker at a time (a lease),
sent as one e-mail with a Message-ID derived from the row, and retried with exponential back-off
until a limit, then marked failed for an agent to retry. The claiming, leases and retries are the
outbox pattern (atelier/core/outbox.py); this module renders and sends the e-mail.

A worker that dies mid-send leaves the row SENDING with a lease that expires, and the sweep hands
it to another worker; the resend carries the same Message-ID.

A batch (the rows one transaction wrote, or those the sweep found due) goes over one connection
to the mail server: each row is claimed just before it is sent, so a worker holds one row at a
time as when it sends them one by one, and a failed message retries that row only.
"""

import logging
import smtplib
from collections.abc import Iterable, Iterator
from itertools import chain
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string, select_template
from django.utils import timezone

from atelier.core import clock
from atelier.core.outbox import Outbox
from atelier.core.time import platform_tz

from .messages import line
from .models import Notification

logger = logging.getLogger(__name__)
Status = Notification.Status
# Refusals the server answered (the client reset the transaction): its connection stays usable.
ANSWERED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)

rows = Outbox(
    Notification,
    what="notification",
    lease_setting="ATELIER_EMAIL_LEASE_SECONDS",
    max_attempts_setting="ATELIER_EMAIL_MAX_ATTEMPTS",
    retry_setting="ATELIER_EMAIL_RETRY_SECONDS",
    task="atelier.notifications.tasks.deliver_notification",
    related=("recipient", "order"),
    logger=logger,
)
due = rows.due
claim = rows.claim
due_ids = rows.due_ids


def message_id(notification: Notification) -> str:
    domain = urlsplit(settings.ATELIER_BASE_URL).hostname or "atelier.invalid"
    return f"<notification-{notification.pk}@{domain}>"


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


def send(notification: Notification, mailer: BaseEmailBackend | None = None) -> bool:
    """Send a claimed notification; True when it was handed to the mail server. With `mailer`
    (a batch's connection), it goes through that connection, opened again if a failure closed it."""
    recipient = notification.recipient
    if not recipient.wants_email(notification.event) or not recipient.is_active:
        rows.finish(notification, status=Status.SKIPPED, last_error="")
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
        if mailer is None:
            mailers.default.send_messages([email])
        else:
            mailer.open()  # nothing to do while it is open
            mailer.send_messages([email])
    except Exception as error:  # any transport failure: retry later, never lose the row
        if mailer is not None and not isinstance(error, ANSWERED):
            _hang_up(mailer)  # the failure may have broken it: the next message opens another
        message = f"{type(error).__name__}: {error}"[:2000]
        rows.retry(notification, reason=str(error), last_error=message)
        return False
    rows.finish(
        notification,
        status=Status.SENT,
        subject=subject,
        body=text,
        sent_at=clock.now(),
        last_error="",
    )
    return True


def deliver(pk: int) -> bool:
    """Claim and send one notification if it is due; safe to call any number of times."""
    return rows.deliver(pk, send)


def deliver_batch(pks: Iterable[int], *, then_due: int = 0) -> int:
    """Claim and send each of these notifications that is due, one after the other over one
    connection to the mail server, then up to `then_due` more of those due now (written by other
    transactions, their own tasks still queued behind this one: those then find nothing to do);
    safe to call any number of times. Returns how many were handed to the mail server."""
    mailer = mailers.default
    sent = 0
    try:
        # Each row is claimed just before its turn: one row held at a time.
        for row in chain(rows.claim_each(pks), _due_now(then_due)):
            if send(row, mailer):
                sent += 1
    finally:
        _hang_up(mailer)
    return sent


def _due_now(limit: int) -> Iterator[Notification]:
    if limit:  # asked once the batch is sent, so that it finds what came meanwhile
        yield from rows.claim_each(due_ids(limit))


def _hang_up(mailer: BaseEmailBackend) -> None:
    try:
        mailer.close()
    except Exception:  # what was sent is recorded; a failed QUIT changes nothing
        logger.warning("Could not close the connection to the mail server", exc_info=True)


def retry_failed(notification: Notification) -> bool:
    """An agent sends a failed notification again (a fresh round of attempts)."""
    return rows.retry_failed(notification, last_error="")
