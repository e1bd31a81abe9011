"""Invitations: DESIGN rule 1 (`booking`, `speedy`, `contest`).

The invited pros accept or decline; the first accept wins and every later one hears "taken". An
agent may offer a taken translation's linked proofreading order to the pros who missed it.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from atelier.notifications.outbox import notify

from .. import access
from ..events import record_event
from ..models import Flag, Invitation, Order
from ..workflow import S, lock_order, transition
from .common import open_flag, order_link, require_status
from .placing import require_expert, start_work


@transaction.atomic
def invite_experts(order: Order, *, actor: User, experts: Sequence[User]) -> list[Invitation]:
    order = lock_order(order)
    access.authorize(actor, order, access.may_invite(actor, order), "Only agents invite pros.")
    return send_invitations(order, actor=actor, experts=experts)


def send_invitations(order: Order, *, actor: User, experts: Sequence[User]) -> list[Invitation]:
    """Invite `experts` to the locked `order` and tell them, once the caller has checked that
    `actor` may: an agent (invite_experts), or the customer booking their expert again
    (feedback.order_again)."""
    if order.assignment == Order.Assignment.DIRECT:
        raise Conflict(
            "This order is assigned directly; assign an expert instead.", code="invalid_state"
        )
    require_status(order, [S.OPEN, S.INVITED], "invite pros")
    if not experts:
        raise InvalidInput("Choose at least one pro to invite.", field="experts")
    already = set(order.invitations.values_list("expert_id", flat=True))
    fresh = []
    for expert in dict.fromkeys(experts):
        require_expert(expert, "experts")
        if expert.pk in already:
            raise InvalidInput(f"{expert.email} is already invited.", field="experts")
        fresh.append(expert)
    invitations = Invitation.objects.bulk_create(
        Invitation(order=order, expert=e, invited_by=actor, created_at=clock.now()) for e in fresh
    )
    emails = [e.email for e in fresh]
    if order.status == S.OPEN:
        transition(order, S.INVITED, actor=actor, verb="invitations.sent", experts=emails)
    else:
        record_event(order, "invitations.sent", actor=actor, experts=emails)
    notify(
        "invited",
        fresh,
        order=order,
        order_url=order_link(order),
        service=order.service.name,
        title=order.title,
        assignment=order.get_assignment_display(),
        reward=order.reward_amount,
        currency=order.reward_currency,
        due_at=order.due_at,
    )
    return invitations


def _require_invitee(invitation: Invitation, actor: User) -> None:
    """Only the invited pro answers. Agents see every invitation, so for them it is forbidden;
    for anyone else it does not exist."""
    if not access.may_answer_invitation(actor, invitation):
        if actor.is_agent:
            raise NotAllowed("Only the invited pro answers an invitation; an agent assigns.")
        raise NotFound("No such invitation.")


def _taken() -> Conflict:
    return Conflict("This order was taken by another pro.", code="taken")


def accept_invitation(invitation: Invitation, *, actor: User) -> Order:
    """First accept wins (DESIGN rule 1): exactly one expert, every other accept gets "taken"."""
    _require_invitee(invitation, actor)
    # A quick read before queueing for the lock: an order that has its expert never loses it, so
    # a pro who is already too late hears so at once. The locked path below stays the guarantee.
    if (
        Order.objects.filter(pk=invitation.order_id)
        .exclude(expert=None)
        .exclude(expert=actor)
        .exists()
    ):
        raise _taken()
    try:
        return _accept_invitation(invitation, actor=actor)
    except IntegrityError:
        # The database constraint caught a race the lock did not: someone else won.
        raise _taken() from None


@transaction.atomic
def _accept_invitation(invitation: Invitation, *, actor: User) -> Order:
    _require_invitee(invitation, actor)
    order = lock_order(invitation.order_id)
    invitation.refresh_from_db()
    if invitation.status == Invitation.Status.TAKEN or (order.expert_id not in (None, actor.pk)):
        raise _taken()
    if invitation.status == Invitation.Status.ACCEPTED:
        return order  # a double click: already yours
    if invitation.status != Invitation.Status.PENDING or order.status != S.INVITED:
        raise Conflict(
            f"This invitation is {invitation.get_status_display().lower()}.",
            code="invitation_closed",
        )
    return start_work(order, actor, actor=actor, verb="invitation.accepted")


@transaction.atomic
def decline_invitation(invitation: Invitation, *, actor: User, reason: str = "") -> Invitation:
    _require_invitee(invitation, actor)
    order = lock_order(invitation.order_id)
    invitation.refresh_from_db()
    if invitation.status == Invitation.Status.TAKEN:
        raise _taken()
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(
            f"This invitation is {invitation.get_status_display().lower()}.",
            code="invitation_closed",
        )
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.DECLINED, responded_at=clock.now()
    )
    invitation.refresh_from_db()
    details = {"expert": actor.email, "reason": reason.strip()[:1000]}
    nobody_left = not order.invitations.filter(status=Invitation.Status.PENDING).exists()
    if order.status == S.INVITED and nobody_left:
        # Everyone said no: the order is open again for an agent to invite others.
        transition(order, S.OPEN, actor=actor, verb="invitation.declined", **details)
        open_flag(order, Flag.Kind.CONCERN, actor=None, note="Every invited pro declined.")
    else:
        record_event(order, "invitation.declined", actor=actor, **details)
    return invitation


@transaction.atomic
def offer_linked_order(order: Order, *, actor: User) -> list[Invitation]:
    """Offer a taken translation speedy's linked proofreading order to the pros who missed it."""
    order = lock_order(order)
    access.authorize(actor, order, actor.is_agent, "Only agents offer linked orders.")
    if order.linked_order_id is None:
        raise Conflict("This order has no linked order to offer.", code="no_linked_order")
    missed = User.objects.filter(
        invitations__order=order, invitations__status=Invitation.Status.TAKEN
    )
    linked = Order.objects.get(pk=order.linked_order_id)
    already = set(linked.invitations.values_list("expert_id", flat=True))
    experts = [u for u in missed if u.pk not in already and u.pk != linked.expert_id]
    if not experts:
        raise Conflict(
            "Nobody missed this order, or they are all invited already.", code="nobody_to_offer"
        )
    return invite_experts(linked, actor=actor, experts=experts)
