"""What the system's clock does to orders, each once; orders/timers.py finds the orders and
calls these from the sweep.

Agents hear of an overdue order, the expert hears their order has become closable (DESIGN rule 7),
the customer is reminded of a delivery they have not opened (rule 14), told a day before an
unanswered delivery completes the order, and then it completes by itself.
"""

from django.db import transaction

from atelier.core import clock
from atelier.core.time import describe, platform_tz
from atelier.notifications.outbox import notify

from .. import queries, rules
from ..models import Flag, Order, Submission
from ..workflow import CLOSED_STATUSES, DELIVERED_STATUSES, lock_order
from .closing import close_info, finish_order
from .common import open_flag, order_link


@transaction.atomic
def flag_overdue(order: Order) -> Flag | None:
    """Tell agents an order is past its due date; once while the flag is open."""
    order = lock_order(order)
    if order.due_at is None or order.due_at > clock.now() or order.status in CLOSED_STATUSES:
        return None
    if order.first_delivered_at is not None:
        return None  # delivered: the due date was the delivery's
    if order.flags.filter(kind=Flag.Kind.OVERDUE, created_at__gte=order.due_at).exists():
        return None
    return open_flag(
        order, Flag.Kind.OVERDUE, actor=None, note=f"Due {describe(order.due_at, platform_tz())}."
    )


@transaction.atomic
def tell_expert_closable(order: Order) -> bool:
    """Tell the expert their order has become closable, once per closable moment: that they
    may close it now, or, when they may not close it alone (rule 8), that an agent must."""
    moment = order.closable_at
    told = (
        Order.objects.filter(pk=order.pk, closable_at=moment, status__in=DELIVERED_STATUSES)
        .exclude(closable_notified_at=moment)
        .update(closable_notified_at=moment)
    )
    if told:
        info = close_info(order, actor=order.expert)
        notify(
            "closable",
            [order.expert],
            order=order,
            order_url=order_link(order) + "?tab=work",
            closable_at=moment,
            reason=info.reason,
            # Rule 8: past the moment, but an agent must close it; the e-mail says so and why.
            needs_agent=info.needs_agent,
            blockers=info.blockers,
        )
    return bool(told)


@transaction.atomic
def remind_customer(submission: Submission) -> bool:
    """Nudge a customer who has not opened the delivery they have in hand (rule 14): once per
    delivery, and only about the order's latest one (never a draft a revision replaced)."""
    order = lock_order(submission.order_id)
    latest = queries.latest_delivery(order)
    if order.status not in DELIVERED_STATUSES or latest is None or latest.pk != submission.pk:
        return False
    reminded = Submission.objects.filter(
        pk=submission.pk, customer_opened_at=None, customer_reminded_at=None
    ).update(customer_reminded_at=clock.now())
    if reminded:
        notify(
            "delivery_reminder",
            [order.customer],
            order=order,
            order_url=order_link(order),
            submission=submission.number,
            delivery=queries.delivery_numbers(order)[submission.number],
            delivered_at=submission.delivered_at,
        )
    return bool(reminded)


def _awaiting_answer(order: Order) -> bool:
    """Whether `order`'s response clock runs: a delivery waits on the customer alone."""
    return (
        order.status in DELIVERED_STATUSES
        and order.auto_complete_at is not None
        and not Order.objects.filter(queries.response_paused(), pk=order.pk).exists()
    )


@transaction.atomic
def warn_auto_complete(order: Order) -> bool:
    """Tell the customer, a day ahead, exactly when their order completes by itself and how to
    stop it; once per delivery round. A clock that was paused past its moment gets the whole
    day from now (rules.auto_complete_at_after_notice)."""
    order = lock_order(order)
    now = clock.now()
    if not _awaiting_answer(order) or order.auto_complete_warned_at is not None:
        return False
    if order.auto_complete_at - rules.AUTO_COMPLETE_NOTICE > now:
        return False
    at = rules.auto_complete_at_after_notice(order.auto_complete_at, now)
    Order.objects.filter(pk=order.pk).update(auto_complete_at=at, auto_complete_warned_at=now)
    latest = queries.latest_delivery(order)
    notify(
        "auto_complete_notice",
        [order.customer],
        order=order,
        order_url=order_link(order),
        auto_complete_at=at,
        delivered_at=latest.delivered_at if latest else None,
    )
    return True


@transaction.atomic
def complete_automatically(order: Order) -> bool:
    """Complete an order whose customer did not answer a delivery within the policy's delay,
    told a day before: the usual completion (reward earned, webhooks), with the reason on the
    timeline. Never while something is open, never twice, never without the notice."""
    order = lock_order(order)
    now = clock.now()
    if not _awaiting_answer(order) or order.auto_complete_warned_at is None:
        return False
    if order.auto_complete_at > now:
        return False
    latest = queries.latest_delivery(order)
    tz = platform_tz()
    days = order.policy.auto_complete_days
    why = (
        f"no answer within {days} day{'s' if days != 1 else ''} of the delivery of "
        f"{describe(latest.delivered_at, tz)}"
    )
    finish_order(order, actor=None, verb="order.completed", automatically=True, why=why)
    notify(
        "completed",
        [order.customer, order.expert],
        order=order,
        order_url=order_link(order),
        automatically=True,
        why=why,
    )
    return True
