"""Releasing what is due (DESIGN rule 11): set-based, in batches, each entry once."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from atelier.notifications.models import Notification
from atelier.rewards.models import LedgerEntry
from atelier.rewards.services import _release_batch, balances, earn_reward, release_due

Kind = LedgerEntry.Kind
NOW = datetime.fromisoformat("2026-06-01T12:00:00+00:00")


def pending(expert, order, n: int, *, release_at: datetime = NOW, kind=Kind.FEE) -> list[int]:
    """`n` pending entries of one expert, due at `release_at` (fees: an order may have many)."""
    start = LedgerEntry.objects.count()
    entries = LedgerEntry.objects.bulk_create(
        LedgerEntry(
            key=f"{kind}:test-{start + i}",
            expert=expert,
            order=order,
            kind=kind,
            amount=Decimal("10.00") + i,
            currency="EUR",
            release_at=release_at,
            created_at=release_at - timedelta(days=30),
            memo=f"Fee {start + i}",
        )
        for i in range(n)
    )
    return [entry.pk for entry in entries]


def released_ids() -> list[int]:
    return sorted(LedgerEntry.objects.filter(kind=Kind.RELEASE).values_list("releases", flat=True))


def test_a_release_moves_the_entry_to_available_and_tells_the_expert(world):
    # given a reward earned thirty days ago
    order = world.delivered(reward_amount=Decimal("50.00"))
    reward = earn_reward(order, at=NOW - timedelta(days=30))

    # when the sweep releases what is due
    assert release_due(now=reward.release_at) == 1

    # then one release entry mirrors the reward, and the expert is told about it
    [release] = LedgerEntry.objects.filter(kind=Kind.RELEASE)
    assert (release.releases_id, release.key) == (reward.pk, f"release:{reward.pk}")
    assert (release.expert_id, release.order_id) == (world.expert.pk, order.pk)
    assert (release.amount, release.currency) == (Decimal("50.00"), reward.currency)
    assert release.memo == f"Released: {reward.memo}"
    assert release.created_at == reward.release_at
    assert release.release_at is None
    [balance] = balances(world.expert)
    assert (balance.pending, balance.available) == (Decimal("0.00"), Decimal("50.00"))
    [note] = Notification.objects.filter(event="reward_released")
    assert (note.recipient_id, note.order_id) == (world.expert.pk, order.pk)
    assert (note.status, note.attempts, note.subject, note.read_at) == ("pending", 0, "", None)
    assert note.next_attempt_at == note.created_at
    assert note.context == {
        "amount": "50.00",
        "currency": reward.currency,
        "memo": reward.memo,
    }


def test_only_what_is_due_is_released(world):
    order = world.order()
    due = pending(world.expert, order, 2, release_at=NOW)
    pending(world.expert, order, 1, release_at=NOW + timedelta(seconds=1))
    LedgerEntry.objects.create(
        key="credit:x", expert=world.expert, kind=Kind.CREDIT, amount=5, currency="EUR"
    )
    assert release_due(now=NOW) == 2
    assert released_ids() == due


def test_more_entries_than_a_batch_are_all_released_once(world, settings):
    # given seven due entries of two experts and a batch size of three
    settings.ATELIER_RELEASE_BATCH_SIZE = 3
    order = world.order()
    ids = pending(world.expert, order, 4) + pending(world.expert2, order, 3)

    # when the sweep runs, and runs again
    assert release_due(now=NOW) == 7
    assert release_due(now=NOW + timedelta(days=1)) == 0

    # then every entry was released once, across the batches, and each expert told per entry
    assert released_ids() == sorted(ids)
    notes = Notification.objects.filter(event="reward_released")
    assert sorted(notes.values_list("context__memo", flat=True)) == sorted(
        f"Fee {n}" for n in range(len(ids))
    )
    assert sorted(notes.values_list("recipient_id", flat=True)) == sorted(
        [world.expert.pk] * 4 + [world.expert2.pk] * 3
    )


def test_a_batch_skips_an_entry_another_sweeper_released_after_it_was_chosen(world):
    # given a batch chosen while all three were due, one released since by another sweeper
    order = world.order()
    ids = pending(world.expert, order, 3)
    assert _release_batch([ids[1]], now=NOW) == 1
    Notification.objects.all().delete()

    # when this sweeper releases its batch
    assert _release_batch(ids, now=NOW) == 2

    # then the other two are released and told, and the third is neither released nor told twice
    assert released_ids() == ids
    assert LedgerEntry.objects.filter(kind=Kind.RELEASE).count() == 3
    notes = Notification.objects.filter(event="reward_released")
    assert sorted(notes.values_list("context__memo", flat=True)) == ["Fee 0", "Fee 2"]


def _queries_to_release(world, n: int, now: datetime) -> int:
    pending(world.expert, world.order(), n, release_at=now)
    with CaptureQueriesContext(connection) as queries:
        assert release_due(now=now) == n
    return len(queries)


def test_releasing_takes_the_same_queries_for_one_entry_as_for_fifty(
    world, django_assert_max_num_queries
):
    one = _queries_to_release(world, 1, NOW)
    fifty = _queries_to_release(world, 50, NOW + timedelta(days=1))
    assert fifty == one
    pending(world.expert, world.order(), 200, release_at=NOW + timedelta(days=2))
    with django_assert_max_num_queries(one):
        assert release_due(now=NOW + timedelta(days=2)) == 200
