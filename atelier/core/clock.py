"""The one source of "now" for domain code, so the demo and tests can place events in the past."""

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

_frozen = threading.local()


def now() -> datetime:
    frozen = getattr(_frozen, "at", None)
    return frozen if frozen is not None else timezone.now()


@contextlib.contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make now() return `moment` in this thread while the block runs."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    previous = getattr(_frozen, "at", None)
    _frozen.at = moment
    try:
        yield
    finally:
        _frozen.at = previous
