"""The quality loop around QC (docs/design.md, rule 3): reviewers claim a submission waiting in
QC so that two never review it at once, agents hand it to a reviewer; the expert appeals a
send-back, once per round, and an agent upholds or overturns it. None of it is the customer's
to see: they get 404, as for anything else of QC's."""

from typing import Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from atelier.accounts.services import user_by_email
from atelier.core.errors import NotAllowed
from atelier.orders import access, actions
from atelier.orders.models import Appeal

from . import schemas as s
from .pagination import Limit, paginate

router = Router(tags=["qc"])


# --- claims -----------------------------------------------------------------------------------


@router.post(
    "/submissions/{int:submission_id}/claim",
    response=s.ClaimOut,
    summary="Claim a submission waiting in QC (reviewers)",
)
def claim(request: HttpRequest, submission_id: int):
    """It is yours to review until `claimed_until` (claiming it again extends that); 409
    `claimed` while another reviewer holds it, `not_in_qc` once it is reviewed or replaced."""
    submission = access.get_submission_for(request.auth, submission_id)
    order = actions.claim_review(submission, actor=request.auth)
    return s.claim_out(order, submission)


@router.post(
    "/submissions/{int:submission_id}/release",
    response=s.ClaimOut,
    summary="Put a submission you hold back in the QC queue (reviewers)",
)
def release(request: HttpRequest, submission_id: int):
    """409 `not_claimed` when you do not hold it."""
    submission = access.get_submission_for(request.auth, submission_id)
    order = actions.release_review(submission, actor=request.auth)
    return s.claim_out(order, submission)


@router.post(
    "/submissions/{int:submission_id}/reviewer",
    response=s.ClaimOut,
    summary="Hand a submission waiting in QC to a reviewer, or back to the queue (agents)",
)
def assign_reviewer(request: HttpRequest, submission_id: int, payload: s.ReviewerIn):
    """Whoever holds it now: `{"reviewer": email}` holds it for the order's QC turnaround,
    `{"reviewer": null}` puts it back in the queue. 400 (field `reviewer`) for someone who is
    not an active QC reviewer who may review this order."""
    submission = access.get_submission_for(request.auth, submission_id)
    email = payload.reviewer
    reviewer = user_by_email(email, field="reviewer") if email is not None else None
    order = actions.assign_reviewer(submission, actor=request.auth, reviewer=reviewer)
    return s.claim_out(order, submission)


# --- appeals ----------------------------------------------------------------------------------


@router.post(
    "/submissions/{int:submission_id}/appeal",
    response={201: s.AppealOut},
    summary="Appeal QC's send-back (the expert, once per round)",
)
def appeal(request: HttpRequest, submission_id: int, payload: s.AppealIn):
    """Before submitting again; submitting again withdraws a pending appeal. 409
    `already_appealed` the second time, `not_sent_back` for work QC did not send back,
    `not_appealable` for an older round."""
    submission = access.get_submission_for(request.auth, submission_id)
    appeal = actions.appeal_review(submission, actor=request.auth, reason=payload.reason)
    return Status(201, s.appeal_out(appeal))


class AppealPage(Schema):
    items: list[s.AppealOut]
    next_cursor: str | None


class AppealFilters(Schema):
    status: Literal["pending", "upheld", "overturned", "withdrawn"] | None = None
    cursor: str | None = None
    limit: Limit = None


@router.get("/appeals", response=AppealPage, summary="Appeals: every one (agents), or yours")
def list_appeals(request: HttpRequest, filters: Query[AppealFilters]):
    """Newest first; `?status=pending` is what waits for an agent. Agents read every appeal;
    experts the appeals they made, reviewers those of their send-backs; customers none (403)."""
    user = request.auth
    appeals = Appeal.objects.select_related("review", "expert", "decided_by")
    if not user.is_agent:
        if not (user.is_expert or user.is_reviewer):
            raise NotAllowed("Appeals are for experts, QC reviewers and agents.")
        appeals = appeals.filter(
            Q(expert=user) | Q(review__reviewer=user),
            order__in=access.visible_orders(user),
        ).exclude(order__customer=user)  # QC's business is never the customer's (rule 3)
    if filters.status:
        appeals = appeals.filter(status=filters.status)
    return paginate(appeals, cursor=filters.cursor, limit=filters.limit, render=s.appeal_out)


@router.get("/appeals/{int:appeal_id}", response=s.AppealOut, summary="Read an appeal")
def get_appeal(request: HttpRequest, appeal_id: int):
    """For the order's expert, QC and agents; 404 for anyone else."""
    return s.appeal_out(access.get_appeal_for(request.auth, appeal_id))


@router.post(
    "/appeals/{int:appeal_id}/decide",
    response=s.AppealOut,
    summary="Uphold or overturn an appeal (agents)",
)
def decide_appeal(request: HttpRequest, appeal_id: int, payload: s.AppealDecisionIn):
    """`overturn` approves the submission and delivers it to the customer, as a QC approval
    would; `uphold` lets the send-back stand. 409 `appeal_decided` once decided or withdrawn."""
    appeal = access.get_appeal_for(request.auth, appeal_id)
    appeal = actions.decide_appeal(
        appeal, actor=request.auth, decision=payload.decision, reason=payload.reason
    )
    return s.appeal_out(appeal)
