"""Keyset (cursor) pagination for long lists on pages: newest first by a timestamp, ties broken by
primary key. A page is one indexed range read of `per_page + 1` rows, whatever the list's length:
no COUNT(*) and no OFFSET, so the thousandth page costs what the first does and the list does not
drift when new rows arrive. The links are "Newer" and "Older", each with an opaque cursor naming
the row the page starts after, (sort key, id)."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from .errors import InvalidInput

OLDER = "o"
NEWER = "n"
BAD_CURSOR = "This page link is not one we gave out (it may have been edited)."


@dataclass(frozen=True)
class Cursor:
    direction: str  # OLDER: the rows after this one, going back; NEWER: the rows before it
    key: datetime
    pk: int

    def encode(self) -> str:
        data = {"d": self.direction, "k": self.key.isoformat(), "id": self.pk}
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """The cursor a "Newer" or "Older" link carries; InvalidInput for anything else."""
        try:
            data = json.loads(base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode()))
            direction, key, pk = data["d"], datetime.fromisoformat(data["k"]), data["id"]
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
            raise InvalidInput(BAD_CURSOR, field="cursor") from None
        valid_pk = isinstance(pk, int) and not isinstance(pk, bool) and pk > 0
        if direction not in (OLDER, NEWER) or not valid_pk or key.tzinfo is None:
            raise InvalidInput(BAD_CURSOR, field="cursor")
        return cls(direction, key, pk)


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows, newest first, and the cursors of its neighbours (None: there is none)."""

    object_list: list
    older_cursor: str | None
    newer_cursor: str | None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    @property
    def has_other_pages(self) -> bool:
        return bool(self.older_cursor or self.newer_cursor)


def _beyond(field: str, cursor: Cursor, *, ascending: bool) -> Q:
    """Rows strictly past the cursor in its direction, by (field, pk): "older" is the list's
    own order (`field` descending, or ascending with `ascending`; ties newest id first), "newer"
    the way back. The redundant bound on `field` alone lets the database start an index range
    scan there."""
    forward = cursor.direction == OLDER
    op, strict = ("gte", "gt") if ascending == forward else ("lte", "lt")
    pk = "lt" if forward else "gt"
    return Q(**{f"{field}__{op}": cursor.key}) & (
        Q(**{f"{field}__{strict}": cursor.key}) | Q(**{f"pk__{pk}": cursor.pk})
    )


def keyset_page(
    queryset: QuerySet,
    *,
    cursor: str | None,
    per_page: int,
    key: str = "created_at",
    ascending: bool = False,
) -> KeysetPage:
    """The page of `queryset` that `cursor` points at (the first page without one), newest
    first by (`key`, pk), or with `ascending` soonest `key` first (ties newest id first); `key`
    may be an annotation, never null. Raises InvalidInput for a cursor we did not give out."""
    position = Cursor.decode(cursor) if cursor else None
    order = [key if ascending else f"-{key}", "-pk"]
    if position is None or position.direction == OLDER:
        in_order = queryset.order_by(*order)
        if position is not None:
            in_order = in_order.filter(_beyond(key, position, ascending=ascending))
        rows = list(in_order[: per_page + 1])
        has_newer, has_older = position is not None, len(rows) > per_page
        rows = rows[:per_page]
    else:
        back = [f"-{key}" if ascending else key, "pk"]
        behind = queryset.filter(_beyond(key, position, ascending=ascending)).order_by(*back)
        rows = list(behind[: per_page + 1])
        if len(rows) <= per_page:
            # Back at the top: the first page, full, as if it had no cursor.
            return keyset_page(
                queryset, cursor=None, per_page=per_page, key=key, ascending=ascending
            )
        rows = rows[:per_page][::-1]
        has_newer = has_older = True

    def mark(row, direction: str) -> str:
        return Cursor(direction, getattr(row, key), row.pk).encode()

    return KeysetPage(
        object_list=rows,
        older_cursor=mark(rows[-1], OLDER) if rows and has_older else None,
        newer_cursor=mark(rows[0], NEWER) if rows and has_newer else None,
    )


def cursor_listing(
    request: HttpRequest, items: QuerySet, per_page: int = 25, **order
) -> tuple[dict, int]:
    """A page's listing of `items` by its `?cursor=` (in keyset_page's `order`: key, ascending),
    for the template's context, and the status to answer with: `{"page": ...}` and 200, or for
    a cursor we did not give out an empty page, `cursor_error` (templates/_cursor_error.html
    shows it) and 400."""
    try:
        cursor = request.GET.get("cursor") or None
        page = keyset_page(items, cursor=cursor, per_page=per_page, **order)
    except InvalidInput as error:
        return {"page": KeysetPage([], None, None), "cursor_error": error.message}, 400
    return {"page": page}, 200
