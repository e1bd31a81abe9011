"""Webhook signatures: HMAC-SHA256 with the endpoint's secret over "<timestamp>.<raw body>".

Receivers check it with the stdlib snippet in docs/webhooks.md (verify() below is the same
check). The timestamp is signed too, so a captured request cannot be replayed after `tolerance`.
"""

import hashlib
import hmac
import time
from collections.abc import Mapping

SCHEME = "v1"
ID_HEADER = "Atelier-Webhook-Id"
TIMESTAMP_HEADER = "Atelier-Webhook-Timestamp"
SIGNATURE_HEADER = "Atelier-Webhook-Signature"
USER_AGENT = "Atelier-Webhooks/1"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of f"{timestamp}.{body}" keyed with the secret (as UTF-8 bytes)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret: str, event_id: str, body: bytes, *, timestamp: int | None = None) -> dict:
    """The request headers of one delivery attempt (a fresh timestamp and signature each time)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{SCHEME}={sign(secret, timestamp, body)}",
    }


def verify(
    secret: str,
    timestamp: str,
    signature_header: str,
    body: bytes,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """Whether `signature_header` (one or more "v1=<hex>", comma- or space-separated) signs
    `body` at `timestamp` with `secret`, and the timestamp is within `tolerance` seconds of now."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    expected = sign(secret, timestamp, body)  # the header's text, exactly as signed
    candidates = (signature_header or "").replace(",", " ").split()
    return any(
        hmac.compare_digest(expected, value)
        for scheme, _, value in (c.partition("=") for c in candidates)
        if scheme == SCHEME
    )


def verify_headers(secret: str, request_headers: Mapping[str, str], body: bytes, **kw) -> bool:
    """verify() with the timestamp and signature read from a request's headers."""
    return verify(
        secret,
        request_headers.get(TIMESTAMP_HEADER, ""),
        request_headers.get(SIGNATURE_HEADER, ""),
        body,
        **kw,
    )
