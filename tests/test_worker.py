"""Notification delivery against real processes: an SMTP server (tests/smtp_sink.py, aiosmtpd)
and `manage.py run_worker` subprocesses on this test's database, with short timings by env.

Killing a worker with SIGKILL loses nothing and resends at most one message per kill; an SMTP
outage ends in delivery after a retry; two workers never send one notification twice; two
sweeps at once release a reward once. The database is transactional (rows commit for real, so
the workers see them); every process is killed before pytest-django flushes it.
"""

import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.notifications.outbox import notify
from atelier.notifications.tasks import deliver_notification
from atelier.orders import actions
from atelier.orders.tests.factories import UserFactory
from atelier.rewards.models import LedgerEntry
from tests.processes import Processes, free_port, wait_listening, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

Status = Notification.Status
# Short timings for the workers: sweep every second, take over a dead worker's row after 2 s.
FAST = {"ATELIER_SWEEP_SECONDS": "1", "ATELIER_EMAIL_LEASE_SECONDS": "2"}
REWARDS = 40
BATCH_TASK = "atelier.notifications.tasks.deliver_notifications"


def message_id(pk: int) -> str:
    return f"<notification-{pk}@testserver>"


class Sink:
    """tests/smtp_sink.py in a subprocess, and the messages it stored."""

    def __init__(self, port: int, out: Path):
        self.port, self.out = port, out
        self.process: subprocess.Popen | None = None

    def message_ids(self) -> list[str]:
        parser = BytesParser(policy=default_policy)
        ids = []
        for path in self.out.glob("*.eml"):
            with path.open("rb") as f:
                ids.append(str(parser.parse(f, headersonly=True)["Message-ID"]).strip())
        return ids

    def count(self) -> int:
        return sum(1 for _ in self.out.glob("*.eml"))

    def connections(self) -> int:
        """How many connections clients sent mail over (smtp_sink.py logs each)."""
        log = self.out / "connections.log"
        return len(log.read_text().split()) if log.exists() else 0

    def connections_used(self) -> set[str]:
        """The connections that brought messages (each file is named <connection>-<random>)."""
        return {path.name.split("-")[0] for path in self.out.glob("*.eml")}


class MailProcesses(Processes):
    """The SMTP sink and the workers sending to it."""

    def sink(self, port: int | None = None, *, refuse: tuple[str, ...] = ()) -> Sink:
        sink = Sink(port or free_port(), self.tmp_path / "mail")
        args = [sys.executable, "tests/smtp_sink.py", "--port", str(sink.port), "--out", sink.out]
        for address in refuse:
            args += ["--refuse", address]
        sink.process = self.start(args, "sink")
        wait_listening(sink.process, sink.port, what="the SMTP sink", logs=self.tail)
        return sink

    def worker(self, smtp_port: int, **env: str) -> subprocess.Popen:
        return super().worker(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}?timeout=10",
            ATELIER_BASE_URL="http://testserver",  # as the test process: same Message-IDs
            **{**FAST, **env},
        )

    def assert_alive(self, *workers: subprocess.Popen) -> None:
        for process in workers:
            assert process.poll() is None, f"a worker exited ({process.returncode})\n{self.tail()}"

    def state(self) -> str:
        return f"notifications by status: {dict(statuses())}"


@pytest.fixture
def procs(transactional_db, tmp_path) -> Iterator[MailProcesses]:
    # Needs the database fixture, so this teardown (the kills) runs before the flush.
    processes = MailProcesses(tmp_path)
    try:
        yield processes
    finally:
        processes.kill_all()


def queue(count: int, recipients, *, extra_nudges: int = 0) -> list[int]:
    """`count` notifications, committed together, each nudging the worker on commit. With
    `extra_nudges`, each row first gets that many more nudges queued side by side (as when the
    sweep re-queues a row whose nudge is still waiting), so workers take it at the same moment."""
    ids = []
    with transaction.atomic():
        for i in range(count):
            [row] = notify("comment_posted", [recipients[i % len(recipients)]], body=f"#{i}")
            for _ in range(extra_nudges):
                deliver_notification.enqueue(row.pk)
            ids.append(row.pk)
    return ids


