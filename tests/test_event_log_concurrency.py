"""The event log under real concurrency (PostgreSQL): an event whose transaction commits after a
later-numbered one was read is still read, once, by the next poll. Primary keys are handed out
when a row is inserted, not when it commits, so a cursor over them would skip it; the log's
`seq` is given after commit."""

import threading

import pytest
from django.db import connection, transaction

from atelier.api.tests.apiclient import Api
from atelier.orders.events import record_event
from atelier.orders.tests.factories import World

pytestmark = pytest.mark.django_db(transaction=True)

PATIENCE = 60  # seconds; only a hung test waits this long


def test_a_slow_transactions_event_is_read_after_a_faster_ones():
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL (SQLite has one writer); CI runs it")
    world = World.build()
    order = world.order()
    agent = Api({}).as_(world.agent)
    _, start = agent.get("/events", limit=200)
    while start["has_more"]:
        _, start = agent.get("/events", after=start["next_cursor"], limit=200)

    recorded, release, done = threading.Event(), threading.Event(), threading.Event()
    slow: dict = {}

    def slow_writer():
        try:
            with transaction.atomic():
                slow["event"] = record_event(order, "note.slow", actor=world.agent)
                recorded.set()
                assert release.wait(PATIENCE)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        # given a slow transaction that recorded an event and has not committed
        assert recorded.wait(PATIENCE)
        # when a faster one records and commits a later event, and an integration polls
        fast = record_event(order, "note.fast", actor=world.agent)
        status, page = agent.get("/events", after=start["next_cursor"])
        assert status == 200
        assert [i["id"] for i in page["items"]] == [fast.pk]
        assert slow["event"].pk < fast.pk
    finally:
        release.set()
        assert done.wait(PATIENCE)
        thread.join(PATIENCE)

    # then once the slow one commits, the next poll reads it, and nothing twice
    status, later = agent.get("/events", after=page["next_cursor"])
    assert status == 200
    assert [i["id"] for i in later["items"]] == [slow["event"].pk]
    assert later["items"][0]["seq"] > page["items"][0]["seq"]
