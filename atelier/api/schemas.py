"""The API's request and response shapes (DESIGN.md, "Public API"). Fields named there may not
change; more are welcome. Responses are built by the `*_out` functions, which know the viewer."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, create_model
from pydantic_core import PydanticCustomError

from atelier.accounts.models import User
from atelier.catalog.checklists import MAX_POINT_LENGTH, MAX_POINTS
from atelier.core import clock
from atelier.core.money import MAX_AMOUNT
from atelier.orders import access, queries, ratings
from atelier.orders.actions.common import MAX_ITEM_LENGTH, MAX_ITEMS
from atelier.orders.clocks import order_clocks
from atelier.orders.models import (
    Appeal,
    Comment,
    Event,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    QCReview,
    Rating,
    RevisionItem,
    RevisionRequest,
    Submission,
)
from atelier.orders.workflow import S

Email = str

# What clients send is checked against the limits the database and the actions keep, and the
# document shows them: e-mail addresses as Django stores them, free text as the actions'
# clean_text() allows it (orders/actions/common.py), titles and memos as their columns.
EmailIn = Annotated[str, Field(max_length=254, examples=["customer@example.com"])]
LONG_TEXT = 20_000
NOTE_TEXT = 5_000
FileTitle = Annotated[str, Field(max_length=200)]
# The points of a revision request or a QC send-back, and the expert's note on each, as the
# actions keep them (orders/actions/common.py clean_items, submissions.py _answer_items).
ItemText = Annotated[str, Field(max_length=MAX_ITEM_LENGTH)]
ITEM_NOTE_TEXT = 2_000
ItemNote = Annotated[str, Field(max_length=ITEM_NOTE_TEXT)]
# A QC checklist as agents write it and reviewers mark it (catalog/checklists.py).
ChecklistPoint = Annotated[str, Field(max_length=MAX_POINT_LENGTH)]


class Input(Schema):
    """Every request body: a field it does not name is refused with a 400 naming it, never
    dropped, so a misspelt field cannot pass for an omitted one."""

    model_config = ConfigDict(extra="forbid")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Tt ]|$)")


def _iso_8601(value: Any) -> Any:
    # Pydantic alone also reads a number, or a numeric string ("0.5"), as seconds since 1970.
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise PydanticCustomError(
        "iso_8601", "Give a date and time in ISO 8601, such as 2026-04-01T09:00:00Z."
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# An ISO 8601 date and time; without an offset, UTC.
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_8601), AfterValidator(_aware)]


class Money(Schema):
    amount: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2, examples=["120.00"])
    currency: str = Field("USD", min_length=3, max_length=3, examples=["USD"])


class MoneyIn(Input):
    # Checked here too so that a bad amount is named where it is ("reward.amount", "fee.amount").
    amount: Decimal = Field(
        ..., ge=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2, examples=["120.00"]
    )
    currency: str = Field("USD", min_length=3, max_length=3, examples=["USD"])


class ErrorDetail(Schema):
    code: str = Field(..., examples=["taken"])
    message: str
    field: str | None = None


class Error(Schema):
    error: ErrorDetail


# --- orders -------------------------------------------------------------------------------------


class OrderIn(Input):
    service: str = Field(..., max_length=50, description="A service's slug, e.g. resume-writing.")
    customer: EmailIn | None = Field(
        None, description="Agents only; customers order for themselves."
    )
    title: str = Field(..., max_length=200)
    instructions: str = Field("", max_length=LONG_TEXT)
    assignment: Literal["direct", "booking", "speedy", "contest"] | None = Field(
        None, description="Agents only; customers get the service's flow."
    )
    qc_required: bool | None = None
    expert_may_close: bool | None = None
    reward: MoneyIn | None = Field(None, description="Agents only; default: the service's reward.")
    due_at: IsoDatetime | None = None
    linked_order: int | None = Field(
        None,
        ge=1,
        description="Agents only: the follow-up order (a translation's proofreading), offered "
        "to the pros who miss this one.",
    )


class ClockOut(Schema):
    name: Literal["due", "response", "closable", "qc", "reward_release", "extension"] = Field(
        ...,
        description="`due`: the delivery due date; `response`: when the order completes by "
        "itself if the customer does not answer the delivery; `closable`: when the expert may "
        "close (expert hub); `qc`: when QC should have reviewed the submission waiting for it; "
        "`reward_release`: when the expert's reward is released; `extension`: a request for "
        "more time waits for the customer's answer, due before the due date it would move.",
    )
    label: str = Field(..., description="The clock's name as pages show it.")
    at: datetime
    whose_move: Literal["customer", "expert", "reviewer", "agent"] | None = Field(
        ..., description="Whose move the clock waits for; null for a moment nobody acts on."
    )
    state: Literal["running", "due", "overdue", "paused", "done"] = Field(
        ...,
        description="`running`: more than a day left; `due`: less than a day left (or, for "
        "`closable`, the moment has come); `overdue`: passed; `paused`: stopped while the move "
        "is someone else's (an open revision request, fee or flag); `done`: it happened.",
    )
    countdown: str = Field(..., description='"in 2 days 4 h", "overdue by 3 h", "paused".')


class RatingOut(Schema):
    order: int
    service: str
    stars: int = Field(..., ge=1, le=5)
    text: str
    tip: Money | None = Field(..., description="The customer's tip to the expert, if any.")
    expert: Email
    created_at: datetime


def rating_out(rating: Rating, *, order: Order | None = None) -> dict[str, Any]:
    """`order`: the rating's order as already read (its service and expert selected)."""
    order = order or rating.order
    return {
        "order": order.pk,
        "service": order.service.slug,
        "stars": rating.stars,
        "text": rating.text,
        "tip": {"amount": rating.tip_amount, "currency": rating.tip_currency}
        if rating.tip_amount is not None
        else None,
        "expert": order.expert.email,
        "created_at": rating.created_at,
    }


