"""Revision requests, triage and fees: DESIGN rules 4 and 5.

An accepted fee is earned by the expert as its own ledger entry (rule 11).
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput
from atelier.core.money import parse_money
from atelier.notifications.outbox import agents, notify
from atelier.rewards import services as rewards

from .. import access, queries, rules
from ..events import record_event
from ..models import FeeRequest, Flag, Order, RevisionRequest
from ..workflow import DELIVERED_STATUSES, S, lock_order, transition
from .common import (
    Upload,
    as_list,
    clean_items,
    clean_text,
    delivered_status,
    open_flag,
    order_link,
    precheck,
    require_open_to,
    require_status,
    stage_files,
    store_files,
    write_items,
)


def request_revision(
    order: Order,
    *,
    actor: User,
    comments: str = "",
    files: Sequence[Upload] = (),
    items: Sequence[str] | None = None,
) -> RevisionRequest:
    """The customer asks for changes: a checklist of points (`items`, or `comments` split into
    points), each of which the expert's next round answers."""

    def check(order: Order) -> None:
        access.authorize(
            actor,
            order,
            access.may_request_revision(actor, order),
            "Only the customer asks for revisions.",
        )
        require_open_to(actor, order)
        require_status(order, DELIVERED_STATUSES, "ask for a revision")

    if files:
        precheck(order, check)
    with stage_files(files, folder=order.pk) as staged, transaction.atomic():
        order = lock_order(order)
        check(order)
        comments = clean_text(comments, "comments", "Say what should change", required=False)
        texts = clean_items(items, comments)
        comments = comments or as_list(texts)
        latest = queries.latest_delivery(order)
        triage = order.service.revision_triage
        request = RevisionRequest.objects.create(
            order=order,
            submission=latest,
            requested_by=actor,
            comments=comments,
            status=RevisionRequest.Status.PENDING_TRIAGE if triage else RevisionRequest.Status.OPEN,
            created_at=clock.now(),
        )
        write_items(texts, request=request)
        store_files(order, staged, actor=actor, revision_request=request)
        transition(
            order, S.REVISION_REQUESTED, actor=actor, verb="revision.requested", triage=triage
        )
        if triage:
            notify(
                "revision_requested",
                agents(),
                order=order,
                order_url=order_link(order),
                comments=comments,
                needs_triage=True,
            )
        else:
            _notify_revision_to_expert(order, request)
        count = order.revision_requests.count()
        if rules.is_over_revision_budget(order.policy, requested=count):
            open_flag(
                order,
                Flag.Kind.OVER_BUDGET,
                actor=None,
                note=f"{count} revision requests; {order.policy.included_revisions} included.",
            )
        return request


def _notify_revision_to_expert(order: Order, request: RevisionRequest) -> None:
    notify(
        "revision_requested",
        [order.expert],
        order=order,
        order_url=order_link(order),
        comments=request.comments,
        items=[item.text for item in request.items.all()],
        files=[f.name for f in request.files.all()],
    )


def _withdraw_to_delivered(order: Order, *, actor: User, verb: str, **details) -> None:
    transition(order, delivered_status(order), actor=actor, verb=verb, **details)


@transaction.atomic
def triage_revision(
    request: RevisionRequest,
    *,
    actor: User,
    decision: str,
    reason: str = "",
    fee_amount: Decimal | str | None = None,
    fee_currency: str | None = None,
) -> RevisionRequest:
    order = lock_order(request.order_id)
    access.authorize(
        actor, order, access.may_triage(actor, order), "Only agents triage revision requests."
    )
    request.refresh_from_db()
    if request.status != RevisionRequest.Status.PENDING_TRIAGE:
        raise Conflict(
            "This revision request is not waiting for triage.", code="not_pending_triage"
        )
    Triage = RevisionRequest.Triage
    if decision not in Triage.values:
        raise InvalidInput("Decide in_scope, fee or rejected.", field="decision")
    reason = clean_text(reason, "reason", "A reason", required=decision == Triage.REJECTED)
    if decision == Triage.FEE:
        if fee_amount is None:
            raise InvalidInput("Quote the fee.", field="fee")
        amount, currency = parse_money(fee_amount, fee_currency or order.reward_currency)
    now = clock.now()
    request.triage, request.triage_reason, request.triaged_by, request.triaged_at = (
        decision,
        reason,
        actor,
        now,
    )
    if decision == Triage.IN_SCOPE:
        request.status = RevisionRequest.Status.OPEN
    elif decision == Triage.FEE:
        request.status = RevisionRequest.Status.AWAITING_FEE
    else:
        request.status = RevisionRequest.Status.REJECTED
    request.save(
        update_fields=[
            "triage",
            "triage_reason",
            "triaged_by",
            "triaged_at",
            "status",
            "updated_at",
        ]
    )

    if decision == Triage.IN_SCOPE:
        record_event(order, "revision.triaged", actor=actor, decision=decision)
        _notify_revision_to_expert(order, request)
    elif decision == Triage.FEE:
        fee = FeeRequest.objects.create(
            order=order,
            revision_request=request,
            requested_by=actor,
            amount=amount,
            currency=currency,
            reason=reason or "Scope beyond the original order.",
            status=FeeRequest.Status.QUOTED,
            decided_by=actor,
            decided_at=now,
            created_at=now,
        )
        record_event(
            order, "revision.triaged", actor=actor, decision=decision, fee=amount, currency=currency
        )
        _notify_fee_quoted(fee)
    else:
        _withdraw_to_delivered(
            order, actor=actor, verb="revision.triaged", decision=decision, reason=reason
        )
        notify(
            "revision_rejected",
            [order.customer],
            order=order,
            order_url=order_link(order),
            reason=reason,
        )
    return request


