"""The outbox pattern on its own (atelier/core/outbox.py), for both of its users: e-mail
notifications and webhook deliveries. Claims are exclusive while their lease holds, a stale
holder cannot overwrite its successor, failures back off doubling and then fail, the sweep's
grace, and the agents' retry. (Sending itself: the apps' test_delivery.py.)"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import models
from django_tasks_db.models import DBTaskResult

from atelier.core import clock
from atelier.core.outbox import Outbox
from atelier.notifications import delivery as emails
from atelier.notifications.outbox import notify
from atelier.webhooks import actions as hooks
from atelier.webhooks import delivery as webhooks
from atelier.webhooks.outbox import emit_ping

LEASE, RETRY, MAX_ATTEMPTS = 60, 10, 4  # seconds, seconds, attempts


@dataclass
class Case:
    rows: Outbox
    new: Callable[[], models.Model]  # a row written by the app's own outbox, due now
    done: str  # the app's own status for a row sent


@pytest.fixture(params=["notifications", "webhooks"])
def outbox(request, world, settings) -> Case:
    prefix = {"notifications": "ATELIER_EMAIL", "webhooks": "ATELIER_WEBHOOK"}[request.param]
    settings.__setattr__(f"{prefix}_LEASE_SECONDS", LEASE)
    settings.__setattr__(f"{prefix}_RETRY_SECONDS", RETRY)
    settings.__setattr__(f"{prefix}_MAX_ATTEMPTS", MAX_ATTEMPTS)
    if request.param == "notifications":
        return Case(
            emails.rows,
            lambda: notify("comment_posted", [world.expert], body="Hello")[0],
            done="sent",
        )
    endpoint = hooks.create_endpoint(
        actor=world.agent, url="https://93.184.215.14/hooks", events=["*"]
    )
    return Case(webhooks.rows, lambda: emit_ping(endpoint), done="delivered")


def state(row: models.Model) -> tuple:
    row.refresh_from_db()
    return row.status, row.attempts, row.next_attempt_at, row.lease_expires_at, row.last_error


def test_a_claimed_row_is_not_claimed_again_while_its_lease_holds(outbox):
    rows = outbox.rows
    start = clock.now()
    with clock.frozen_at(start):
        row = outbox.new()
        claimed = rows.claim(row.pk)
    assert (claimed.status, claimed.attempts) == ("sending", 1)
    assert claimed.lease_expires_at == start + timedelta(seconds=LEASE)

    with clock.frozen_at(start + timedelta(seconds=LEASE - 1)):
        assert rows.claim(row.pk) is None
    assert state(row)[:2] == ("sending", 1)


def test_an_expired_lease_is_taken_over_and_the_stale_holder_changes_nothing(outbox):
    rows = outbox.rows
    start = clock.now()
    # given a worker that claimed the row and stalled past its lease
    with clock.frozen_at(start):
        row = outbox.new()
        stale = rows.claim(row.pk)
    with clock.frozen_at(start + timedelta(seconds=LEASE)):
        fresh = rows.claim(row.pk)  # another worker takes over
    assert fresh is not None and fresh.attempts == 2
    taken_over = state(row)

    # when the stalled worker records its outcome late, success or failure
    with clock.frozen_at(start + timedelta(seconds=LEASE + 1)):
        assert rows.finish(stale, status=outbox.done, last_error="") is False
        assert rows.retry(stale, reason="late", last_error="late") is False

    # then the row is still the new holder's, who alone can finish it
    assert state(row) == taken_over
    assert rows.finish(fresh, status=outbox.done) is True
    assert state(row)[:2] == (outbox.done, 2) and row.lease_expires_at is None


def test_failed_attempts_back_off_doubling_then_the_row_fails(outbox, caplog):
    rows = outbox.rows
    start = clock.now()
    with clock.frozen_at(start):
        row = outbox.new()
    delays = []
    for attempt in range(MAX_ATTEMPTS):
        with clock.frozen_at(start + timedelta(hours=attempt)):
            claimed = rows.claim(row.pk)
            assert rows.retry(claimed, reason="down", last_error=f"down {attempt + 1}")
            status, _, next_attempt_at, lease, _ = state(row)
            if next_attempt_at is not None:
                assert (status, lease) == ("pending", None)
                delays.append((next_attempt_at - clock.now()).total_seconds())
    assert delays == [RETRY, 2 * RETRY, 4 * RETRY]
    assert state(row) == ("failed", MAX_ATTEMPTS, None, None, f"down {MAX_ATTEMPTS}")
    assert caplog.records[-1].getMessage() == (
        f"Giving up on {rows.what} {row.pk} after {MAX_ATTEMPTS} attempts"
    )
    assert caplog.records[-1].levelno == logging.ERROR


def test_each_retry_nudges_the_worker_at_its_moment(outbox):
    rows = outbox.rows
    start = clock.now()
    with clock.frozen_at(start):
        row = outbox.new()
    moments = []
    for attempt in range(MAX_ATTEMPTS):
        with clock.frozen_at(start + timedelta(hours=attempt)):
            rows.retry(rows.claim(row.pk), reason="down")
            moments.append(state(row)[2])

    nudges = DBTaskResult.objects.filter(task_path=rows.task).order_by("run_after")
    assert [(n.args_kwargs["args"], n.run_after) for n in nudges] == [
        ([row.pk], moment)
        for moment in moments[:-1]  # none once it failed
    ]


def test_claim_each_holds_one_row_at_a_time_and_skips_rows_taken_meanwhile(outbox):
    rows = outbox.rows
    first, second, third = outbox.new(), outbox.new(), outbox.new()
    rows.claim(third.pk)  # another worker holds this one already

    claims = rows.claim_each([first.pk, second.pk, third.pk, first.pk])
    got = next(claims)

    # the first is claimed, as `claim` would have, and the next not yet
    assert got.pk == first.pk and (got.status, got.attempts) == ("sending", 1)
    assert state(first)[:2] == ("sending", 1) and state(first)[3] == got.lease_expires_at
    assert state(second)[:2] == ("pending", 0)
    # a row another worker takes before its turn, and one held already, are skipped
    assert rows.claim(second.pk) is not None
    assert list(claims) == []
    # and the row in hand is the claim: its outcome is recorded
    assert rows.finish(got, status=outbox.done)
    assert state(first)[:2] == (outbox.done, 1)


def test_back_off_follows_the_setting_at_call_time(outbox, settings):
    rows = outbox.rows
    assert [rows.retry_delay(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    settings.__setattr__(rows.retry_setting, 30)
    assert [rows.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_due_ids_leave_out_rows_due_for_less_than_the_grace(outbox):
    rows = outbox.rows
    grace = timedelta(seconds=90)
    start = clock.now()
    with clock.frozen_at(start):
        row = outbox.new()
        assert row.pk in rows.due_ids()
        assert row.pk not in rows.due_ids(grace=grace)  # its own nudge is still on its way
    with clock.frozen_at(start + grace - timedelta(seconds=1)):
        assert row.pk not in rows.due_ids(grace=grace)
    with clock.frozen_at(start + grace):
        assert row.pk in rows.due_ids(grace=grace)


def test_a_row_whose_lease_expired_is_due_at_once_whatever_the_grace(outbox):
    rows = outbox.rows
    grace = timedelta(hours=1)
    start = clock.now()
    with clock.frozen_at(start):
        row = outbox.new()
        rows.claim(row.pk)  # a worker took it and died
    with clock.frozen_at(start + timedelta(seconds=LEASE - 1)):
        assert row.pk not in rows.due_ids()
    with clock.frozen_at(start + timedelta(seconds=LEASE)):
        assert row.pk in rows.due_ids(grace=grace)


def test_due_ids_come_oldest_first_up_to_the_limit(outbox):
    rows = outbox.rows
    start = clock.now()
    with clock.frozen_at(start - timedelta(minutes=2)):
        older = outbox.new()
    with clock.frozen_at(start - timedelta(minutes=1)):
        newer = outbox.new()
    with clock.frozen_at(start):
        assert rows.due_ids(limit=1) == [older.pk]
        assert rows.due_ids()[:2] == [older.pk, newer.pk]


def test_retry_failed_only_acts_on_failed_rows(outbox):
    rows = outbox.rows
    start = clock.now()
    with clock.frozen_at(start):
        pending, sending, sent, failed = (outbox.new() for _ in range(4))
        claimed = [rows.claim(row.pk) for row in (sending, sent, failed)]
        rows.finish(claimed[1], status=outbox.done)
        rows.finish(claimed[2], status="failed", next_attempt_at=None)
    before = [state(row) for row in (pending, sending, sent)]

    later = start + timedelta(days=1)
    with clock.frozen_at(later):
        assert [rows.retry_failed(row) for row in (pending, sending, sent)] == [False] * 3
        assert rows.retry_failed(failed) is True
        assert rows.retry_failed(failed) is False  # pending again: nothing more to do

    assert [state(row) for row in (pending, sending, sent)] == before
    assert state(failed)[:3] == ("pending", 0, later)
    with clock.frozen_at(later):
        assert failed.pk in rows.due_ids()


def test_deliver_sends_a_due_row_once(outbox):
    rows = outbox.rows
    row = outbox.new()
    sent = []

    def send(claimed) -> bool:
        sent.append(claimed.pk)
        return rows.finish(claimed, status=outbox.done)

    assert rows.deliver(row.pk, send) is True
    assert rows.deliver(row.pk, send) is False  # a second nudge sends nothing
    assert sent == [row.pk] and state(row)[:2] == (outbox.done, 1)
