"""What only agents do: reopen a completed order (DESIGN rule 10), cancel an order, and credit
an expert by hand (rule 11).
"""

from decimal import Decimal

from django.db import transaction

from atelier.accounts.models import User
from atelier.notifications.outbox import notify
from atelier.rewards import services as rewards

from .. import access
from ..events import record_event
from ..models import Order
from ..workflow import CLOSED_STATUSES, S, lock_order, transition
from .common import clean_text, delivered_status, order_link, require_status
from .placing import close_invitations


@transaction.atomic
def reopen_order(order: Order, *, actor: User, reason: str) -> Order:
    order = lock_order(order)
    access.authorize(actor, order, access.may_reopen(actor, order), "Only agents reopen orders.")
    require_status(order, [S.COMPLETED], "reopen")
    reason = clean_text(reason, "reason", "A reason")
    transition(
        order,
        delivered_status(order),
        actor=actor,
        verb="order.reopened",
        fields={"completed_at": None},
        reason=reason,
    )
    notify(
        "reopened",
        [order.customer, order.expert],
        order=order,
        order_url=order_link(order),
        reason=reason,
    )
    return order


@transaction.atomic
def cancel_order(order: Order, *, actor: User, reason: str) -> Order:
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_cancel(actor, order),
        "Only agents cancel orders once work has started.",
    )
    require_status(order, [s for s in S.values if s not in CLOSED_STATUSES], "cancel")
    reason = clean_text(reason, "reason", "A reason")
    close_invitations(order, winner=None)
    transition(order, S.CANCELLED, actor=actor, verb="order.cancelled", reason=reason)
    notify(
        "cancelled",
        [order.customer, order.expert],
        order=order,
        order_url=order_link(order),
        reason=reason,
    )
    return order


@transaction.atomic
def credit_expert(
    expert: User,
    *,
    actor: User,
    amount: Decimal | str,
    currency: str,
    memo: str,
    order: Order | None = None,
    key: str | None = None,
):
    """An agent's manual credit (rule 11), on the order's timeline when it is for an order."""
    entry, created = rewards.credit_expert(
        expert, actor=actor, amount=amount, currency=currency, memo=memo, order=order, key=key
    )
    if order is not None and created:
        record_event(
            order,
            "reward.credited",
            actor=actor,
            expert=expert.email,
            amount=entry.amount,
            currency=entry.currency,
        )
    return entry
