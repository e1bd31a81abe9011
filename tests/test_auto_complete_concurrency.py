"""The auto-complete sweep on two workers at once (PostgreSQL): two `manage.py run_sweep --at`
processes sweeping the same moment tell each customer once, then complete each order once, with
one reward and one set of notifications each. The database is transactional: every row commits
for real, so the processes see them and meet on the same orders."""

import sys
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders.models import Event, Order
from atelier.rewards.models import LedgerEntry
from tests.processes import Processes, child_env

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 30
PATIENCE = 120  # seconds; only a hung sweep waits this long


def test_two_workers_sweeping_at_once_notice_then_complete_each_order_once(world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL (SQLite has one writer); CI runs it")
    # Given orders delivered ten days ago that nobody answered
    now = clock.now()
    with clock.frozen_at(now - timedelta(days=10)):
        orders = [world.delivered() for _ in range(ORDERS)]
    procs = Processes(tmp_path)

    def sweep_together(at) -> None:
        args = [sys.executable, "manage.py", "run_sweep", "--at", at.isoformat()]
        sweeps = [procs.start(args, "sweep", child_env()) for _ in range(2)]
        try:
            for sweep in sweeps:
                assert sweep.wait(timeout=PATIENCE) == 0, procs.tail()
        finally:
            procs.kill_all()

    # When two workers sweep the same moment: each customer is told once, a day ahead
    sweep_together(now)
    notices = Notification.objects.filter(event=Notification.Event.AUTO_COMPLETE_NOTICE)
    assert sorted(notices.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    assert not Order.objects.filter(status=Order.Status.COMPLETED).exists()

    # and when both sweep again after that day: each order completes once
    sweep_together(now + timedelta(hours=24, minutes=1))
    completed = Event.objects.filter(verb="order.completed")
    assert Counter(completed.values_list("order_id", flat=True)) == {o.pk: 1 for o in orders}
    assert all(e.details["automatically"] for e in completed)
    rewards = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REWARD)
    assert sorted(rewards.values_list("order_id", flat=True)) == sorted(o.pk for o in orders)
    told = Notification.objects.filter(event=Notification.Event.COMPLETED)
    assert Counter(told.values_list("recipient_id", flat=True)) == {
        world.customer.pk: ORDERS,
        world.expert.pk: ORDERS,
    }
    assert notices.count() == ORDERS  # the second sweep told nobody again
