"""Endpoints on the parts of an order: invitations, submissions, revision requests, fee
requests and flags. Each is fetched so that an outsider gets a 404."""

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from atelier.orders import access, actions, rules
from atelier.orders.models import ExtensionRequest, FeeRequest, Flag, Invitation, RevisionRequest

from . import schemas as s
from .pagination import Limit, paginate

router = Router()


class InvitationPage(Schema):
    items: list[s.InvitationOut]
    next_cursor: str | None


class InvitationFilters(Schema):
    status: str | None = None
    cursor: str | None = None
    limit: Limit = None


@router.get("/invitations", response=InvitationPage, tags=["invitations"], summary="My invitations")
def my_invitations(request: HttpRequest, filters: Query[InvitationFilters]):
    """The invitations sent to you, newest first (filter by `status`, e.g. pending)."""
    invitations = Invitation.objects.filter(expert=request.auth).select_related(
        "order", "order__service", "expert"
    )
    if filters.status:
        invitations = invitations.filter(status=filters.status)
    return paginate(
        invitations, cursor=filters.cursor, limit=filters.limit, render=s.invitation_out
    )


@router.post(
    "/invitations/{int:invitation_id}/accept",
    response={200: s.OrderOut, 409: s.Error},
    tags=["invitations"],
    summary="Accept (first accept wins; 409 when taken)",
)
def accept(request: HttpRequest, invitation_id: int):
    invitation = access.get_invitation_for(request.auth, invitation_id)
    order = actions.accept_invitation(invitation, actor=request.auth)
    return Status(200, s.order_out(access.get_order_for(request.auth, order.pk), request.auth))


@router.post(
    "/invitations/{int:invitation_id}/decline",
    response=s.InvitationOut,
    tags=["invitations"],
    summary="Decline",
)
def decline(request: HttpRequest, invitation_id: int, payload: s.DeclineIn | None = None):
    invitation = access.get_invitation_for(request.auth, invitation_id)
    reason = payload.reason if payload else ""
    invitation = actions.decline_invitation(invitation, actor=request.auth, reason=reason)
    return s.invitation_out(invitation)


@router.get(
    "/submissions/{int:submission_id}",
    response=s.SubmissionOut,
    tags=["submissions"],
    summary="Read a submission",
)
def get_submission(request: HttpRequest, submission_id: int):
    return _submission_out(request, submission_id)


def _submission_out(request: HttpRequest, submission_id: int) -> dict:
    """The submission as the caller may see it now."""
    return s.submission_out(access.get_submission_for(request.auth, submission_id), request.auth)


@router.post(
    "/submissions/{int:submission_id}/open",
    response=s.SubmissionOut,
    tags=["submissions"],
    summary="Open a delivery (the customer)",
)
def open_delivery(request: HttpRequest, submission_id: int):
    """The customer has read this delivery (rule 8: until they have, its expert may not close
    alone), as viewing it on the order page or downloading one of its files says too. Listing
    submissions does not. The first opening is kept; opening again changes nothing."""
    user = request.auth
    submission = access.get_submission_for(user, submission_id)
    order = submission.order
    access.authorize(
        user, order, access.may_open_delivery(user, order), "Only the customer opens a delivery."
    )
    actions.mark_delivery_opened(submission, actor=user)
    return s.submission_out(submission, user)


@router.post(
    "/submissions/{int:submission_id}/review",
    response={201: s.SubmissionOut},
    tags=["submissions"],
    summary="QC: approve, or send back point by point (with the scorecard)",
)
def review(request: HttpRequest, submission_id: int, payload: s.ReviewIn):
    """With the order's QC checklist marked (`scorecard`), `decision` may be left out: a
    failed point sends the work back. Deciding against the card needs `override_reason`. A
    send-back's points are the failed checks and `items` (or `comments`, split into points).
    409 `claimed` while another reviewer holds the submission."""
    submission = access.get_submission_for(request.auth, submission_id)
    card = payload.scorecard
    marks = None if card is None else [rules.Mark(m.point, m.passed, m.comment) for m in card]
    actions.review_submission(
        submission,
        actor=request.auth,
        decision=payload.decision,
        comments=payload.comments,
        scorecard=marks,
        override_reason=payload.override_reason,
        items=payload.items,
    )
    return Status(201, _submission_out(request, submission_id))


@router.post(
    "/revision-requests/{int:request_id}/triage",
    response=s.RevisionRequestOut,
    tags=["revisions"],
    summary="Triage a revision request (agents)",
)
def triage(request: HttpRequest, request_id: int, payload: s.TriageIn):
    revision = access.get_order_part_for(
        request.auth, RevisionRequest, request_id, name="revision request"
    )
    revision = actions.triage_revision(
        revision,
        actor=request.auth,
        decision=payload.decision,
        reason=payload.reason,
        fee_amount=payload.fee.amount if payload.fee else None,
        fee_currency=payload.fee.currency if payload.fee else None,
    )
    return s.revision_request_out(revision, request.auth)


@router.post(
    "/fee-requests/{int:fee_id}/decision",
    response=s.FeeRequestOut,
    tags=["fees"],
    summary="Approve (quote to the customer) or reject an expert's fee request (agents)",
)
def decide_fee(request: HttpRequest, fee_id: int, payload: s.FeeDecisionIn):
    fee = access.get_order_part_for(request.auth, FeeRequest, fee_id, name="fee request")
    fee = actions.decide_fee(fee, actor=request.auth, approve=payload.approve, note=payload.note)
    return s.fee_out(fee)


@router.post(
    "/fee-requests/{int:fee_id}/response",
    response=s.FeeRequestOut,
    tags=["fees"],
    summary="Accept or decline a quoted fee (the customer)",
)
def respond_to_fee(request: HttpRequest, fee_id: int, payload: s.FeeResponseIn):
    fee = access.get_order_part_for(request.auth, FeeRequest, fee_id, name="fee request")
    return s.fee_out(actions.respond_to_fee(fee, actor=request.auth, accept=payload.accept))


@router.post(
    "/flags/{int:flag_id}/resolve",
    response=s.FlagOut,
    tags=["flags"],
    summary="Resolve a flag (agents)",
)
def resolve_flag(request: HttpRequest, flag_id: int, payload: s.ResolveIn):
    flag = access.get_order_part_for(request.auth, Flag, flag_id, name="flag")
    return s.flag_out(actions.resolve_flag(flag, actor=request.auth, resolution=payload.resolution))


@router.post(
    "/extensions/{int:extension_id}/answer",
    response=s.ExtensionOut,
    tags=["clocks"],
    summary="Give more time or decline (the customer or an agent)",
)
def answer_extension(request: HttpRequest, extension_id: int, payload: s.ExtensionAnswerIn):
    extension = access.get_order_part_for(
        request.auth, ExtensionRequest, extension_id, name="request for more time"
    )
    extension = actions.answer_extension(
        extension, actor=request.auth, accept=payload.accept, note=payload.note
    )
    return s.extension_out(extension)
