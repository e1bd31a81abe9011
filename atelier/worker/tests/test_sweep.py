"""The periodic sweep: each timer acts once, however often (or on however many workers) it runs."""

from datetime import timedelta
from decimal import Decimal

from atelier.core import clock
from atelier.notifications.models import Notification
from atelier.orders import actions
from atelier.orders.models import Flag, Order
from atelier.rewards.models import LedgerEntry
from atelier.worker.sweep import sweep


def test_sweep_tells_the_expert_once_when_the_order_becomes_closable(world):
    order = world.assigned(Order.Flow.EXPERT_HUB)
    world.deliver(order)
    order.refresh_from_db()
    with clock.frozen_at(order.closable_at - timedelta(minutes=1)):
        assert sweep()["closable"] == 0
    with clock.frozen_at(order.closable_at + timedelta(minutes=1)):
        assert sweep()["closable"] == 1
        assert sweep()["closable"] == 0
    [note] = Notification.objects.filter(event="closable", recipient=world.expert)
    assert "Closable from" in note.context["reason"]


def test_sweep_reminds_a_customer_of_an_unopened_delivery_after_three_days(world, settings):
    order = world.delivered()
    later = clock.now() + timedelta(days=3, minutes=1)
    with clock.frozen_at(clock.now() + timedelta(days=2)):
        assert sweep()["reminded"] == 0
    with clock.frozen_at(later):
        assert sweep()["reminded"] == 1
        assert sweep()["reminded"] == 0
    assert Notification.objects.filter(event="delivery_reminder", order=order).count() == 1


def test_one_reminder_per_delivery_and_only_about_the_latest(world, settings):
    # given a customer who asked for a revision without opening the draft, and has not opened
    # the revision either
    order = world.delivered()
    world.revise(order)
    world.submit(order, 2)

    # when the sweep runs, again and again, once both are old enough to remind of
    with clock.frozen_at(clock.now() + timedelta(days=3, minutes=1)):
        assert sweep()["reminded"] == 1
        assert sweep()["reminded"] == 0
    with clock.frozen_at(clock.now() + timedelta(days=10)):
        assert sweep()["reminded"] == 0

    # then one reminder went out, about the revision the customer has in hand
    [reminder] = Notification.objects.filter(event="delivery_reminder", order=order)
    assert reminder.context["submission"] == 2
    # and the replaced draft is never reminded of, even if asked directly
    draft = order.submissions.get(number=1)
    assert actions.remind_customer(draft) is False


def test_a_new_delivery_after_a_reminder_gets_its_own_reminder(world, settings):
    order = world.delivered()
    with clock.frozen_at(clock.now() + timedelta(days=4)):
        assert sweep()["reminded"] == 1
        world.revise(order)
        world.submit(order, 2)
    with clock.frozen_at(clock.now() + timedelta(days=8)):
        assert sweep()["reminded"] == 1
        assert sweep()["reminded"] == 0
    reminders = Notification.objects.filter(event="delivery_reminder", order=order)
    assert sorted(n.context["submission"] for n in reminders) == [1, 2]


def test_sweep_announces_a_closable_order_the_expert_may_not_close_alone_as_agents_work(world):
    # given an expert-hub order past its closing date, its delivery never opened
    order = world.assigned(Order.Flow.EXPERT_HUB)
    world.deliver(order)
    order.refresh_from_db()

    with clock.frozen_at(order.closable_at + timedelta(minutes=1)):
        assert sweep()["closable"] == 1

    # then the expert hears that an agent must close it, not that they can
    [note] = Notification.objects.filter(event="closable", recipient=world.expert)
    assert note.context["needs_agent"] is True
    assert note.context["blockers"] == ["The customer has not opened the latest delivery yet."]


def test_opened_deliveries_get_no_reminder(world):
    order = world.delivered()
    world.open_latest(order)
    with clock.frozen_at(clock.now() + timedelta(days=10)):
        assert sweep()["reminded"] == 0


def test_sweep_flags_overdue_orders_once_even_after_an_agent_resolves_it(world):
    order = world.assigned(due_at=clock.now() + timedelta(days=1))
    with clock.frozen_at(clock.now() + timedelta(days=2)):
        assert sweep()["overdue"] == 1
        flag = order.flags.get(kind=Flag.Kind.OVERDUE)
        Flag.objects.filter(pk=flag.pk).update(resolved_at=clock.now())
        assert sweep()["overdue"] == 0
    assert order.flags.filter(kind=Flag.Kind.OVERDUE).count() == 1


def test_sweep_releases_rewards_exactly_once(world):
    order = world.delivered(reward_amount=Decimal("50.00"))
    actions.complete_order(order, actor=world.customer)
    with clock.frozen_at(clock.now() + timedelta(days=31)):
        assert sweep()["released"] == 1
        assert sweep()["released"] == 0
    assert LedgerEntry.objects.filter(kind="release").count() == 1


def test_sweep_numbers_the_event_log_once(world):
    from atelier.orders.models import Event

    world.order()
    waiting = Event.objects.filter(seq=None).count()
    assert waiting > 0
    assert sweep()["sequenced"] == waiting
    assert sweep()["sequenced"] == 0
    assert not Event.objects.filter(seq=None).exists()
