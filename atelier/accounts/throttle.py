"""Failed logins are limited per account and per client address, on the pages and the API alike.

Each failure is a timestamp in the shared cache (the database, or Redis: every web process sees
the same counts). Once an account or an address has used up its failures within the window, every
attempt is refused with 429 and a Retry-After until its oldest failure ages out, before any
password is checked, so refused attempts cost no hashing. Known and unknown e-mail addresses are
counted and answered alike. A successful login does not reset the counts: an attacker who knows
one password cannot use it to keep guessing another.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from atelier.core.errors import Throttled


def _keys(request: HttpRequest, email: str) -> list[tuple[str, int]]:
    account = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    address = request.META.get("REMOTE_ADDR", "")
    return [
        (f"login-failures:account:{account}", settings.ATELIER_LOGIN_FAILURES_PER_ACCOUNT),
        (f"login-failures:address:{address}", settings.ATELIER_LOGIN_FAILURES_PER_ADDRESS),
    ]


def _recent(key: str, now: float) -> list[float]:
    window = settings.ATELIER_LOGIN_FAILURE_WINDOW
    return [at for at in cache.get(key, []) if at > now - window]


def check(request: HttpRequest, email: str) -> None:
    """Raise Throttled if this account or this address may not try again yet."""
    now = time.time()
    waits = []
    for key, allowed in _keys(request, email):
        failures = _recent(key, now)
        if len(failures) >= allowed:
            oldest_counted = sorted(failures)[-allowed]
            waits.append(oldest_counted + settings.ATELIER_LOGIN_FAILURE_WINDOW - now)
    if waits:
        retry_after = max(1, math.ceil(max(waits)))
        raise Throttled(
            "Too many failed attempts. Wait a few minutes and try again, or reset your password.",
            retry_after=retry_after,
        )


def record_failure(request: HttpRequest, email: str) -> None:
    now = time.time()
    for key, allowed in _keys(request, email):
        failures = [*_recent(key, now), now][-allowed:]
        cache.set(key, failures, settings.ATELIER_LOGIN_FAILURE_WINDOW)
