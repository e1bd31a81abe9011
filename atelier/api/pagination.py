"""Cursor pagination: lists are ordered newest first by primary key, and the cursor names the
last item seen, so pages stay stable while new items arrive (no offsets to drift)."""

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from atelier.core.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": pk}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        pk = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        pk = None
    if not isinstance(pk, int) or isinstance(pk, bool) or pk < 1:
        raise InvalidInput("This cursor is not one we gave out.", field="cursor")
    return pk


def paginate(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int | None,
    render: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """{"items": [...], "next_cursor": str | None}; pass next_cursor back for the next page."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"The limit is between 1 and {MAX_LIMIT}.", field="limit")
    queryset = queryset.order_by("-pk")
    if cursor:
        queryset = queryset.filter(pk__lt=_decode(cursor))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [render(row) for row in rows],
        "next_cursor": _encode(rows[-1].pk) if more and rows else None,
    }
