"""The quality loop around QC (DESIGN rule 3): reviewers claim a submission from the queue so
two never review the same one, an agent reassigns, and the expert may appeal a send-back once
per round, which an agent upholds or overturns (approved and delivered to the customer).

Every step is on the order's timeline as a "qc.*" event, which the customer never sees.
"""

from django.db import IntegrityError, transaction

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput
from atelier.notifications.outbox import agents, notify
from atelier.rewards import services as rewards

from .. import access
from ..events import record_event
from ..models import Appeal, Order, QCReview, Submission
from ..workflow import CLOSED_STATUSES, S, lock_order
from .common import (
    claim_until,
    clean_text,
    holds_claim,
    order_link,
    require_claim_open_to,
    require_open_to,
    require_status,
)
from .submissions import deliver

# --- claims ----------------------------------------------------------------------------------


def _waiting_submission(order: Order, submission: Submission) -> None:
    latest = order.submissions.order_by("-number").values_list("pk", flat=True).first()
    if latest != submission.pk or submission.reviews.exists():
        raise Conflict(
            "This submission has been reviewed already, or a newer one replaced it.",
            code="not_in_qc",
        )
    require_status(order, [S.IN_QC], "claim a review")


@transaction.atomic
def claim_review(submission: Submission, *, actor: User) -> Order:
    """`actor` takes the submission from the QC queue until the claim runs out (claiming it
    again extends it). 409 `claimed` while another reviewer holds it."""
    order = lock_order(submission.order_id)
    access.authorize(
        actor, order, access.may_review(actor, order), "Only QC reviewers review work."
    )
    _waiting_submission(order, submission)
    require_claim_open_to(order, actor)
    fresh = not holds_claim(order, actor)
    # Claiming again extends, never shortens: a rework or an agent's assignment holds longer.
    until = claim_until(order) if fresh else max(claim_until(order), order.qc_claimed_until)
    Order.objects.filter(pk=order.pk).update(qc_reviewer=actor, qc_claimed_until=until)
    order.qc_reviewer, order.qc_claimed_until = actor, until
    if fresh:
        record_event(order, "qc.claimed", actor=actor, submission=submission.number, until=until)
    return order


@transaction.atomic
def release_review(submission: Submission, *, actor: User) -> Order:
    """The reviewer who holds the submission puts it back in the queue."""
    order = lock_order(submission.order_id)
    access.authorize(
        actor, order, access.may_review(actor, order), "Only QC reviewers review work."
    )
    _waiting_submission(order, submission)
    if order.qc_reviewer_id != actor.pk or order.qc_claimed_until is None:
        raise Conflict("You do not hold this submission.", code="not_claimed")
    Order.objects.filter(pk=order.pk).update(qc_reviewer=None, qc_claimed_until=None)
    order.qc_reviewer, order.qc_claimed_until = None, None
    record_event(order, "qc.released", actor=actor, submission=submission.number)
    return order


@transaction.atomic
def assign_reviewer(submission: Submission, *, actor: User, reviewer: User | None) -> Order:
    """An agent gives the submission to `reviewer` (held for the QC turnaround), or back to
    the queue (None), whoever holds it now."""
    order = lock_order(submission.order_id)
    access.authorize(
        actor,
        order,
        access.may_assign_reviewer(actor, order),
        "Only agents assign reviewers.",
    )
    _waiting_submission(order, submission)
    if reviewer is not None and not (reviewer.is_active and access.may_review(reviewer, order)):
        raise InvalidInput(
            f"{reviewer} is not a QC reviewer who may review this order.", field="reviewer"
        )
    until = claim_until(order, rework=True) if reviewer else None
    Order.objects.filter(pk=order.pk).update(qc_reviewer=reviewer, qc_claimed_until=until)
    order.qc_reviewer, order.qc_claimed_until = reviewer, until
    record_event(
        order,
        "qc.reassigned",
        actor=actor,
        submission=submission.number,
        reviewer=reviewer.email if reviewer else None,
    )
    if reviewer is not None:
        notify(
            "qc_reassigned",
            [reviewer],
            order=order,
            order_url=order_link(order),
            submission=submission.number,
            until=until,
        )
    return order


