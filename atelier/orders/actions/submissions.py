"""Submissions, QC and delivery: DESIGN rules 2, 3 and 6.

A delivery also moves the expert's closing moment (rule 7), and a QC order's reward is earned at
its first approval (rule 11).
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.errors import Conflict, InvalidInput
from atelier.core.time import platform_tz
from atelier.notifications.outbox import notify
from atelier.rewards import services as rewards

from .. import access, queries, rules
from ..clocks import span
from ..events import record_event, record_events
from ..models import Order, OrderFile, QCReview, RevisionRequest, Submission
from ..workflow import S, lock_order, transition
from .common import (
    Upload,
    clean_text,
    delivered_status,
    order_link,
    precheck,
    require_open_to,
    require_status,
    response_clock,
    stage_files,
    store_files,
)


def submit_work(
    order: Order, *, actor: User, files: Sequence[Upload], notes: str = ""
) -> Submission:
    def check(order: Order) -> None:
        access.authorize(
            actor, order, access.may_submit(actor, order), "Only the assigned expert submits work."
        )
        require_open_to(actor, order)
        require_status(order, [S.IN_PROGRESS, S.REVISION_REQUESTED], "submit work")
        if (
            order.status == S.REVISION_REQUESTED
            and not order.revision_requests.filter(status=RevisionRequest.Status.OPEN).exists()
        ):
            raise Conflict(
                "The revision request is waiting for an agent or for the customer to accept a fee.",
                code="revision_not_ready",
            )

    precheck(order, check)
    if not files:
        raise InvalidInput("A submission needs at least one file.", field="files")
    notes = clean_text(notes, "notes", "Notes", required=False)
    with (
        stage_files(files, folder=order.pk, require_titles=True) as staged,
        transaction.atomic(),
    ):
        order = lock_order(order)
        check(order)
        previous = order.submissions.order_by("-number").first()
        number = previous.number + 1 if previous else 1
        submission = Submission.objects.create(
            order=order,
            expert=actor,
            number=number,
            kind=Submission.Kind.DRAFT if number == 1 else Submission.Kind.REVISION,
            notes=notes,
            created_at=clock.now(),
        )
        store_files(order, staged, actor=actor, submission=submission)
        if order.qc_required:
            # After QC sent the last one back, this is a round the customer does not see.
            resubmitted = previous is not None and previous.delivered_at is None
            transition(
                order,
                S.IN_QC,
                actor=actor,
                verb="submission.sent_to_qc",
                submission=number,
                resubmitted=resubmitted,
            )
        else:
            record_event(order, "submission.created", actor=actor, submission=number)
            _deliver(order, submission, actor=actor)
        return submission


@transaction.atomic
def review_submission(
    submission: Submission, *, actor: User, decision: str, comments: str = ""
) -> QCReview:
    order = lock_order(submission.order_id)
    access.authorize(
        actor, order, access.may_review(actor, order), "Only QC reviewers review work."
    )
    latest = order.submissions.order_by("-number").first()
    if latest is None or latest.pk != submission.pk or submission.reviews.exists():
        raise Conflict(
            "This submission has been reviewed already, or a newer one replaced it.",
            code="not_in_qc",
        )
    require_status(order, [S.IN_QC], "review")
    if decision not in QCReview.Decision.values:
        raise InvalidInput("Decide approve or revise.", field="decision")
    comments = clean_text(
        comments, "comments", "Comments", required=decision == QCReview.Decision.REVISE
    )
    review = QCReview.objects.create(
        submission=submission,
        reviewer=actor,
        decision=decision,
        comments=comments,
        created_at=clock.now(),
    )
    if decision == QCReview.Decision.APPROVE:
        record_event(order, "qc.approved", actor=actor, submission=submission.number)
        _deliver(order, submission, actor=actor)
        rewards.earn_reward(order)  # rule 11: earned at the first QC approval
    else:
        back_to = S.IN_PROGRESS if order.first_delivered_at is None else S.REVISION_REQUESTED
        transition(
            order, back_to, actor=actor, verb="qc.revision_requested", submission=submission.number
        )
        notify(
            "qc_revision_requested",
            [order.expert],
            order=order,
            order_url=order_link(order),
            submission=submission.number,
            comments=comments,
        )
    return review


def _deliver(order: Order, submission: Submission, *, actor: User | None) -> Order:
    """The customer can now see `submission` (DESIGN rule 6)."""
    now = clock.now()
    # The first delivery is held to the due date (how late it was is on record, for on-time
    # rates); later rounds have none.
    first = order.first_delivered_at is None
    due_at = order.due_at if first else None
    Submission.objects.filter(pk=submission.pk, delivered_at__isnull=True).update(
        delivered_at=now, due_at=due_at
    )
    submission.delivered_at, submission.due_at = now, due_at
    to = delivered_status(order)
    order.revision_requests.filter(status=RevisionRequest.Status.OPEN).update(
        status=RevisionRequest.Status.ANSWERED
    )
    late = {"late_by": span(submission.late_by)} if submission.late_by else {}
    fields = {"first_delivered_at": now} if first else {}
    transition(
        order,
        to,
        actor=actor,
        verb="submission.delivered",
        fields=fields,
        submission=submission.number,
        **late,
    )
    _refresh_delivery_moments(order, now)
    notify(
        "delivered",
        [order.customer],
        order=order,
        order_url=order_link(order),
        submission=submission.number,
        kind=submission.kind,
        # The customer counts what reached them (rule 3): their first delivery may be the
        # expert's second submission when QC sent the first back.
        delivery=queries.delivery_numbers(order)[submission.number],
        notes=submission.notes,
        files=[f.title or f.name for f in submission.files.all()],
    )
    return order


def _refresh_delivery_moments(order: Order, delivered_at: datetime) -> None:
    """The moments a new delivery sets: when the expert may close (rule 7), and the customer's
    response clock (a reminder, then completion if nobody answers), reset for this round."""
    deliveries = list(
        order.submissions.filter(delivered_at__isnull=False).values_list("delivered_at", flat=True)
    )
    moments = {
        "closable_at": rules.closing_eligibility(deliveries, platform_tz(), order.policy).at,
        **response_clock(order, delivered_at),
    }
    for name, value in moments.items():
        setattr(order, name, value)
    Order.objects.filter(pk=order.pk).update(**moments)


def mark_delivery_opened(submission: Submission, *, actor: User) -> bool:
    """The customer opened a delivery (its page or a file); True the first time."""
    return bool(mark_deliveries_opened(submission.order, [submission], actor=actor))


def mark_deliveries_opened(
    order: Order, submissions: Iterable[Submission], *, actor: User
) -> list[Submission]:
    """The customer saw these submissions of `order`: those delivered and not opened yet are
    marked opened now, each with its "delivery.opened" event, in one UPDATE and one INSERT
    however many there are; returns them. Decided first from the rows as loaded: when the actor
    is not the customer or every delivery is known opened, nothing is written and no transaction
    is opened (an order page viewed again costs no write)."""
    if actor.pk != order.customer_id:
        return []
    candidates = {
        s.pk: s for s in submissions if s.delivered_at is not None and s.customer_opened_at is None
    }
    if not candidates:
        return []
    now = clock.now()
    with transaction.atomic():
        # Rows a concurrent view opened meanwhile drop out here: each opening is recorded once.
        unopened = Submission.objects.select_for_update().filter(
            pk__in=list(candidates), order=order, customer_opened_at__isnull=True
        )
        pks = list(unopened.values_list("pk", flat=True))
        if not pks:
            return []
        Submission.objects.filter(pk__in=pks).update(customer_opened_at=now)
        opened = sorted((candidates[pk] for pk in pks), key=lambda s: s.number)
        for submission in opened:
            submission.customer_opened_at = now
        details = [{"submission": s.number} for s in opened]
        record_events(order, "delivery.opened", actor=actor, details=details)
    return opened


def mark_file_opened(file: OrderFile, *, actor: User) -> bool:
    """Reading a delivered file (downloading or previewing it) is opening its delivery."""
    return bool(file.submission_id) and mark_delivery_opened(file.submission, actor=actor)
