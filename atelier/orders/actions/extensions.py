"""More time: the expert asks for a later due date, once per delivery round, with a reason; the
customer (or an agent) accepts, which moves the order's due date, or declines. Both are on the
timeline and notified (docs/design.md, "Clocks")."""

from datetime import datetime

from django.db import IntegrityError, transaction

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput
from atelier.core.time import describe, platform_tz
from atelier.notifications.outbox import agents, notify

from .. import access
from ..events import record_event
from ..models import ExtensionRequest, Order
from ..workflow import S, lock_order
from .common import clean_text, order_link

# The expert's move, before the delivery the due date is for.
WITH_THE_EXPERT = (S.IN_PROGRESS, S.REVISION_REQUESTED)
Status = ExtensionRequest.Status


@transaction.atomic
def request_extension(
    order: Order, *, actor: User, due_at: datetime | None, reason: str
) -> ExtensionRequest:
    order = lock_order(order)
    access.authorize(
        actor, order, access.may_request_extension(actor, order), "Only the order's expert asks."
    )
    if order.status not in WITH_THE_EXPERT or order.due_at is None:
        raise Conflict(
            "More time can be asked for only while the work is with you and has a due date.",
            code="no_extension_now",
        )
    if due_at is None:
        raise InvalidInput("Say until when you need.", field="due_at")
    if due_at <= max(order.due_at, clock.now()):
        raise InvalidInput(
            f"The new due date must be after the current one "
            f"({describe(order.due_at, platform_tz())}).",
            field="due_at",
        )
    reason = clean_text(reason, "reason", "A reason")
    round_ = order.submissions.filter(delivered_at__isnull=False).count()
    try:
        with transaction.atomic():
            extension = ExtensionRequest.objects.create(
                order=order,
                round=round_,
                requested_by=actor,
                due_at_before=order.due_at,
                requested_due_at=due_at,
                reason=reason,
                created_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict(
            "You have asked for more time in this round already.", code="extension_asked"
        ) from None
    record_event(order, "extension.requested", actor=actor, due_at=due_at, reason=reason)
    notify(
        "extension_requested",
        [order.customer, *agents()],
        order=order,
        order_url=order_link(order),
        due_at=due_at,
        due_at_before=order.due_at,
        reason=reason,
    )
    return extension


@transaction.atomic
def answer_extension(
    extension: ExtensionRequest, *, actor: User, accept: bool, note: str = ""
) -> ExtensionRequest:
    order = lock_order(extension.order_id)
    access.authorize(
        actor,
        order,
        access.may_answer_extension(actor, order),
        "Only the customer or an agent answers a request for more time.",
    )
    extension.refresh_from_db()
    if extension.status != Status.PENDING:
        raise Conflict("This request has been answered already.", code="extension_answered")
    now = clock.now()
    extension.status = Status.ACCEPTED if accept else Status.DECLINED
    extension.decided_by, extension.decided_at = actor, now
    extension.decision_note = note.strip()[:2000]
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if accept:
        Order.objects.filter(pk=order.pk).update(due_at=extension.requested_due_at)
        order.due_at = extension.requested_due_at
    record_event(
        order,
        f"extension.{extension.status}",
        actor=actor,
        due_at=extension.requested_due_at,
        note=extension.decision_note,
    )
    notify(
        "extension_answered",
        [order.expert],
        order=order,
        order_url=order_link(order),
        accepted=accept,
        due_at=order.due_at,
        note=extension.decision_note,
    )
    return extension
