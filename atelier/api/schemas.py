"""The API's request and response shapes (DESIGN.md, "Public API"). Fields named there may not
change; more are welcome. Responses are built by the `*_out` functions, which know the viewer."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from atelier.accounts.models import User
from atelier.core import clock
from atelier.core.money import MAX_AMOUNT
from atelier.orders import access, queries
from atelier.orders.clocks import order_clocks
from atelier.orders.models import (
    Comment,
    Event,
    FeeRequest,
    Flag,
    Invitation,
    Order,
    OrderFile,
    RevisionRequest,
    Submission,
)

Email = str

# What clients send is checked against the limits the database and the actions keep, and the
# document shows them: e-mail addresses as Django stores them, free text as the actions'
# clean_text() allows it (orders/actions/common.py), titles and memos as their columns.
EmailIn = Annotated[str, Field(max_length=254, examples=["customer@example.com"])]
LONG_TEXT = 20_000
NOTE_TEXT = 5_000
FileTitle = Annotated[str, Field(max_length=200)]


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
    }


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


class ReviewOut(Schema):
    decision: str
    comments: str
    reviewer: Email
    created_at: datetime


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


def submission_out(submission: Submission, viewer: User) -> dict[str, Any]:
    order = submission.order
    show_qc = viewer.is_agent or viewer.pk != order.customer_id
    # queries.visible_submissions names them already; a single one is named here.
    shown = getattr(submission, "shown", None) or queries.submission_names(
        viewer, order, [submission.number]
    ).get(submission.number, queries.SubmissionName(submission.number, submission.kind))
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
        "reviews": [
            {
                "decision": r.decision,
                "comments": r.comments,
                "reviewer": r.reviewer.email,
                "created_at": r.created_at,
            }
            for r in submission.reviews.all()
        ]
        if show_qc
        else [],
    }


class ReviewIn(Input):
    decision: Literal["approve", "revise"]
    comments: str = Field("", max_length=LONG_TEXT)


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
    triage: str
    triage_reason: str
    files: list[FileOut]
    created_at: datetime


def revision_request_out(request: RevisionRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "order": request.order_id,
        "status": request.status,
        "comments": request.comments,
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
