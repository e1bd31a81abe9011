"""Submissions, QC and delivery: DESIGN rules 2, 3 and 6.

A delivery also moves the expert's closing moment (rule 7), and a QC order's reward is earned at
its first approval (rule 11).
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
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
from ..models import Order, OrderFile, QCReview, RevisionItem, RevisionRequest, Submission
from ..workflow import S, lock_order, transition
from .common import (
    Upload,
    as_list,
    clean_items,
    clean_text,
    delivered_status,
    order_link,
    precheck,
    require_claim_open_to,
    require_open_to,
    require_status,
    response_clock,
    rework_claim,
    stage_files,
    store_files,
    withdraw_pending_appeal,
    write_items,
)


def submit_work(
    order: Order,
    *,
    actor: User,
    files: Sequence[Upload],
    notes: str = "",
    addressed: Collection[int] = (),
    item_notes: Mapping[int, str] | None = None,
) -> Submission:
    """The expert's next round: files, notes, and for each point of the revision request or
    QC send-back it answers (queries.open_items), whether it is `addressed` (item ids) and an
    optional note (`item_notes`, by item id)."""

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
        answering = queries.open_items(order)  # before this round becomes the latest
        submission = Submission.objects.create(
            order=order,
            expert=actor,
            number=number,
            kind=Submission.Kind.DRAFT if number == 1 else Submission.Kind.REVISION,
            notes=notes,
            created_at=clock.now(),
        )
        store_files(order, staged, actor=actor, submission=submission)
        _answer_items(answering, submission, addressed, item_notes or {})
        withdraw_pending_appeal(order, actor=actor, submission=submission)
        if order.qc_required:
            # After QC sent the last one back, this is a round the customer does not see.
            resubmitted = previous is not None and previous.delivered_at is None
            transition(
                order,
                S.IN_QC,
                actor=actor,
                verb="submission.sent_to_qc",
                fields=rework_claim(order, resubmitted=resubmitted),
                submission=number,
                resubmitted=resubmitted,
            )
        else:
            record_event(order, "submission.created", actor=actor, submission=number)
            deliver(order, submission, actor=actor)
        return submission


def _answer_items(
    items: list[RevisionItem],
    submission: Submission,
    addressed: Collection[int],
    notes: Mapping[int, str],
) -> None:
    """This round answers every open point: addressed or not, with the expert's note."""
    known = {item.pk for item in items}
    addressed = set(addressed)
    unknown = (addressed | set(notes)) - known
    if unknown:
        raise InvalidInput(
            "Mark only the points of the revision request this round answers.", field="addressed"
        )
    now = clock.now()
    for item in items:
        item.answered_in, item.addressed, item.updated_at = submission, item.pk in addressed, now
        item.note = clean_text(
            notes.get(item.pk, ""), "addressed_notes", "A note", required=False, limit=2000
        )
    RevisionItem.objects.bulk_update(items, ["answered_in", "addressed", "note", "updated_at"])


@transaction.atomic
def review_submission(
    submission: Submission,
    *,
    actor: User,
    decision: str | None = None,
    comments: str = "",
    scorecard: Sequence[rules.Mark] | None = None,
    override_reason: str = "",
    items: Sequence[str] | None = None,
) -> QCReview:
    """A reviewer's verdict. With the service's checklist marked (`scorecard`), the decision
    follows from it (a failed point sends the work back) unless the reviewer decides otherwise
    and says why (`override_reason`). A send-back's points are the failed checks and `items`
    (or `comments` split into points); the expert's next round answers each."""
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
    require_claim_open_to(order, actor)
    marks = _clean_scorecard(order.policy.qc_checklist, scorecard)
    card_says = rules.scorecard_decision(marks) if marks is not None else None
    decision = decision or card_says
    if decision not in QCReview.Decision.values:
        raise InvalidInput("Decide approve or revise.", field="decision")
    overridden = card_says is not None and decision != card_says
    override_reason = clean_text(
        override_reason if overridden else "",
        "override_reason",
        "A reason to decide against the scorecard",
        required=overridden,
    )
    comments = clean_text(comments, "comments", "Comments", required=False)
    points: list[str] = []
    if decision == QCReview.Decision.REVISE:
        failed = [f"{m.point}: {m.comment}" for m in marks or () if not m.passed]
        points = failed + clean_items(items, comments, required=not failed)
    review = QCReview.objects.create(
        submission=submission,
        reviewer=actor,
        decision=decision,
        comments=comments or as_list(points),
        scorecard=[{"point": m.point, "pass": m.passed, "comment": m.comment} for m in marks or ()],
        override_reason=override_reason,
        created_at=clock.now(),
    )
    # The reviewer is remembered (a send-back's rework returns to them); the claim is spent.
    Order.objects.filter(pk=order.pk).update(qc_reviewer=actor, qc_claimed_until=None)
    order.qc_reviewer, order.qc_claimed_until = actor, None
    verdict = {"overridden": True} if overridden else {}
    if decision == QCReview.Decision.APPROVE:
        record_event(order, "qc.approved", actor=actor, submission=submission.number, **verdict)
        deliver(order, submission, actor=actor)
        rewards.earn_reward(order)  # rule 11: earned at the first QC approval
    else:
        write_items(points, review=review)
        back_to = S.IN_PROGRESS if order.first_delivered_at is None else S.REVISION_REQUESTED
        transition(
            order,
            back_to,
            actor=actor,
            verb="qc.revision_requested",
            submission=submission.number,
            **verdict,
        )
        notify(
            "qc_revision_requested",
            [order.expert],
            order=order,
            order_url=order_link(order),
            submission=submission.number,
            comments=review.comments,
            items=points,
        )
    return review


def _clean_scorecard(
    checklist: Sequence[str], scorecard: Sequence[rules.Mark] | None
) -> list[rules.Mark] | None:
    """The scorecard in the checklist's order: every point marked once, nothing else, and a
    comment as evidence for every failed point. None when no card was given (or the service
    has no checklist and the card is empty)."""
    if scorecard is None or (not checklist and not scorecard):
        return None
    by_point: dict[str, rules.Mark] = {}
    for mark in scorecard:
        if mark.point not in checklist:
            raise InvalidInput(
                f"“{mark.point}” is not a point of this order's QC checklist.", field="scorecard"
            )
        if mark.point in by_point:
            raise InvalidInput(f"“{mark.point}” is marked twice.", field="scorecard")
        comment = clean_text(mark.comment, "scorecard", "A comment", required=False, limit=2000)
        if not mark.passed and not comment:
            raise InvalidInput(
                f"Say what fails “{mark.point}”: a failed point needs a comment as evidence.",
                field="scorecard",
            )
        by_point[mark.point] = rules.Mark(mark.point, mark.passed, comment)
    missing = [point for point in checklist if point not in by_point]
    if missing:
        raise InvalidInput(
            f"Mark every point of the checklist: “{missing[0]}” is not marked.", field="scorecard"
        )
    return [by_point[point] for point in checklist]


def deliver(order: Order, submission: Submission, *, actor: User | None) -> Order:
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
