"""The order timeline and the event log (DESIGN rule 12): one row per thing that happened.

The engine records events and knows nothing of who reads them. Consumers read the log two ways:

- in the same transaction, through a listener registered with `listen()` (from the consumer's
  AppConfig.ready()): webhooks queue their deliveries there, so that a committed change never
  loses its webhook and a rolled-back one sends nothing;
- afterwards, in log order, through `Event.seq`: a number given to events once they are
  committed (`sequence_events`), so that a reader who has seen everything up to N never misses
  an event that commits later with a smaller primary key (GET /api/v1/events?after=...).
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max

from atelier.accounts.models import User
from atelier.core import clock

from .models import Event, Order

EventListener = Callable[[Event], None]
_listeners: list[EventListener] = []

# Any number that is the same in every process: the PostgreSQL advisory lock that makes the
# sequencers take turns.
_SEQUENCE_LOCK = 0x61746C72  # "atlr"


def listen(listener: EventListener) -> None:
    """Call `listener(event)` for every event recorded from now on, inside the recording
    transaction (an exception rolls the action back)."""
    if listener not in _listeners:
        _listeners.append(listener)


def record_event(
    order: Order,
    verb: str,
    *,
    actor: User | None,
    from_status: str = "",
    to_status: str = "",
    **details: Any,
) -> Event:
    event = Event.objects.create(
        order=order,
        verb=verb,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        details=_stored(details),
        created_at=clock.now(),
    )
    _announce([event])
    return event


def record_events(
    order: Order, verb: str, *, actor: User | None, details: Sequence[dict[str, Any]]
) -> list[Event]:
    """One event of kind `verb` for each entry of `details`, in one INSERT however many."""
    now = clock.now()
    events = Event.objects.bulk_create(
        Event(order=order, verb=verb, actor=actor, details=_stored(each), created_at=now)
        for each in details
    )
    _announce(events)
    return events


def _stored(details: dict[str, Any]) -> Any:
    # As the JSON column will hold them (dates, decimals as strings), so listeners see the same.
    return json.loads(json.dumps(details, cls=DjangoJSONEncoder))


def _announce(events: Sequence[Event]) -> None:
    for event in events:
        for listener in _listeners:
            listener(event)


def sequence_events(*, batch: int = 1000) -> int:
    """Number the committed events that have no `seq` yet, in primary-key order, after every
    number given so far; return how many were numbered. Sequencers take turns (an advisory lock
    on PostgreSQL; SQLite's IMMEDIATE transactions hold the write lock), so each batch sees every
    batch before it, and an event still uncommitted gets its number in a later batch."""
    numbered = 0
    while Event.objects.filter(seq=None).exists():
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEQUENCE_LOCK])
            pending = list(Event.objects.filter(seq=None).order_by("pk").only("pk")[:batch])
            if not pending:
                break
            last = Event.objects.aggregate(last=Max("seq"))["last"] or 0
            for offset, event in enumerate(pending, start=1):
                event.seq = last + offset
            Event.objects.bulk_update(pending, ["seq"])
        numbered += len(pending)
    return numbered
