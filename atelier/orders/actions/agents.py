"""What only agents do: reopen a completed order (DESIGN rule 10), cancel an order, and credit
an expert by hand (rule 11).
"""

from decimal import Decimal

from django.db import models, transaction

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import InvalidInput, NotFound
from atelier.notifications.outbox import notify
from atelier.rewards import services as rewards

from .. import access, queries
from ..events import record_event
from ..models import Order, RevisionRequest
from ..workflow import CLOSED_STATUSES, S, lock_order, transition
from .common import clean_text, delivered_status, order_link, require_status, response_clock
from .placing import close_invitations


class ReopenTo(models.TextChoices):
    """Where a reopened order's work goes (rule 10)."""

    CUSTOMER = "customer", "Back to the customer: they complete it or ask for a revision"
    EXPERT = "expert", "Back to the expert: they submit a revision (the reason is the request)"


@transaction.atomic
def reopen_order(order: Order, *, actor: User, reason: str, back_to: str) -> Order:
    """Reopen a completed order, saying where the work goes: to the customer's decision on the
    delivery they have, or to the expert, who can then submit a revision at once (the agent's
    reason is the revision request they answer)."""
    order = lock_order(order)
    access.authorize(actor, order, access.may_reopen(actor, order), "Only agents reopen orders.")
    require_status(order, [S.COMPLETED], "reopen")
    reason = clean_text(reason, "reason", "A reason")
    if back_to not in ReopenTo.values:
        raise InvalidInput("Say where the work goes: customer or expert.", field="back_to")
    if back_to == ReopenTo.EXPERT:
        RevisionRequest.objects.create(
            order=order,
            submission=queries.latest_delivery(order),
            requested_by=actor,
            comments=reason,
            status=RevisionRequest.Status.OPEN,
            created_at=clock.now(),
        )
    transition(
        order,
        S.REVISION_REQUESTED if back_to == ReopenTo.EXPERT else delivered_status(order),
        actor=actor,
        verb="order.reopened",
        # Back with the customer, they have a whole response period again from now.
        fields={"completed_at": None, **response_clock(order, clock.now())},
        reason=reason,
        back_to=back_to,
    )
    notify(
        "reopened",
        [order.customer, order.expert],
        order=order,
        order_url=order_link(order),
        reason=reason,
        back_to=back_to,
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


@transaction.atomic
def link_order(order: Order, *, actor: User, linked: Order | None) -> Order:
    """Make `linked` the order's follow-up (rule 1: a translation's proofreading, which
    offer_linked_order offers to the pros who missed the translation), or with None unlink it.
    On the timeline either way; linking to what is already linked changes nothing."""
    order = lock_order(order)
    access.authorize(actor, order, access.may_link_orders(actor, order), "Only agents link orders.")
    if linked is not None and not access.can_see_order(actor, linked):
        raise NotFound("No such order.", field="linked_order")
    if linked is not None and linked.pk == order.pk:
        raise InvalidInput("An order cannot be linked to itself.", field="linked_order")
    previous = order.linked_order_id
    if previous == (linked.pk if linked else None):
        return order
    order.linked_order = linked
    order.save(update_fields=["linked_order", "updated_at"])
    if linked is None:
        record_event(order, "order.unlinked", actor=actor, linked_order=previous)
    else:
        record_event(order, "order.linked", actor=actor, linked_order=linked.pk, previous=previous)
    return order
