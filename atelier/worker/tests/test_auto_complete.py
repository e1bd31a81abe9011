"""The customer's response clock: a day's notice, then the order completes by itself; never while
something is open, never for expert-hub orders, never twice (docs/design.md, "Clocks")."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from atelier.catalog.services import change_policy
from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Flag, Order
from atelier.rewards.models import LedgerEntry
from atelier.worker.sweep import sweep

S = Order.Status
NOTICE = timedelta(hours=24)


def at(moment):
    return clock.frozen_at(moment)


def reloaded(order: Order) -> Order:
    order.refresh_from_db()
    return order


def test_a_silent_customer_is_told_a_day_ahead_then_the_order_completes_once(world):
    order = world.delivered()
    delivered_at = order.submissions.get().delivered_at
    assert order.auto_complete_at == delivered_at + timedelta(days=3)  # UTC: no DST here

    with at(order.auto_complete_at - NOTICE - timedelta(minutes=1)):
        assert sweep()["auto_complete_warned"] == 0
    with at(order.auto_complete_at - NOTICE):  # a sweep on time: completion stays as scheduled
        assert sweep()["auto_complete_warned"] == 1
        assert sweep()["auto_complete_warned"] == 0
    [notice] = Notification.objects.filter(event="auto_complete_notice", recipient=world.customer)
    told = datetime.fromisoformat(notice.context["auto_complete_at"])  # JSON keeps milliseconds
    assert abs(told - order.auto_complete_at) < timedelta(milliseconds=1)

    with at(order.auto_complete_at - timedelta(minutes=1)):
        assert sweep()["auto_completed"] == 0
    with at(order.auto_complete_at + timedelta(minutes=1)):
        assert sweep()["auto_completed"] == 1
        assert sweep()["auto_completed"] == 0
    order = reloaded(order)
    assert order.status == S.COMPLETED
    event = order.events.get(verb="order.completed")
    assert event.actor is None and event.details["automatically"] is True
    assert event.details["why"].startswith("no answer within 3 days of the delivery of ")
    assert LedgerEntry.objects.filter(order=order, kind="reward").count() == 1
    completed = Notification.objects.get(event="completed", recipient=world.customer)
    assert completed.context["automatically"] is True


def test_never_without_the_notice_and_a_paused_clock_gives_a_whole_day_when_it_resumes(world):
    order = world.delivered()
    flag = actions.raise_flag(order, actor=world.customer, kind=Flag.Kind.CONCERN, note="Hm.")
    late = order.auto_complete_at + timedelta(days=2)
    with at(late):  # paused: neither the notice nor the completion
        assert sweep()["auto_complete_warned"] == 0 and sweep()["auto_completed"] == 0
        actions.resolve_flag(flag, actor=world.agent, resolution="Talked it through.")
        done = sweep()
    assert (done["auto_complete_warned"], done["auto_completed"]) == (1, 0)
    assert reloaded(order).auto_complete_at == late + timedelta(hours=24)
    with at(late + timedelta(hours=23)):
        assert sweep()["auto_completed"] == 0
    with at(late + timedelta(hours=24, minutes=1)):
        assert sweep()["auto_completed"] == 1
    assert reloaded(order).status == S.COMPLETED


@pytest.mark.parametrize("blocker", ["revision_request", "fee"])
def test_never_while_the_customer_asked_for_something(world, blocker):
    order = world.delivered()
    moment = order.auto_complete_at + timedelta(days=30)
    if blocker == "revision_request":
        world.revise(order)
    else:
        world.revise(order)
        actions.request_fee(order, actor=world.expert, amount="20.00", reason="Two more pages.")
    with at(moment):
        done = sweep()
    assert (done["auto_complete_warned"], done["auto_completed"]) == (0, 0)
    assert reloaded(order).status != S.COMPLETED


def test_never_for_expert_hub_orders_nor_when_the_policy_says_never(world):
    hub = world.delivered(Order.Flow.EXPERT_HUB)
    assert hub.auto_complete_at is None
    change_policy(world.service, actor=world.agent, auto_complete_days=0)
    never = world.delivered()
    assert never.auto_complete_at is None
    with at(clock.now() + timedelta(days=60)):
        assert sweep()["auto_completed"] == 0
    assert {reloaded(hub).status, reloaded(never).status} == {S.DELIVERED}


def test_a_new_delivery_restarts_the_clock_and_the_notice(world):
    order = world.delivered()
    with at(order.auto_complete_at - timedelta(hours=1)):
        sweep()
        world.revise(order)
        world.submit(order, 2)
    order = reloaded(order)
    assert order.auto_complete_warned_at is None
    assert order.auto_complete_at > clock.now() + timedelta(days=2)


def test_changing_the_policy_moves_no_existing_order(world):
    before = world.delivered()
    change_policy(world.service, actor=world.agent, auto_complete_days=10, turnaround_days=9)
    after = world.delivered()
    assert before.policy.auto_complete_days == 3 and after.policy.auto_complete_days == 10
    with at(before.auto_complete_at - NOTICE):
        sweep()
    with at(before.auto_complete_at):
        sweep()
    assert (reloaded(before).status, reloaded(after).status) == (S.COMPLETED, S.DELIVERED)


def test_run_sweep_at_a_moment_replays_once(world):
    order = world.delivered()
    notice = (order.auto_complete_at - NOTICE).isoformat()
    out = StringIO()
    call_command("run_sweep", "--at", notice, stdout=out)
    assert "auto_complete_warned 1" in out.getvalue()
    again = StringIO()
    call_command("run_sweep", "--at", notice, stdout=again)
    assert "auto_complete_warned" not in again.getvalue()
    call_command("run_sweep", "--at", (order.auto_complete_at + timedelta(hours=1)).isoformat())
    assert reloaded(order).status == S.COMPLETED
    with pytest.raises(CommandError, match="time zone"):
        call_command("run_sweep", "--at", "2026-03-14T10:30:00")
