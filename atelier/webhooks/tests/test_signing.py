"""Signatures: HMAC-SHA256 over "<timestamp>.<body>"; anything changed, stale or signed with
another secret is rejected. The snippet that docs/webhooks.md gives receivers is the one the
live receiver (tests/webhook_receiver.py) runs, and it accepts exactly what Atelier signs."""

import hashlib
import hmac
import json
import re
import time
from pathlib import Path

import pytest

from atelier.webhooks import signing
from atelier.webhooks.models import new_secret

ROOT = Path(__file__).resolve().parents[3]
BODY = json.dumps({"id": "e1", "type": "order.completed", "data": {"amount": "120.00"}}).encode()
SECRET = "whsec_" + "k" * 43


def test_a_signature_is_the_hex_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.sign(SECRET, 1700000000, BODY) == expected


def test_headers_carry_the_event_id_a_fresh_timestamp_and_the_signature():
    headers = signing.headers(SECRET, "3f0c6a1e-0000-4000-8000-000000000000", BODY)
    assert headers["Atelier-Webhook-Id"] == "3f0c6a1e-0000-4000-8000-000000000000"
    assert abs(int(headers["Atelier-Webhook-Timestamp"]) - time.time()) < 5
    assert headers["Atelier-Webhook-Signature"] == "v1=" + signing.sign(
        SECRET, headers["Atelier-Webhook-Timestamp"], BODY
    )
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Atelier-Webhooks/1"


def test_round_trip_verifies():
    headers = signing.headers(SECRET, "e1", BODY)
    assert signing.verify_headers(SECRET, headers, BODY)


@pytest.mark.parametrize("body", [BODY.replace(b"120.00", b"999.00"), BODY + b" ", b"", BODY[:-1]])
def test_a_tampered_body_is_rejected(body):
    headers = signing.headers(SECRET, "e1", BODY)
    assert not signing.verify_headers(SECRET, headers, body)


def test_another_secret_is_rejected():
    headers = signing.headers(SECRET, "e1", BODY)
    assert not signing.verify_headers(new_secret(), headers, BODY)


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_a_timestamp_outside_the_tolerance_is_rejected(offset):
    # given a request signed correctly, but `offset` seconds away from now (a replay, or a skew)
    sent = int(time.time()) + offset
    signature = "v1=" + signing.sign(SECRET, sent, BODY)
    assert not signing.verify(SECRET, str(sent), signature, BODY)
    assert signing.verify(SECRET, str(sent), signature, BODY, tolerance=abs(offset) + 5)


def test_a_re_signed_timestamp_without_the_secret_is_rejected():
    # given an old request's signature replayed with a new timestamp
    old = int(time.time()) - 3600
    signature = "v1=" + signing.sign(SECRET, old, BODY)
    assert not signing.verify(SECRET, str(int(time.time())), signature, BODY)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [("", "v1=abc"), ("soon", "v1=abc"), ("NOW", ""), ("NOW", "v0=SIG"), ("NOW", "SIG")],
)
def test_malformed_headers_are_rejected(timestamp, signature):
    now = str(int(time.time()))
    timestamp = timestamp.replace("NOW", now)
    signature = signature.replace("SIG", signing.sign(SECRET, now, BODY))
    assert not signing.verify(SECRET, timestamp, signature, BODY)


def test_any_of_several_signatures_may_match():
    now = str(int(time.time()))
    good = signing.sign(SECRET, now, BODY)
    assert signing.verify(SECRET, now, f"v1={'0' * 64}, v1={good}", BODY)


# --- the receivers' snippet ----------------------------------------------------------------------


def docs_snippet() -> str:
    text = (ROOT / "docs" / "webhooks.md").read_text()
    match = re.search(r"<!-- verification snippet -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/webhooks.md lost its marked verification snippet"
    return match.group(1)


def receiver_snippet() -> str:
    text = (ROOT / "tests" / "webhook_receiver.py").read_text()
    match = re.search(
        r"# --- verification snippet \(docs/webhooks.md\) ---\n(.*?)# --- end of snippet ---",
        text,
        re.S,
    )
    assert match, "tests/webhook_receiver.py lost its marked snippet"
    return match.group(1)


def test_the_docs_snippet_is_the_one_the_live_receiver_runs():
    assert docs_snippet().strip() == receiver_snippet().strip()


def test_the_docs_snippet_accepts_what_atelier_signs_and_nothing_else():
    # given the snippet run on its own (standard library only)
    namespace: dict = {}
    exec(compile(docs_snippet(), "docs/webhooks.md", "exec"), namespace)
    verify = namespace["verify_atelier_webhook"]
    headers = signing.headers(SECRET, "e1", BODY)

    assert verify(SECRET, headers, BODY) is True
    assert verify(SECRET, headers, BODY + b"x") is False
    assert verify(new_secret(), headers, BODY) is False
    stale = signing.headers(SECRET, "e1", BODY, timestamp=int(time.time()) - 600)
    assert verify(SECRET, stale, BODY) is False
    assert verify(SECRET, {}, BODY) is False


def test_the_docs_example_request_is_signed_as_the_docs_say():
    text = (ROOT / "docs" / "webhooks.md").read_text()
    timestamp = re.search(r"Atelier-Webhook-Timestamp: (\d+)", text).group(1)
    signature = re.search(r"Atelier-Webhook-Signature: (v1=[0-9a-f]{64})", text).group(1)
    example = re.search(r"```json\n(.*?)```", text, re.S).group(1)
    compact = json.dumps(json.loads(example), ensure_ascii=False, separators=(",", ":")).encode()
    assert signing.verify("whsec_example", timestamp, signature, compact, now=int(timestamp))
