"""Creating an order and assigning its expert: DESIGN rule 1 (`direct`: an agent assigns).

`start_work` makes an expert the order's one expert and tells everyone; accepting an invitation
(invitations.py) goes through it too, and cancelling (agents.py) uses `close_invitations`.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, IntegerField, QuerySet, Value
from django.db.models.functions import JSONObject

from atelier.accounts.models import User
from atelier.catalog.models import Service
from atelier.core import clock
from atelier.core.errors import InvalidInput, NotAllowed
from atelier.core.money import parse_money
from atelier.core.time import platform_tz
from atelier.notifications.outbox import notify, notify_rows

from .. import access, rules
from ..events import record_event
from ..models import FLOW_PRESETS, Invitation, Order, OrderFile
from ..workflow import S, lock_order, transition
from .common import (
    Upload,
    clean_text,
    order_link,
    precheck,
    require_open_to,
    require_status,
    stage_files,
    store_files,
)


def create_order(
    *,
    actor: User,
    customer: User,
    service: Service,
    title: str,
    instructions: str = "",
    assignment: str = Order.Assignment.DIRECT,
    qc_required: bool = False,
    expert_may_close: bool = False,
    reward_amount: Decimal | str = Decimal("0.00"),
    reward_currency: str = "USD",
    due_at: datetime | None = None,
    linked_order: Order | None = None,
    attachments: Sequence[Upload] = (),
) -> Order:
    if not access.may_create_order_for(actor, customer):
        raise NotAllowed("Customers place orders for themselves; agents for anyone.")
    if not service.is_active:
        raise InvalidInput(f"{service.name} is not offered at the moment.", field="service")
    if assignment not in Order.Assignment.values:
        raise InvalidInput("Unknown assignment mode.", field="assignment")
    amount, currency = parse_money(reward_amount, reward_currency, allow_zero=True)
    now = clock.now()
    if due_at is not None and due_at <= now:
        raise InvalidInput("The due date must be in the future.", field="due_at")
    # The service's policy as it is now (not as `service` was read): the order keeps it.
    policy = Service.objects.select_related("policy").get(pk=service.pk).policy
    if due_at is None:  # the policy's turnaround
        due_at = rules.default_due_at(now, platform_tz(), policy)
    title = clean_text(title, "title", "A title", limit=200)
    instructions = clean_text(instructions, "instructions", "Instructions", required=False)
    # The order has no id yet: its documents are stored under orders/new/.
    with stage_files(attachments, folder="new") as staged, transaction.atomic():
        order = Order.objects.create(
            service=service,
            policy=policy,
            customer=customer,
            title=title,
            instructions=instructions,
            assignment=assignment,
            qc_required=bool(qc_required),
            expert_may_close=bool(expert_may_close),
            reward_amount=amount,
            reward_currency=currency,
            due_at=due_at,
            linked_order=linked_order,
            created_at=now,
        )
        record_event(order, "order.created", actor=actor, to_status=order.status)
        if not customer.is_customer:
            User.objects.filter(pk=customer.pk).update(is_customer=True)
        store_files(order, staged, actor=actor)
        return order


def place_order(
    *,
    actor: User,
    service: Service,
    title: str,
    instructions: str = "",
    due_at: datetime | None = None,
    attachments: Sequence[Upload] = (),
) -> Order:
    """A customer orders for themselves: the service decides the flow and the expert's reward."""
    return create_order(
        actor=actor,
        customer=actor,
        service=service,
        title=title,
        instructions=instructions,
        due_at=due_at,
        attachments=attachments,
        reward_amount=service.reward_amount,
        reward_currency=service.reward_currency,
        **FLOW_PRESETS[service.flow],
    )


def add_attachments(order: Order, *, actor: User, files: Sequence[Upload]) -> list[OrderFile]:
    """The customer's own documents (an old resume, the source text)."""

    def check(order: Order) -> None:
        access.authorize(
            actor,
            order,
            access.may_add_attachment(actor, order),
            "Only the customer adds documents.",
        )
        require_open_to(actor, order)

    precheck(order, check)
    if not files:
        raise InvalidInput("Choose at least one file.", field="files")
    with stage_files(files, folder=order.pk) as staged, transaction.atomic():
        order = lock_order(order)
        check(order)
        stored = store_files(order, staged, actor=actor)
        record_event(order, "attachments.added", actor=actor, files=[f.name for f in stored])
        return stored


# --- rule 1: assignment (accepting an invitation starts work the same way) ------------------


def require_expert(user: User, field: str = "expert") -> None:
    if not (user.is_active and user.is_expert):
        raise InvalidInput(f"{user.email} is not an active expert.", field=field)


@transaction.atomic
def assign_expert(order: Order, *, actor: User, expert: User) -> Order:
    """An agent assigns one expert (direct orders; agents may also step in on open invitations)."""
    order = lock_order(order)
    access.authorize(actor, order, access.may_assign(actor, order), "Only agents assign experts.")
    require_status(order, [S.OPEN, S.INVITED], "assign an expert")
    require_expert(expert)
    return start_work(order, expert, actor=actor, verb="order.assigned")


def start_work(order: Order, expert: User, *, actor: User, verb: str) -> Order:
    """`expert` is the order's one expert from now on (rule 1): their invitation, if any, is the
    accepted one, every other pending invitation is taken, and everyone is told."""
    now = clock.now()
    # An invitation they declined earlier is theirs again if an agent assigns them anyway.
    order.invitations.filter(
        expert=expert, status__in=[Invitation.Status.PENDING, Invitation.Status.DECLINED]
    ).update(status=Invitation.Status.ACCEPTED, responded_at=now)
    # The pros who missed it are told in one INSERT ... SELECT over their invitations, before
    # those change: a speedy offered to a thousand pros costs its winner one statement for them.
    _notify_taken(order, _pending(order, winner=expert))
    close_invitations(order, winner=expert)
    transition(
        order, S.IN_PROGRESS, actor=actor, verb=verb, fields={"expert": expert}, expert=expert.email
    )
    _notify_assigned(order, expert)
    return order


def _notify_assigned(order: Order, expert: User) -> None:
    notify(
        "assigned",
        [expert],
        order=order,
        order_url=order_link(order),
        service=order.service.name,
        title=order.title,
        instructions=order.instructions,
        documents=[
            f.name for f in order.files.filter(submission=None, revision_request=None, comment=None)
        ],
        reward=order.reward_amount,
        currency=order.reward_currency,
        due_at=order.due_at,
    )


def _pending(order: Order, *, winner: User | None) -> QuerySet[Invitation]:
    return order.invitations.filter(status=Invitation.Status.PENDING).exclude(expert=winner)


def close_invitations(order: Order, *, winner: User | None) -> None:
    """Mark every still-pending invitation as taken (or withdrawn if nobody won)."""
    _pending(order, winner=winner).update(
        status=Invitation.Status.TAKEN if winner else Invitation.Status.WITHDRAWN,
        responded_at=clock.now(),
    )


def _notify_taken(order: Order, pending: QuerySet[Invitation]) -> None:
    # No details: a pro who missed the order loses access to it.
    notify_rows(
        "invitation_taken",
        pending.order_by("pk"),
        recipient=F("expert"),
        order=Value(None, output_field=IntegerField()),
        context=JSONObject(order_id=Value(order.pk), service=Value(order.service.name)),
    )