class OrderOut(Schema):
    id: int
    title: str
    instructions: str
    service: str
    status: str
    assignment: str
    flow: str
    qc_required: bool
    expert_may_close: bool
    customer: Email | None = Field(..., description="Null for a pro who is only invited.")
    expert: Email | None
    reward: Money | None = Field(..., description="The expert's pay: for agents and pros only.")
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    closable_at: datetime | None = Field(
        None,
        description="When the expert may close it (rule 7), shown to the order's parties; "
        "null where the flow has no expert closing (writer portal, marketplace: the customer "
        "completes) and before the first delivery.",
    )
    linked_order: int | None
    url: str = Field(..., description="The order's web page.")
    clocks: list[ClockOut] = Field(
        ...,
        description="Every moment that applies to the order and to you, soonest first (those "
        "done last).",
    )
    rating: RatingOut | None = Field(
        None,
        description="The customer's rating of the completed order, for its customer, its "
        "expert and agents; null before it is rated (and for anyone else).",
    )


def order_out(order: Order, viewer: User | None) -> dict[str, Any]:
    """The order as `viewer` may see it; `viewer=None` is the system's view (webhooks)."""
    now = clock.now()
    return {
        "id": order.pk,
        "title": order.title,
        "instructions": order.instructions,
        "service": order.service.slug,
        "status": order.status,
        "assignment": order.assignment,
        "flow": order.flow,
        "qc_required": order.qc_required,
        "expert_may_close": order.expert_may_close,
        # A pro who is only invited reads the brief, as on the invitation page, not who wrote it.
        "customer": order.customer.email
        if viewer is None or access.is_party(viewer, order) or viewer.is_reviewer
        else None,
        "expert": order.expert.email if order.expert_id else None,
        "reward": {"amount": order.reward_amount, "currency": order.reward_currency}
        if viewer is None or access.may_see_reward(viewer, order)
        else None,
        "due_at": order.due_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "completed_at": order.completed_at,
        "closable_at": order.expert_closable_at
        if viewer is None or access.is_party(viewer, order)
        else None,
        "linked_order": order.linked_order_id,
        "url": f"{settings.ATELIER_BASE_URL}/orders/{order.pk}/",
        "clocks": [c.as_data(now) for c in order_clocks(order, viewer, now=now)],
        "rating": _order_rating(order, viewer),
    }


def _order_rating(order: Order, viewer: User | None) -> dict[str, Any] | None:
    # No query for an order that is not completed; none for a list, which selects the rating.
    rating = ratings.rating_for(viewer, order) if viewer is not None else None
    return rating_out(rating, order=order) if rating is not None else None


class AssignIn(Input):
    expert: EmailIn


class InviteIn(Input):
    experts: list[EmailIn] = Field(..., min_length=1)


class LinkIn(Input):
    linked_order: int | None = Field(
        ..., ge=1, description="The follow-up order's id; null unlinks."
    )


class ReasonIn(Input):
    reason: str = Field(..., max_length=LONG_TEXT)


