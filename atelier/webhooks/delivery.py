"""Sending webhooks: each delivery row is claimed by one worker at a time (a lease), POSTed as
signed JSON, and retried with exponential back-off until a limit, then marked failed for an
agent to retry. The claiming, leases and retries are the outbox pattern (atelier/core/outbox.py),
as for e-mail; this module signs and POSTs the request and keeps what the endpoint answered.

A worker that dies mid-request leaves the row SENDING with a lease that expires, and the sweep
hands it to another worker; the resend carries the same event id (receivers use it to recognise
the repeat) with a fresh timestamp and signature.

Every attempt checks the URL again (targets.vet: public addresses only) and connects to the
addresses it vetted, not to a new lookup of the name; a refused URL fails the delivery at once,
with nothing sent. Redirects are never followed.
"""

import http.client
import json
import logging
import socket
import ssl
from dataclasses import dataclass
from http.client import HTTPException

from atelier.core import clock
from atelier.core.outbox import Outbox

from . import signing, targets
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
    """What one attempt got back: a status code and the start of the body, or an error.
    `final` when trying again cannot help (the URL is refused): no retries."""

    status_code: int | None
    excerpt: str = ""
    error: str = ""
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, data: bytes, headers: dict[str, str]) -> Answer:
    """POST once to a public address (targets.vet, checked now, whatever it was at registration),
    following no redirects; any answer, failure or refusal becomes an Answer."""
    try:
        target = targets.vet(url)
    except targets.Unresolved as error:  # perhaps for a moment: retried like a network error
        return Answer(None, error=str(error))
    except targets.Refused as error:  # nothing is sent
        return Answer(None, error=f"Refused: {error}", final=True)
    return post_to(target, data, headers)


def post_to(
    target: targets.Target,
    data: bytes,
    headers: dict[str, str],
    *,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """POST to the target's vetted addresses (never to a fresh lookup of its name), with its host
    name in the Host header and, for https, as the TLS server name the certificate must match
    (`context`: the system's CAs by default)."""
    connection = None
    try:
        if target.scheme == "https":
            connection = _PinnedHTTPS(target.host, target.port, timeout=TIMEOUT_SECONDS)
            connection.context = context or ssl.create_default_context()
        else:
            connection = _PinnedHTTP(target.host, target.port, timeout=TIMEOUT_SECONDS)
        connection.addresses = target.addresses
        connection.request("POST", target.path, body=data, headers=headers)
        response = connection.getresponse()
        status, excerpt = response.status, _excerpt(response)
    except (OSError, HTTPException, ValueError) as error:  # refused, TLS, timeouts, garbled…
        return Answer(None, error=_describe(error))
    finally:
        if connection is not None:
            connection.close()
    if 200 <= status < 300:
        return Answer(status, excerpt)
    if 300 <= status < 400:
        # A receiver answers where it was registered: a 3xx is an error, never followed (it
        # could point anywhere, an internal address included).
        location = (response.getheader("Location") or "nowhere")[:300]
        return Answer(status, excerpt, f"Redirects are not followed ({status} to {location}).")
    return Answer(status, excerpt, f"HTTP {status} {response.reason}"[:2000])


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to `addresses` (vetted IPs, tried in turn) instead of resolving `host`, which
    still names the server in the Host header."""

    addresses: tuple[str, ...] = ()

    def connect(self) -> None:
        failure = OSError(f"No vetted address to connect to for {self.host}.")
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as error:
                failure = error
                continue
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return
        raise failure


class _PinnedHTTPS(_PinnedHTTP):
    """The same over TLS: `host` is sent as SNI and the certificate must be valid for it."""

    default_port = http.client.HTTPS_PORT
    context: ssl.SSLContext

    def connect(self) -> None:
        super().connect()
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)


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
    if answer.final:
        # A refused URL stays refused: failed at once, for an agent to fix the endpoint and retry.
        logger.warning("Webhook delivery %s not sent: %s", delivery.pk, answer.error)
        rows.finish(delivery, status=Status.FAILED, next_attempt_at=None, **outcome)
        return False
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
