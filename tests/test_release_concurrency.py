"""DESIGN rule 11 under real concurrency (PostgreSQL): sweepers releasing the same due entries at
the same moment release each once and tell its expert once. The database is transactional (no
wrapping TestCase transaction): each batch commits for real, so overlapping batches meet on the
ledger's unique keys as two workers' sweeps would."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders.tests.factories import World
from atelier.rewards.models import LedgerEntry
from atelier.rewards.services import release_due

pytestmark = pytest.mark.django_db(transaction=True)

ENTRIES = 600
SWEEPERS = 4
ROUNDS = 3
PATIENCE = 60  # seconds; only a hung test waits this long


def _due_entries(world: World, n: int, *, offset: int) -> list[int]:
    now = clock.now()
    order = world.order()
    entries = LedgerEntry.objects.bulk_create(
        LedgerEntry(
            key=f"fee:race-{offset + i}",
            expert=world.expert if i % 2 else world.expert2,
            order=order,
            kind=LedgerEntry.Kind.FEE,
            amount=Decimal("10.00"),
            currency="EUR",
            release_at=now - timedelta(minutes=1),
            created_at=now - timedelta(days=30),
            memo=f"Fee {offset + i}",
        )
        for i in range(n)
    )
    return [entry.pk for entry in entries]


def _sweep_together(n: int) -> list:
    """`n` sweepers release what is due at once, each on its own connection; what each
    returned (the number it released, or the exception it raised)."""
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def sweep(i: int) -> None:
        try:
            connection.ensure_connection()  # connect before the barrier: the sweeps collide
            barrier.wait(timeout=PATIENCE)
            outcomes[i] = release_due()
        except BaseException as exc:
            outcomes[i] = exc
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PATIENCE)
    return outcomes


def test_concurrent_sweeps_release_each_entry_exactly_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL (SQLite has one writer); CI runs it")
    # small batches, so that the sweepers' batches overlap and interleave
    settings.ATELIER_RELEASE_BATCH_SIZE = 50
    world = World.build()
    ids: list[int] = []
    for round_ in range(ROUNDS):
        # given entries due, none released yet
        batch = _due_entries(world, ENTRIES, offset=round_ * ENTRIES)
        ids += batch

        # when several sweepers release them at the same moment
        outcomes = _sweep_together(SWEEPERS)

        # then nobody failed, together they released each entry once, and told its expert once
        assert all(isinstance(n, int) for n in outcomes), outcomes
        assert sum(outcomes) == ENTRIES, outcomes
        releases = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE)
        assert sorted(releases.values_list("releases_id", flat=True)) == sorted(ids)
        notes = Notification.objects.filter(event=Notification.Event.REWARD_RELEASED)
        assert sorted(notes.values_list("context__memo", flat=True)) == sorted(
            f"Fee {n}" for n in range(len(ids))
        )