class ReopenIn(ReasonIn):
    back_to: Literal["customer", "expert"] = Field(
        "customer",
        description="Where the work goes: `customer` (they complete it or ask for a revision; "
        "the default) or `expert` (they can submit a revision at once; the reason is the "
        "revision request they answer).",
    )


# --- files and submissions ----------------------------------------------------------------------


class FileOut(Schema):
    id: int
    title: str
    name: str
    size: int
    sha256: str
    content_type: str
    kind: str = Field(..., description="attachment, submission, revision_request or comment")
    created_at: datetime
    url: str = Field(..., description="Download it here (authenticated).")


def file_out(file: OrderFile) -> dict[str, Any]:
    path = reverse("api-1:download_file", kwargs={"file_id": file.pk})
    return {
        "id": file.pk,
        "title": file.title,
        "name": file.name,
        "size": file.size,
        "sha256": file.sha256,
        "content_type": file.content_type,
        "kind": file.kind,
        "created_at": file.created_at,
        "url": f"{settings.ATELIER_BASE_URL}{path}",
    }


class RevisionItemOut(Schema):
    id: int
    text: str
    addressed: bool = Field(
        ..., description="What the round that answered it said; false until it is answered."
    )
    note: str = Field(..., description="The expert's note on it, from that round.")
    answered_in: int | None = Field(
        ...,
        description="The submission that answered it; null until the expert's next round (and, "
        "for the customer, until that round is delivered to them).",
    )


def item_out(item: RevisionItem, *, round_shown: bool = True) -> dict[str, Any]:
    return {
        "id": item.pk,
        "text": item.text,
        "addressed": item.addressed,
        "note": item.note,
        "answered_in": item.answered_in_id if round_shown else None,
    }


# A scorecard's line, as reviewers send it: "pass" is a keyword in Python, hence the model made
# by name (an alias would not be used in answers: django-ninja dumps them without aliases).
MarkOut = create_model(
    "MarkOut",
    __base__=Schema,
    point=(str, ...),
    **{"pass": (bool, ...)},
    comment=(str, ...),
)


class AppealOut(Schema):
    id: int
    order: int
    submission: int
    review: int
    status: Literal["pending", "upheld", "overturned", "withdrawn"] = Field(
        ...,
        description="`pending` until an agent decides; `withdrawn` when the expert submitted "
        "again meanwhile.",
    )
    reason: str
    expert: Email
    created_at: datetime
    decision_reason: str
    decided_by: Email | None
    decided_at: datetime | None


def appeal_out(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": appeal.pk,
        "order": appeal.order_id,
        "submission": appeal.review.submission_id,
        "review": appeal.review_id,
        "status": appeal.status,
        "reason": appeal.reason,
        "expert": appeal.expert.email,
        "created_at": appeal.created_at,
        "decision_reason": appeal.decision_reason,
        "decided_by": appeal.decided_by.email if appeal.decided_by_id else None,
        "decided_at": appeal.decided_at,
    }


class ReviewOut(Schema):
    id: int
    decision: str
    comments: str
    reviewer: Email
    created_at: datetime
    scorecard: list[MarkOut] = Field(
        ..., description="The order's QC checklist as marked; empty when none was."
    )
    override_reason: str = Field(
        ..., description="Why the reviewer decided against the scorecard; empty when they did not."
    )
    items: list[RevisionItemOut] = Field(
        ..., description="A send-back's points, each answered by the expert's next round."
    )
    appeal: AppealOut | None = Field(..., description="The expert's appeal of a send-back.")


def review_out(review: QCReview) -> dict[str, Any]:
    """For those who may read QC's reviews (access.may_see_scorecard), never the customer."""
    appeal = getattr(review, "appeal", None)  # reverse one-to-one: missing raises AttributeError
    return {
        "id": review.pk,
        "decision": review.decision,
        "comments": review.comments,
        "reviewer": review.reviewer.email,
        "created_at": review.created_at,
        "scorecard": review.scorecard,
        "override_reason": review.override_reason,
        "items": [item_out(item) for item in review.items.all()],
        "appeal": appeal_out(appeal) if appeal is not None else None,
    }


class ClaimOut(Schema):
    submission: int
    reviewer: Email | None = Field(..., description="Who holds it; null: it is in the queue.")
    claimed_until: datetime | None = Field(
        ..., description="When the hold runs out and any reviewer may take it."
    )