def statuses() -> Counter:
    return Counter(Notification.objects.values_list("status", flat=True))


def all_sent() -> bool:
    return set(statuses()) == {Status.SENT}


def test_worker_kills_lose_nothing_and_duplicates_are_bounded(world, procs):
    # Given a few hundred notifications queued and one worker sending them
    sink = procs.sink()
    ids = queue(300, [world.customer, world.expert, world.reviewer])
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    worker = procs.worker(sink.port)

    # When the worker is killed with SIGKILL at random moments while it sends, and restarted
    kills = 0
    for _ in range(5):
        goal = sink.count() + rng.randint(5, 40)
        wait_until(
            lambda goal=goal: sink.count() >= goal or all_sent(),
            timeout=30,
            what=f"{goal} messages at the sink (seed {seed})",
            logs=procs.tail,
        )
        if all_sent():
            break
        time.sleep(rng.uniform(0, 0.05))
        procs.assert_alive(worker)
        procs.kill(worker)
        kills += 1
        worker = procs.worker(sink.port)
    wait_until(all_sent, timeout=60, what=f"every row SENT (seed {seed})", logs=procs.tail)
    procs.kill_all()

    # Then every notification reached the SMTP server, and each kill resent at most one
    received = sink.message_ids()
    distinct = set(received)
    duplicates = len(received) - len(distinct)
    retried = Notification.objects.filter(attempts__gt=1).count()
    figures = (
        f"{len(ids)} notifications, {kills} kills, {len(received)} received, "
        f"{len(distinct)} distinct, {duplicates} duplicates, {retried} taken over "
        f"after a kill, {DBTaskResult.objects.count()} tasks run or queued (seed {seed})"
    )
    print(figures)
    assert kills >= 4, figures
    assert distinct == {message_id(pk) for pk in ids}, figures
    assert duplicates <= kills, figures
    assert retried <= kills, figures  # a worker holds one row at a time


def test_smtp_outage_then_delivery_after_retry(world, procs):
    # Given no SMTP server on the worker's port
    port = free_port()
    ids = queue(5, [world.customer, world.expert])
    procs.worker(port, ATELIER_EMAIL_RETRY_SECONDS="1", ATELIER_EMAIL_MAX_ATTEMPTS="10")

    # When the worker tries: each notification waits for a retry, with the error kept
    def all_waiting_for_a_retry() -> bool:
        rows = Notification.objects.filter(pk__in=ids)
        return all(
            n.status == Status.PENDING and n.attempts >= 1 and "refused" in n.last_error.lower()
            for n in rows
        )

    wait_until(
        all_waiting_for_a_retry, timeout=20, what="failed attempts recorded", logs=procs.tail
    )

    # Then, once the server is up, the retries deliver each one exactly once
    sink = procs.sink(port)
    wait_until(all_sent, timeout=30, what="delivery after the outage", logs=procs.tail)
    procs.kill_all()
    assert sorted(sink.message_ids()) == sorted(message_id(pk) for pk in ids)
    assert not Notification.objects.exclude(last_error="").exists()


def test_one_transactions_notifications_go_over_one_smtp_connection_once_each(world, procs):
    # Given 60 notifications to 60 people written by one transaction: one task for them all
    people = UserFactory.create_batch(60)
    sink = procs.sink()
    with transaction.atomic():
        rows = notify("comment_posted", people, body="To everyone")
    assert DBTaskResult.objects.filter(task_path=BATCH_TASK).count() == 1

    # When one worker delivers them (its sweep far off: only the task sends)
    worker = procs.worker(sink.port, ATELIER_SWEEP_SECONDS="600")
    wait_until(all_sent, timeout=30, what="every row SENT", logs=procs.tail)
    procs.assert_alive(worker)
    procs.kill_all()

    # Then each message reached the server once, all over one connection
    received = Counter(sink.message_ids())
    assert received == Counter(message_id(row.pk) for row in rows)
    assert sink.connections() == 1
    assert len(sink.connections_used()) == 1