def _notify_fee_quoted(fee: FeeRequest) -> None:
    notify(
        "fee_quoted",
        [fee.order.customer],
        order=fee.order,
        order_url=order_link(fee.order),
        amount=fee.amount,
        currency=fee.currency,
        reason=fee.reason,
    )


@transaction.atomic
def request_fee(
    order: Order, *, actor: User, amount: Decimal | str, currency: str | None = None, reason: str
) -> FeeRequest:
    order = lock_order(order)
    access.authorize(
        actor,
        order,
        access.may_request_fee(actor, order),
        "Only the assigned expert asks for a fee.",
    )
    require_open_to(actor, order)
    amount, currency = parse_money(amount, currency or order.reward_currency)
    fee = FeeRequest.objects.create(
        order=order,
        requested_by=actor,
        amount=amount,
        currency=currency,
        reason=clean_text(reason, "reason", "A reason"),
        status=FeeRequest.Status.REQUESTED,
        created_at=clock.now(),
    )
    record_event(order, "fee.requested", actor=actor, amount=amount, currency=currency)
    notify(
        "fee_requested",
        agents(),
        order=order,
        order_url=order_link(order),
        expert=str(actor),
        amount=amount,
        currency=currency,
        reason=fee.reason,
    )
    return fee


@transaction.atomic
def decide_fee(fee: FeeRequest, *, actor: User, approve: bool, note: str = "") -> FeeRequest:
    """An agent approves an expert's fee request (the customer is quoted) or rejects it."""
    order = lock_order(fee.order_id)
    access.authorize(
        actor, order, access.may_decide_fee(actor, order), "Only agents decide fee requests."
    )
    fee.refresh_from_db()
    if fee.status != FeeRequest.Status.REQUESTED:
        raise Conflict("This fee request has been decided already.", code="fee_decided")
    fee.status = FeeRequest.Status.QUOTED if approve else FeeRequest.Status.REJECTED
    fee.decided_by, fee.decided_at, fee.decision_note = actor, clock.now(), note.strip()
    fee.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    record_event(
        order,
        "fee.decided",
        actor=actor,
        approved=approve,
        amount=fee.amount,
        currency=fee.currency,
        note=fee.decision_note,
    )
    if approve:
        _notify_fee_quoted(fee)
    else:
        notify(
            "fee_declined",
            [fee.requested_by],
            order=order,
            order_url=order_link(order),
            amount=fee.amount,
            currency=fee.currency,
            note=fee.decision_note,
        )
    return fee


@transaction.atomic
def respond_to_fee(fee: FeeRequest, *, actor: User, accept: bool) -> FeeRequest:
    """The customer accepts a quoted fee (work resumes; the expert earns it) or declines it."""
    order = lock_order(fee.order_id)
    access.authorize(
        actor, order, access.may_respond_to_fee(actor, order), "Only the customer accepts fees."
    )
    require_open_to(actor, order)
    fee.refresh_from_db()
    if fee.status != FeeRequest.Status.QUOTED:
        raise Conflict("This fee is not waiting for your answer.", code="fee_not_quoted")
    fee.status = FeeRequest.Status.ACCEPTED if accept else FeeRequest.Status.DECLINED
    fee.responded_at = clock.now()
    fee.save(update_fields=["status", "responded_at", "updated_at"])
    request = fee.revision_request
    waiting = request is not None and request.status == RevisionRequest.Status.AWAITING_FEE
    if accept:
        rewards.earn_fee(fee)
        record_event(order, "fee.accepted", actor=actor, amount=fee.amount, currency=fee.currency)
        notify(
            "fee_accepted",
            [order.expert, *agents()],
            order=order,
            order_url=order_link(order),
            amount=fee.amount,
            currency=fee.currency,
        )
        if waiting:
            RevisionRequest.objects.filter(pk=request.pk).update(status=RevisionRequest.Status.OPEN)
            request.refresh_from_db()
            _notify_revision_to_expert(order, request)
    else:
        notify(
            "fee_declined",
            [order.expert, *agents()],
            order=order,
            order_url=order_link(order),
            amount=fee.amount,
            currency=fee.currency,
        )
        if waiting and order.status == S.REVISION_REQUESTED:
            RevisionRequest.objects.filter(pk=request.pk).update(
                status=RevisionRequest.Status.WITHDRAWN
            )
            _withdraw_to_delivered(
                order, actor=actor, verb="fee.declined", amount=fee.amount, currency=fee.currency
            )
        else:
            record_event(
                order, "fee.declined", actor=actor, amount=fee.amount, currency=fee.currency
            )
    return fee