def claim_out(order: Order, submission: Submission) -> dict[str, Any]:
    """Who holds `submission`, waiting in QC, from `order`'s claim (one that ran out holds
    nothing)."""
    until = order.qc_claimed_until
    held = order.qc_reviewer_id is not None and until is not None and until > clock.now()
    return {
        "submission": submission.pk,
        "reviewer": order.qc_reviewer.email if held else None,
        "claimed_until": until if held else None,
    }


class SubmissionOut(Schema):
    id: int
    order: int
    number: int = Field(
        ...,
        description="Its place in the history as the caller counts it: the customer counts "
        "the deliveries that reached them (QC's rounds are not theirs to see), everyone else "
        "every submission.",
    )
    kind: Literal["draft", "revision"] = Field(..., description="The first is the draft.")
    notes: str
    files: list[FileOut]
    created_at: datetime
    delivered_at: datetime | None = Field(..., description="Null while it waits in QC.")
    customer_opened_at: datetime | None
    reviews: list[ReviewOut] = Field(..., description="QC reviews; never shown to the customer.")
    answers: list[RevisionItemOut] = Field(
        ...,
        description="The points this round answered (of the revision request it answers, and "
        "for all but the customer of QC's send-back), each as the expert marked it.",
    )
    claim: ClaimOut | None = Field(
        None,
        description="While it waits in QC, who holds it to review and until when (for all but "
        "the customer); null otherwise.",
    )


def submission_out(submission: Submission, viewer: User) -> dict[str, Any]:
    """`prefetch_submission_parts` reads what this does for a list in a few queries."""
    order = submission.order
    show_qc = access.may_see_scorecard(viewer, order)
    # queries.visible_submissions names them already; a single one is named here.
    shown = getattr(submission, "shown", None) or queries.submission_names(
        viewer, order, [submission.number]
    ).get(submission.number, queries.SubmissionName(submission.number, submission.kind))
    reviews = list(submission.reviews.all()) if show_qc else []
    waiting = submission.delivered_at is None and not reviews and order.status == S.IN_QC
    return {
        "id": submission.pk,
        "order": submission.order_id,
        "number": shown.number,
        "kind": shown.kind,
        "notes": submission.notes,
        "files": [file_out(f) for f in submission.files.all()],
        "created_at": submission.created_at,
        "delivered_at": submission.delivered_at,
        "customer_opened_at": submission.customer_opened_at,
        "reviews": [review_out(r) for r in reviews],
        # QC's points are never the customer's (rule 3): only their own request's.
        "answers": [
            item_out(item)
            for item in submission.answered_items.all()
            if show_qc or item.request_id is not None
        ],
        "claim": claim_out(order, submission) if show_qc and waiting else None,
    }


def prefetch_submission_parts(submissions: list[Submission], viewer: User, order: Order) -> None:
    """What `submission_out` reads of each of `order`'s `submissions`, in one query per part
    however many there are (QC's reviews as queries.visible_submissions fetched them)."""
    lookups: list[Any] = ["answered_items"]
    if access.may_see_scorecard(viewer, order):
        appeals = Appeal.objects.select_related("expert", "decided_by")
        lookups += ["reviews__items", Prefetch("reviews__appeal", queryset=appeals)]
    prefetch_related_objects(submissions, *lookups)


class MarkIn(Input):
    point: ChecklistPoint = Field(..., description="A point of the order's QC checklist.")
    passed: bool = Field(..., alias="pass")
    comment: str = Field(
        "", max_length=ITEM_NOTE_TEXT, description="Evidence: required for a failed point."
    )


class ReviewIn(Input):
    decision: Literal["approve", "revise"] | None = Field(
        None,
        description="Optional with a scorecard, which decides by itself (a failed point sends "
        "the work back); deciding against it needs `override_reason`.",
    )
    comments: str = Field("", max_length=LONG_TEXT)
    scorecard: list[MarkIn] | None = Field(
        None,
        max_length=MAX_POINTS,
        description="Every point of the order's QC checklist, marked once: "
        '`{"point", "pass": true|false, "comment"}`.',
    )
    override_reason: str = Field(
        "", max_length=LONG_TEXT, description="Why the decision goes against the scorecard."
    )
    items: list[ItemText] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="A send-back's points for the expert besides the failed checks; without "
        "them, `comments` is split into points (one per line or bullet).",
    )


class AppealIn(Input):
    reason: str = Field(..., max_length=NOTE_TEXT)


