"""Sending webhooks: each delivery row is claimed by one worker at a time (a lease), POSTed as
signed JSON, and retried with exponential back-off until a limit, then marked failed for an
agent to retry. The same pattern as e-mail (atelier/notifications/delivery.py).

The row is the durable record, written in the transaction of the change that caused it; tasks
only nudge. A worker that dies mid-request leaves the row SENDING with a lease that expires, and
the sweep hands it to another worker; the resend carries the same event id (receivers use it to
recognise the repeat) with a fresh timestamp and signature.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from http.client import HTTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Q

from atelier.core import clock

from . import signing
from .models import Delivery

logger = logging.getLogger(__name__)
Status = Delivery.Status

TIMEOUT_SECONDS = 10
EXCERPT_CHARS = 2000  # of the endpoint's answer, kept for the delivery log


def due(grace: timedelta = timedelta(0)) -> Q:
    """Rows a worker may take now: pending and due (for at least `grace`), or sending with an
    expired lease."""
    now = clock.now()
    return Q(status=Status.PENDING, next_attempt_at__lte=now - grace) | Q(
        status=Status.SENDING, lease_expires_at__lte=now
    )


def claim(pk: int) -> Delivery | None:
    """Take the row for sending, atomically: at most one worker holds it at a time."""
    lease = clock.now() + timedelta(seconds=settings.ATELIER_WEBHOOK_LEASE_SECONDS)
    taken = Delivery.objects.filter(due(), pk=pk).update(
        status=Status.SENDING, lease_expires_at=lease, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Delivery.objects.select_related("endpoint").get(pk=pk)


def body(delivery: Delivery) -> bytes:
    """The request body: the payload snapshot, the same bytes on every attempt."""
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Answer:
    """What one attempt got back: a status code and the start of the body, or an error."""

    status_code: int | None
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A receiver answers where it was registered; a 3xx is an error (and never followed to
    # wherever it points).
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post(url: str, data: bytes, headers: dict[str, str]) -> Answer:
    """POST once, following no redirects; any answer or failure becomes an Answer."""
    if urlsplit(url).scheme not in {"http", "https"}:
        return Answer(None, error=f"Only http and https URLs receive webhooks, not {url!r}.")
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return Answer(response.status, _excerpt(response))
    except urllib.error.HTTPError as error:  # 3xx, 4xx, 5xx: the endpoint answered
        with error:
            return Answer(error.code, _excerpt(error), f"HTTP {error.code} {error.reason}")
    except urllib.error.URLError as error:  # refused, unknown host, TLS…
        return Answer(None, error=_describe(error.reason))
    except (OSError, HTTPException, ValueError) as error:  # timeouts, resets, garbled answers
        return Answer(None, error=_describe(error))


def _excerpt(response) -> str:
    try:
        raw = response.read(EXCERPT_CHARS * 4)
    except (OSError, HTTPException):
        return ""
    return raw.decode("utf-8", "replace")[:EXCERPT_CHARS]


def _describe(error) -> str:
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"[:2000]
    return str(error)[:2000]


def send(delivery: Delivery) -> bool:
    """Send a claimed delivery; True when the endpoint answered 2xx."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _record(
            delivery,
            status=Status.FAILED,
            next_attempt_at=None,
            last_error="The endpoint is disabled: enable it, then retry.",
        )
        return False
    data = body(delivery)
    # A fresh timestamp (real time, what the receiver's clock compares with) and signature on
    # every attempt, made with the endpoint's current URL and secret.
    headers = signing.headers(endpoint.secret, str(delivery.event_id), data)
    answer = post(endpoint.url, data, headers)
    now = clock.now()
    outcome = {
        "last_status_code": answer.status_code,
        "last_response": answer.excerpt,
        "last_error": answer.error,
        "last_attempt_at": now,
    }
    if answer.ok:
        _record(
            delivery, status=Status.DELIVERED, delivered_at=now, next_attempt_at=None, **outcome
        )
        return True
    _retry(delivery, outcome)
    return False


def _record(delivery: Delivery, **fields) -> bool:
    # Only while this claim holds: `attempts` grows with every claim, so a worker whose lease
    # expired and was taken over cannot overwrite the new holder's outcome.
    return (
        Delivery.objects.filter(
            pk=delivery.pk, status=Status.SENDING, attempts=delivery.attempts
        ).update(lease_expires_at=None, **fields)
        == 1
    )


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 30, 60, 120… by default."""
    return settings.ATELIER_WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1)


def _retry(delivery: Delivery, outcome: dict) -> None:
    attempts = delivery.attempts
    what = outcome["last_error"] or f"HTTP {outcome['last_status_code']}"
    if attempts >= settings.ATELIER_WEBHOOK_MAX_ATTEMPTS:
        logger.error("Giving up on webhook delivery %s after %s attempts", delivery.pk, attempts)
        _record(delivery, status=Status.FAILED, next_attempt_at=None, **outcome)
        return
    delay = retry_delay(attempts)
    logger.warning("Webhook delivery %s failed (%s); retry in %ss", delivery.pk, what, delay)
    retry_at = clock.now() + timedelta(seconds=delay)
    if not _record(delivery, status=Status.PENDING, next_attempt_at=retry_at, **outcome):
        return
    # A nudge deferred to the retry's moment, so the back-off is kept to the second; the sweep
    # stays the safety net should this task be lost.
    from .tasks import deliver_webhook

    deliver_webhook.using(run_after=retry_at).enqueue(delivery.pk)


def deliver(pk: int) -> bool:
    """Claim and send one delivery if it is due; safe to call any number of times."""
    delivery = claim(pk)
    return send(delivery) if delivery is not None else False


def due_ids(limit: int = 500, *, grace: timedelta = timedelta(0)) -> list[int]:
    return list(
        Delivery.objects.filter(due(grace))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def retry_failed(delivery: Delivery) -> bool:
    """An agent sends a failed delivery again: a fresh round of attempts, the same event id."""
    return bool(
        Delivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=clock.now()
        )
    )
