"""Tips (docs/design.md, "Ratings and tips"): a customer's tip is pending like a reward, released
by the same sweep after the order's hold, counted in the balances, and written once per order."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from atelier.core.time import platform_tz
from atelier.notifications.models import Notification
from atelier.orders.tests.factories import ServiceFactory
from atelier.rewards.models import LedgerEntry
from atelier.rewards.rules import reward_release_at
from atelier.rewards.services import balances, earn_tip, release_due

Kind = LedgerEntry.Kind
NOW = datetime.fromisoformat("2026-06-01T12:00:00+00:00")


def test_a_tip_is_pending_until_the_hold_of_the_orders_policy(world):
    # given an order whose policy holds rewards for ten days
    service = ServiceFactory(slug="proofreading", policy__reward_hold_days=10)
    order = world.delivered(service=service)

    # when the customer tips the expert
    tip = earn_tip(order, amount=Decimal("12.50"), currency="EUR", at=NOW)

    # then it is the expert's, pending until the hold is over, once per order
    assert (tip.kind, tip.key, tip.expert, tip.order) == (
        Kind.TIP,
        f"tip:{order.pk}",
        world.expert,
        order,
    )
    assert tip.release_at == reward_release_at(NOW, hold_days=10, tz=platform_tz())
    assert earn_tip(order, amount=Decimal("99.00"), currency="EUR", at=NOW) is None
    [eur] = balances(world.expert)
    assert (eur.currency, eur.pending, eur.available) == ("EUR", Decimal("12.50"), Decimal("0.00"))


def test_the_sweep_releases_a_tip_and_tells_the_expert(world):
    # given a tip whose hold has passed
    order = world.delivered()
    tip = earn_tip(order, amount=Decimal("7.00"), currency="EUR", at=NOW - timedelta(days=31))

    # when the sweep runs before the release moment, then nothing moves
    assert release_due(now=tip.release_at - timedelta(seconds=1)) == 0

    # when it runs at the release moment (and again)
    assert release_due(now=tip.release_at) == 1
    assert release_due(now=tip.release_at) == 0

    # then the tip is available, its release mirrors it, and the expert is told once
    release = LedgerEntry.objects.get(kind=Kind.RELEASE)
    assert (release.releases, release.amount, release.memo) == (
        tip,
        Decimal("7.00"),
        f"Released: Tip for order #{order.pk}",
    )
    [eur] = balances(world.expert)
    assert (eur.pending, eur.available) == (Decimal("0.00"), Decimal("7.00"))
    assert Notification.objects.filter(event="reward_released", recipient=world.expert).count() == 1


def test_a_tip_without_a_release_date_is_refused_by_the_database(world):
    order = world.delivered()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            key="tip:x", expert=world.expert, order=order, kind=Kind.TIP, amount=1, currency="USD"
        )