class AppealDecisionIn(Input):
    decision: Literal["uphold", "overturn"] = Field(
        ...,
        description="`uphold`: the send-back stands; `overturn`: the submission is approved "
        "and delivered to the customer.",
    )
    reason: str = Field(..., max_length=NOTE_TEXT)


class ReviewerIn(Input):
    reviewer: EmailIn | None = Field(
        ..., description="The QC reviewer to hand it to; null puts it back in the queue."
    )


# --- invitations --------------------------------------------------------------------------------


class InvitationOut(Schema):
    id: int
    order: int
    order_title: str
    service: str
    expert: Email
    status: str
    reward: Money
    created_at: datetime
    responded_at: datetime | None


def invitation_out(invitation: Invitation) -> dict[str, Any]:
    order = invitation.order
    return {
        "id": invitation.pk,
        "order": order.pk,
        # A pro who missed the order loses its details (rule 1), as on the invitation page.
        "order_title": "" if invitation.status == Invitation.Status.TAKEN else order.title,
        "service": order.service.slug,
        "expert": invitation.expert.email,
        "status": invitation.status,
        "reward": {"amount": order.reward_amount, "currency": order.reward_currency},
        "created_at": invitation.created_at,
        "responded_at": invitation.responded_at,
    }


class DeclineIn(Input):
    reason: str = Field("", max_length=LONG_TEXT)


# --- revisions, fees, flags, comments, events ---------------------------------------------------


class RevisionRequestOut(Schema):
    id: int
    order: int
    status: str
    comments: str
    items: list[RevisionItemOut] = Field(
        ..., description="What should change, point by point, in the order asked."
    )
    triage: str
    triage_reason: str
    files: list[FileOut]
    created_at: datetime


# What revision_request_out reads of a request's points: the round that answered each too.
REVISION_ITEMS = Prefetch("items", queryset=RevisionItem.objects.select_related("answered_in"))


def revision_request_out(request: RevisionRequest, viewer: User) -> dict[str, Any]:
    """The request as `viewer` reads it: the customer learns which round answered a point
    only once that round reached them (QC's rounds are not theirs to count, rule 3)."""
    qc = access.may_see_scorecard(viewer, request.order)
    return {
        "id": request.pk,
        "order": request.order_id,
        "status": request.status,
        "comments": request.comments,
        "items": [
            item_out(
                item,
                round_shown=qc
                or item.answered_in_id is None
                or item.answered_in.delivered_at is not None,
            )
            for item in request.items.all()
        ],
        "triage": request.triage,
        "triage_reason": request.triage_reason,
        "files": [file_out(f) for f in request.files.all()],
        "created_at": request.created_at,
    }


class TriageIn(Input):
    decision: Literal["in_scope", "fee", "rejected"]
    fee: MoneyIn | None = None
    reason: str = Field("", max_length=LONG_TEXT)


class FeeRequestIn(Input):
    amount: Decimal = Field(
        ..., gt=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2, examples=["25.00"]
    )
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="Default: the order's reward currency."
    )
    reason: str = Field(..., max_length=LONG_TEXT)


class FeeRequestOut(Schema):
    id: int
    order: int
    status: str
    amount: Decimal
    currency: str
    reason: str
    revision_request: int | None
    decision_note: str
    created_at: datetime


def fee_out(fee: FeeRequest) -> dict[str, Any]:
    return {
        "id": fee.pk,
        "order": fee.order_id,
        "status": fee.status,
        "amount": fee.amount,
        "currency": fee.currency,
        "reason": fee.reason,
        "revision_request": fee.revision_request_id,
        "decision_note": fee.decision_note,
        "created_at": fee.created_at,
    }


class TipIn(Input):
    amount: Decimal = Field(
        ..., gt=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2, examples=["10.00"]
    )
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="Default: the order's reward currency."
    )


class RatingIn(Input):
    stars: int = Field(..., ge=1, le=5)
    text: str = Field("", max_length=NOTE_TEXT)
    tip: TipIn | None = Field(
        None, description="A tip to the expert, released like a reward; null for none."
    )


class ExtensionIn(Input):
    due_at: IsoDatetime = Field(..., description="The new due date: after the current one.")
    reason: str = Field(..., max_length=LONG_TEXT)


class ExtensionAnswerIn(Input):
    accept: bool = Field(..., description="true: the order's due date moves; false: it stays.")
    note: str = Field("", max_length=LONG_TEXT)


