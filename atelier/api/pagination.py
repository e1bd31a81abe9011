"""Cursor pagination: lists are ordered newest first by primary key, and the cursor names the
last item seen, so pages stay stable while new items arrive (no offsets to drift). The event log
runs the other way, oldest first, with a cursor that names the last event read (`follow`)."""

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Field

from atelier.core.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

# A list's `?limit=`, as the document shows it: `limit: Limit = None`.
Limit = Annotated[
    int | None,
    Field(
        ge=1,
        le=MAX_LIMIT,
        description=f"Items per page: 1 to {MAX_LIMIT}, {DEFAULT_LIMIT} if unset.",
    ),
]


def _encode(position: int, key: str = "before") -> str:
    return base64.urlsafe_b64encode(json.dumps({key: position}).encode()).decode().rstrip("=")


def _decode(cursor: str, key: str = "before", *, field: str = "cursor", least: int = 1) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))[key]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        position = None
    if not isinstance(position, int) or isinstance(position, bool) or position < least:
        raise InvalidInput("This cursor is not one we gave out.", field=field)
    return position


def _limit(limit: int | None) -> int:
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"The limit is between 1 and {MAX_LIMIT}.", field="limit")
    return limit


def paginate(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int | None,
    render: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """{"items": [...], "next_cursor": str | None}; pass next_cursor back for the next page."""
    limit = _limit(limit)
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


def follow(
    queryset: QuerySet,
    *,
    position: str,
    after: str | None,
    limit: int | None,
    render: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """A page of a log read oldest first by the integer field `position`: {"items": [...],
    "next_cursor": str, "has_more": bool}. next_cursor is never null: keep it and ask again
    later for what happened since (without `after`, the log starts at its beginning)."""
    limit = _limit(limit)
    seen = _decode(after, "after", field="after", least=0) if after else 0
    rows = list(queryset.filter(**{f"{position}__gt": seen}).order_by(position)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = getattr(rows[-1], position) if rows else seen
    return {
        "items": [render(row) for row in rows],
        "next_cursor": _encode(last, "after"),
        "has_more": more,
    }