# --- appeals ---------------------------------------------------------------------------------


def appealable_review(order: Order, latest: Submission | None = None) -> QCReview | None:
    """QC's send-back of the latest submission (`latest` if the caller has it, reviews
    prefetched), while it stands (no new round, not delivered, the order not closed) and nobody
    has appealed it: what the expert may appeal now."""
    latest = latest or order.submissions.order_by("-number").first()
    if latest is None or latest.delivered_at is not None or order.status in CLOSED_STATUSES:
        return None
    review = next((r for r in latest.reviews.all() if r.decision == QCReview.Decision.REVISE), None)
    if review is None or hasattr(review, "appeal"):
        return None
    return review


@transaction.atomic
def appeal_review(submission: Submission, *, actor: User, reason: str) -> Appeal:
    """The expert disputes QC's send-back of `submission`, once per round; agents decide."""
    order = lock_order(submission.order_id)
    access.authorize(
        actor, order, access.may_appeal(actor, order), "Only the expert appeals QC's decision."
    )
    require_open_to(actor, order)  # rule 10: nothing is added to a completed order
    review = submission.reviews.first()
    if review is None or review.decision != QCReview.Decision.REVISE:
        raise Conflict("QC did not send this submission back.", code="not_sent_back")
    if Appeal.objects.filter(review=review).exists():
        raise Conflict("You appealed this send-back already.", code="already_appealed")
    if appealable_review(order) != review:
        raise Conflict(
            "Only the latest send-back can be appealed, before you submit again.",
            code="not_appealable",
        )
    reason = clean_text(reason, "reason", "A reason", limit=5000)
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                order=order, review=review, expert=actor, reason=reason, created_at=clock.now()
            )
    except IntegrityError:
        raise Conflict("You appealed this send-back already.", code="already_appealed") from None
    record_event(order, "qc.appealed", actor=actor, submission=submission.number, reason=reason)
    notify(
        "appeal_opened",
        agents(),
        order=order,
        order_url=order_link(order),
        submission=submission.number,
        expert=str(actor),
        reason=reason,
    )
    return appeal


@transaction.atomic
def decide_appeal(appeal: Appeal, *, actor: User, decision: str, reason: str) -> Appeal:
    """An agent upholds the send-back (the expert works on) or overturns it: the submission is
    approved and delivered to the customer, as if QC had approved it."""
    order = lock_order(appeal.order_id)
    access.authorize(
        actor, order, access.may_decide_appeal(actor, order), "Only agents decide appeals."
    )
    appeal = Appeal.objects.select_related("review__submission", "review__reviewer").get(
        pk=appeal.pk
    )
    if appeal.status != Appeal.Status.PENDING:
        raise Conflict(
            f"This appeal is {appeal.get_status_display().lower()} already.", code="appeal_decided"
        )
    if decision not in Appeal.Decision.values:
        raise InvalidInput("Decide uphold or overturn.", field="decision")
    reason = clean_text(reason, "reason", "A reason", limit=5000)
    submission = appeal.review.submission
    overturn = decision == Appeal.Decision.OVERTURN
    if overturn:
        # Only while the send-back stands: never reopen a completed (or cancelled) order.
        require_status(order, [S.IN_PROGRESS, S.REVISION_REQUESTED], "overturn the send-back")
    now = clock.now()
    appeal.status = Appeal.Status.OVERTURNED if overturn else Appeal.Status.UPHELD
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = actor, now, reason
    appeal.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
    )
    verb = "qc.appeal_overturned" if overturn else "qc.appeal_upheld"
    record_event(order, verb, actor=actor, submission=submission.number, reason=reason)
    if overturn:
        deliver(order, submission, actor=actor)
        rewards.earn_reward(order)  # rule 11: earned at the first approval, here the agent's
    notify(
        "appeal_decided",
        [order.expert, appeal.review.reviewer],
        order=order,
        order_url=order_link(order),
        submission=submission.number,
        overturned=overturn,
        reason=reason,
    )
    return appeal