def test_a_refused_recipient_retries_its_own_row_only_and_the_batch_goes_on(world, procs):
    # Given a batch of notifications where the server refuses one recipient
    sink = procs.sink(refuse=(world.expert.email,))
    with transaction.atomic():
        rows = notify("comment_posted", [world.customer, world.expert, world.reviewer], body="Hi")
    refused = next(row for row in rows if row.recipient_id == world.expert.pk)
    others = [row for row in rows if row is not refused]

    # When one worker delivers the batch (the retry's back-off longer than the test)
    procs.worker(sink.port, ATELIER_SWEEP_SECONDS="600", ATELIER_EMAIL_RETRY_SECONDS="600")

    def outcome() -> bool:
        refused.refresh_from_db()
        sent = Notification.objects.filter(pk__in=[r.pk for r in others], status=Status.SENT)
        return refused.attempts == 1 and refused.status == Status.PENDING and sent.count() == 2

    wait_until(outcome, timeout=30, what="two sent, one waiting for a retry", logs=procs.tail)
    procs.kill_all()

    # Then the others arrived once each over the same one connection, and only the refused row
    # waits for its retry, saying why
    assert sorted(sink.message_ids()) == sorted(message_id(row.pk) for row in others)
    assert sink.connections() == 1
    assert "550" in refused.last_error
    assert set(Notification.objects.exclude(pk=refused.pk).values_list("attempts", flat=True)) == {
        1
    }


def test_two_workers_never_send_the_same_notification_twice(world, procs):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent workers are specified on PostgreSQL (SKIP LOCKED); CI runs it")
    # Given two workers started together, and notifications each nudged side by side
    sink = procs.sink()
    ids = queue(200, [world.customer, world.expert, world.reviewer], extra_nudges=2)
    env = {"ATELIER_EMAIL_LEASE_SECONDS": "60"}  # longer than any send: no lawful takeover
    workers = [procs.worker(sink.port, **env), procs.worker(sink.port, **env)]

    # When they have sent everything
    wait_until(all_sent, timeout=60, what="every row SENT", logs=procs.tail)
    procs.assert_alive(*workers)
    procs.kill_all()

    # Then each notification was sent exactly once, by one claim
    received = Counter(sink.message_ids())
    assert set(received) == {message_id(pk) for pk in ids}
    assert [mid for mid, n in received.items() if n > 1] == []
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_sweep_on_two_workers_releases_rewards_exactly_once(world, procs):
    # Given rewards earned 40 days ago, so their release (30 days after) is due; several, so
    # that the two workers' first sweeps overlap on some of them
    started = time.monotonic()
    with clock.frozen_at(clock.now() - timedelta(days=40)):
        orders = [world.delivered(reward_amount=Decimal("50.00")) for _ in range(REWARDS)]
        for order in orders:
            actions.complete_order(order, actor=world.customer)
    print(f"{REWARDS} rewards in {time.monotonic() - started:.1f}s")
    rewards = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REWARD)
    assert rewards.count() == REWARDS
    assert all(reward.release_at < clock.now() for reward in rewards)
    releases = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE)
    assert not releases.exists()

    # When two workers start together and sweep every second for a few seconds
    sink = procs.sink()
    workers = [procs.worker(sink.port), procs.worker(sink.port)]
    wait_until(
        lambda: releases.count() >= REWARDS, timeout=30, what="the releases", logs=procs.tail
    )
    time.sleep(3)  # each worker sweeps again, several times
    wait_until(all_sent, timeout=30, what="every row SENT", logs=procs.tail)
    procs.assert_alive(*workers)
    procs.kill_all()

    # Then each reward was released once, and its expert told once per reward
    assert sorted(releases.values_list("releases_id", flat=True)) == sorted(
        rewards.values_list("pk", flat=True)
    )
    notes = Notification.objects.filter(event=Notification.Event.REWARD_RELEASED)
    assert sorted(notes.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    assert {note.recipient_id for note in notes} == {world.expert.pk}
    received = Counter(sink.message_ids())
    assert [received[message_id(note.pk)] for note in notes] == [1] * REWARDS