class ExtensionOut(Schema):
    id: int
    order: int
    status: Literal["pending", "accepted", "declined"]
    round: int = Field(..., description="Deliveries the customer had when it was asked.")
    due_at_before: datetime
    requested_due_at: datetime
    reason: str
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


def extension_out(extension) -> dict[str, Any]:
    return {
        "id": extension.pk,
        "order": extension.order_id,
        "status": extension.status,
        "round": extension.round,
        "due_at_before": extension.due_at_before,
        "requested_due_at": extension.requested_due_at,
        "reason": extension.reason,
        "decision_note": extension.decision_note,
        "created_at": extension.created_at,
        "decided_at": extension.decided_at,
    }


class FeeDecisionIn(Input):
    approve: bool
    note: str = Field("", max_length=LONG_TEXT)


class FeeResponseIn(Input):
    accept: bool


class FlagIn(Input):
    kind: Literal["excessive_revisions", "completion_request", "concern"]
    note: str = Field("", max_length=NOTE_TEXT)


class FlagOut(Schema):
    id: int
    order: int
    kind: str
    note: str
    raised_by: Email | None
    created_at: datetime
    resolved_at: datetime | None
    resolution: str


def flag_out(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.pk,
        "order": flag.order_id,
        "kind": flag.kind,
        "note": flag.note,
        "raised_by": flag.raised_by.email if flag.raised_by_id else None,
        "created_at": flag.created_at,
        "resolved_at": flag.resolved_at,
        "resolution": flag.resolution,
    }


class ResolveIn(Input):
    resolution: str = Field("", max_length=LONG_TEXT)


class NoteIn(Input):
    note: str = Field("", max_length=NOTE_TEXT)


class CommentIn(Input):
    body: str = Field(..., max_length=LONG_TEXT)


class CommentOut(Schema):
    id: int
    order: int
    author: Email
    body: str
    files: list[FileOut]
    created_at: datetime


def comment_out(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "order": comment.order_id,
        "author": comment.author.email,
        "body": comment.body,
        "files": [file_out(f) for f in comment.files.all()],
        "created_at": comment.created_at,
    }


class EventOut(Schema):
    id: int
    verb: str = Field(..., examples=["invitation.accepted"])
    actor: Email | None
    from_status: str
    to_status: str
    details: dict[str, Any]
    created_at: datetime


class TimelineEventOut(EventOut):
    text: str = Field(
        ...,
        description="The event as a sentence for the caller (the order page's timeline).",
        examples=["Anna delivered draft 1."],
    )


class LogEventOut(EventOut):
    order: int
    seq: int = Field(..., description="The event's place in the log: it only grows.")


def event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "verb": event.verb,
        "actor": event.actor.email if event.actor_id else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "details": event.details,
        "created_at": event.created_at,
    }


# --- closing ------------------------------------------------------------------------------------


class CloseInfoOut(Schema):
    closable: bool
    closable_at: datetime | None
    reason: str
    needs_agent: bool
    blockers: list[str]
    final_documents: list[FileOut]
    farewell_template: str


class CloseIn(Input):
    message: str = Field(..., max_length=LONG_TEXT)


# --- ledger and tokens --------------------------------------------------------------------------


class LedgerEntryOut(Schema):
    id: int
    kind: str
    amount: Decimal
    currency: str
    order: int | None
    memo: str
    release_at: datetime | None
    created_at: datetime


class BalanceOut(Schema):
    currency: str
    pending: Decimal
    available: Decimal


class LedgerOut(Schema):
    expert: Email
    balances: list[BalanceOut]
    items: list[LedgerEntryOut]
    next_cursor: str | None


class CreditIn(Input):
    expert: EmailIn
    amount: Decimal = Field(
        ..., gt=0, le=MAX_AMOUNT, max_digits=12, decimal_places=2, examples=["10.00"]
    )
    currency: str = Field("USD", min_length=3, max_length=3)
    memo: str = Field(..., max_length=300)
    order: int | None = None
    key: str | None = Field(
        None, max_length=60, description="Idempotency key: the same key credits once."
    )


class TokenIn(Input):
    email: EmailIn
    password: str = Field(..., max_length=4096)
    name: str = Field("API", max_length=100)
    code: str | None = Field(None, description="Agents: the current code of their authenticator.")


class TokenOut(Schema):
    token: str = Field(..., description="Send it as `Authorization: Bearer <token>`. Shown once.")
    id: int
    name: str
    user: Email
    roles: list[str]


class MeOut(Schema):
    email: Email
    name: str
    roles: list[str]
