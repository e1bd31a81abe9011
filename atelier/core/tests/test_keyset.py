"""The cursor of keyset pages: what a "Newer"/"Older" link carries, and what it refuses. Walking
real lists (ties on the sort key included) is tested on the pages that use them."""

import base64
import json
from datetime import UTC, datetime

import pytest

from atelier.core.errors import InvalidInput
from atelier.core.keyset import NEWER, OLDER, Cursor


def _raw(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_cursor_reads_back_as_given():
    cursor = Cursor(OLDER, datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC), 42)
    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode(Cursor(NEWER, cursor.key, 1).encode()).direction == NEWER


@pytest.mark.parametrize(
    "text",
    [
        "not base64 at all!",
        _raw({}),
        _raw(["o", "2026-01-01T00:00:00+00:00", 1]),
        _raw({"d": "sideways", "k": "2026-01-01T00:00:00+00:00", "id": 1}),
        _raw({"d": "o", "k": "yesterday", "id": 1}),
        _raw({"d": "o", "k": "2026-01-01T00:00:00", "id": 1}),  # no time zone
        _raw({"d": "o", "k": "2026-01-01T00:00:00+00:00", "id": True}),
        _raw({"d": "o", "k": "2026-01-01T00:00:00+00:00", "id": 0}),
        _raw({"d": "o", "k": "2026-01-01T00:00:00+00:00", "id": "1"}),
    ],
)
def test_a_cursor_we_did_not_give_out_is_refused(text):
    with pytest.raises(InvalidInput) as refused:
        Cursor.decode(text)
    assert (
        refused.value.message == "This page link is not one we gave out (it may have been edited)."
    )
    assert refused.value.field == "cursor"
