"""The API's request and response shapes (DESIGN.md, "Public API"). Fields named there may not
change; more are welcome. Responses are built by the `*_out` functions, which know the viewer."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema

from atelier.accounts.models import User
from atelier.orders import access
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


class Money(Schema):
    # Checked here too so that a bad amount is named where it is ("reward.amount", "fee.amount").
    amount: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2, examples=["120.00"])
    currency: str = Field("USD", min_length=3, max_length=3, examples=["USD"])


class ErrorDetail(Schema):
    code: str = Field(..., examples=["taken"])
    message: str
    field: str | None = None


class Error(Schema):
    error: ErrorDetail


# --- orders -------------------------------------------------------------------------------------


class OrderIn(Schema):
    service: str = Field(..., description="A service's slug, e.g. resume-writing.")
    customer: Email | None = Field(None, description="Agents only; customers order for themselves.")
    title: str
    instructions: str = ""
    assignment: Literal["direct", "booking", "speedy", "contest"] | None = Field(
        None, description="Agents only; customers get the service's flow."
    )
    qc_required: bool | None = None
    expert_may_close: bool | None = None
    reward: Money | None = Field(None, description="Agents only; default: the service's reward.")
    due_at: datetime | None = None


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
    closable_at: datetime | None = Field(None, description="Shown to the order's parties.")
    linked_order: int | None
    url: str = Field(..., description="The order's web page.")


def order_out(order: Order, viewer: User | None) -> dict[str, Any]:
    """The order as `viewer` may see it; `viewer=None` is the system's view (webhooks)."""
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
        "closable_at": order.closable_at
        if viewer is None or access.is_party(viewer, order)
        else None,
        "linked_order": order.linked_order_id,
        "url": f"{settings.ATELIER_BASE_URL}/orders/{order.pk}/",
    }


class AssignIn(Schema):
    expert: Email


class InviteIn(Schema):
    experts: list[Email] = Field(..., min_length=1)


class ReasonIn(Schema):
    reason: str


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
    number: int
    kind: Literal["draft", "revision"]
    notes: str
    files: list[FileOut]
    created_at: datetime
    delivered_at: datetime | None = Field(..., description="Null while it waits in QC.")
    customer_opened_at: datetime | None
    reviews: list[ReviewOut] = Field(..., description="QC reviews; never shown to the customer.")


def submission_out(submission: Submission, viewer: User) -> dict[str, Any]:
    order = submission.order
    show_qc = viewer.is_agent or viewer.pk != order.customer_id
    return {
        "id": submission.pk,
        "order": submission.order_id,
        "number": submission.number,
        "kind": submission.kind,
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


class ReviewIn(Schema):
    decision: Literal["approve", "revise"]
    comments: str = ""


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


class DeclineIn(Schema):
    reason: str = ""


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


class TriageIn(Schema):
    decision: Literal["in_scope", "fee", "rejected"]
    fee: Money | None = None
    reason: str = ""


class FeeRequestIn(Schema):
    amount: Decimal
    currency: str | None = Field(None, description="Default: the order's reward currency.")
    reason: str


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


class FeeDecisionIn(Schema):
    approve: bool
    note: str = ""


class FeeResponseIn(Schema):
    accept: bool


class FlagIn(Schema):
    kind: Literal["excessive_revisions", "completion_request", "concern"]
    note: str = ""


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


class ResolveIn(Schema):
    resolution: str = ""


class NoteIn(Schema):
    note: str = ""


class CommentIn(Schema):
    body: str


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


class CloseIn(Schema):
    message: str


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


class CreditIn(Schema):
    expert: Email
    amount: Decimal
    currency: str = "USD"
    memo: str
    order: int | None = None
    key: str | None = Field(
        None, max_length=60, description="Idempotency key: the same key credits once."
    )


class TokenIn(Schema):
    email: str
    password: str
    name: str = "API"


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
