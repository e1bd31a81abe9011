"""Sending webhooks: each delivery row is claimed by one worker at a time (a lease), POSTed as
signed JSON, and retried with exponential back-off until a limit, then marked failed for an
agent to retry. The claiming, leases and retries are the outbox pattern (atelier/core/outbox.py),
as for e-mail; this module signs and POSTs the request and keeps what the endpoint answered.

A worker that dies mid-request leaves the row SENDING with a lease that expires, and the sweep
hands it to another worker; the resend carries the same event id (receivers use it to recognise
the repeat) with a fresh timestamp and signature.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import urlsplit

from atelier.core import clock
from atelier.core.outbox import Outbox

from . import signing
from .models import Delivery

logger = logging.getLogger(__name__)
Status = Delivery.Status

TIMEOUT_SECONDS = 10
EXCERPT_CHARS = 2000  # of the endpoint's answer, kept for the delivery log

rows = Outbox(
    Delivery,
    what="webhook delivery",
    lease_setting="ATELIER_WEBHOOK_LEASE_SECONDS",
    max_attempts_setting="ATELIER_WEBHOOK_MAX_ATTEMPTS",
    retry_setting="ATELIER_WEBHOOK_RETRY_SECONDS",
    task="atelier.webhooks.tasks.deliver_webhook",
    related=("endpoint",),
    logger=logger,
)
due = rows.due
claim = rows.claim
due_ids = rows.due_ids
retry_delay = rows.retry_delay  # 30, 60, 120… seconds by default


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
        rows.finish(
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
        rows.finish(
            delivery, status=Status.DELIVERED, delivered_at=now, next_attempt_at=None, **outcome
        )
        return True
    # Recorded on every attempt, and kept once the delivery has failed for good.
    rows.retry(delivery, reason=answer.error or f"HTTP {answer.status_code}", **outcome)
    return False


def deliver(pk: int) -> bool:
    """Claim and send one delivery if it is due; safe to call any number of times."""
    return rows.deliver(pk, send)


def retry_failed(delivery: Delivery) -> bool:
    """An agent sends a failed delivery again: a fresh round of attempts, the same event id (the
    last attempt's answer and error stay in the log until the next attempt)."""
    return rows.retry_failed(delivery)
