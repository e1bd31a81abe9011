"""`/orders`: create, list, read, and everything done to one order. Each endpoint fetches with
the same access helper as the pages and calls the same action."""

from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from atelier.accounts.services import customer_by_email, user_by_email
from atelier.catalog.models import Service
from atelier.core.errors import InvalidInput, NotAllowed, NotFound
from atelier.orders import access, actions, downloads, queries
from atelier.orders.clocks import with_clock_facts
from atelier.orders.models import FLOW_PRESETS, Order
from atelier.orders.timeline import timeline

from . import schemas as s
from .pagination import Limit, paginate
from .params import FormOrJson

router = Router(tags=["orders"])

AGENT_ONLY_FIELDS = (
    "customer",
    "assignment",
    "qc_required",
    "expert_may_close",
    "reward",
    "linked_order",
)


class Page(Schema):
    items: list[s.OrderOut]
    next_cursor: str | None


class OrderFilters(Schema):
    status: list[str] | None = None
    role: Literal["customer", "expert", "reviewer", "agent"] | None = None
    flow: Literal["writer_portal", "expert_hub", "marketplace"] | None = None
    updated_since: s.IsoDatetime | None = Field(
        None, description="ISO 8601, e.g. 2026-04-01T09:00:00Z; without an offset, UTC."
    )
    cursor: str | None = None
    limit: Limit = None


def _uploads(files, titles=()) -> list[actions.Upload]:
    titles = list(titles or [])
    if len(titles) > len(files):
        raise InvalidInput("There are more titles than files.", field="titles")
    titles += [""] * (len(files) - len(titles))
    return [actions.Upload(f, title) for f, title in zip(files, titles, strict=True)]


def _order_to_link(user, pk: int) -> Order:
    """The order `pk` if `user` may see it; else the same 404 as for one that does not exist."""
    try:
        return access.get_order_for(user, pk)
    except NotFound:
        raise NotFound("No such order.", field="linked_order") from None


def _service(slug: str) -> Service:
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise InvalidInput(f"There is no service “{slug}”.", field="service")
    return service


@router.post("", response={201: s.OrderOut, 404: s.Error}, summary="Create an order")
@transaction.atomic
def create_order(request: HttpRequest, payload: s.OrderIn):
    """Customers order for themselves and get the service's flow and reward; agents name the
    customer (created, without a password, if new) and may set every field, `linked_order`
    included (404 when there is no such order)."""
    user = request.auth
    service = _service(payload.service)
    if not user.is_agent:
        given = [name for name in AGENT_ONLY_FIELDS if getattr(payload, name) is not None]
        if given and not (given == ["customer"] and payload.customer.lower() == user.email):
            raise NotAllowed(f"Only agents set {given[0]}.", code="agent_only", field=given[0])
        order = actions.place_order(
            actor=user,
            service=service,
            title=payload.title,
            instructions=payload.instructions,
            due_at=payload.due_at,
        )
        return Status(201, s.order_out(order, user))
    if not payload.customer:
        raise InvalidInput("Name the customer by e-mail.", field="customer")
    linked = _order_to_link(user, payload.linked_order) if payload.linked_order else None
    preset = FLOW_PRESETS[service.flow]
    reward = payload.reward or s.Money(
        amount=service.reward_amount, currency=service.reward_currency
    )
    order = actions.create_order(
        actor=user,
        customer=customer_by_email(payload.customer),
        service=service,
        title=payload.title,
        instructions=payload.instructions,
        assignment=payload.assignment or preset["assignment"],
        qc_required=preset["qc_required"] if payload.qc_required is None else payload.qc_required,
        expert_may_close=preset["expert_may_close"]
        if payload.expert_may_close is None
        else payload.expert_may_close,
        reward_amount=reward.amount,
        reward_currency=reward.currency,
        due_at=payload.due_at,
    )
    if linked is not None:
        order = actions.link_order(order, actor=user, linked=linked)
    return Status(201, s.order_out(order, user))


@router.get("", response=Page, summary="List the orders you may see")
def list_orders(request: HttpRequest, filters: Query[OrderFilters]):
    """Newest first. `role` narrows to the orders where you are that party (`agent`: all);
    pass `next_cursor` back as `cursor` for the next page."""
    user = request.auth
    orders = with_clock_facts(access.visible_orders(user)).select_related(
        "service", "customer", "expert", "rating"
    )
    if filters.status:
        unknown = set(filters.status) - set(Order.Status.values)
        if unknown:
            raise InvalidInput(f"Unknown status “{sorted(unknown)[0]}”.", field="status")
        orders = orders.filter(status__in=filters.status)
    if filters.role == "customer":
        orders = orders.filter(customer=user)
    elif filters.role == "expert":
        orders = orders.filter(expert=user)
    elif filters.role == "reviewer":
        orders = orders.filter(qc_required=True) if user.is_reviewer else orders.none()
    elif filters.role == "agent" and not user.is_agent:
        orders = orders.none()
    if filters.flow:
        orders = orders.filter(_flow_q(filters.flow))
    if filters.updated_since:
        orders = orders.filter(updated_at__gte=filters.updated_since)
    return paginate(
        orders, cursor=filters.cursor, limit=filters.limit, render=lambda o: s.order_out(o, user)
    )


def _flow_q(flow: str) -> Q:
    if flow == Order.Flow.MARKETPLACE:
        return ~Q(assignment=Order.Assignment.DIRECT)
    return Q(assignment=Order.Assignment.DIRECT, expert_may_close=flow == Order.Flow.EXPERT_HUB)


@router.get("/{int:order_id}", response=s.OrderOut, summary="Read an order")
def get_order(request: HttpRequest, order_id: int):
    return s.order_out(access.get_order_for(request.auth, order_id), request.auth)


def _act(request: HttpRequest, order_id: int, action, **kwargs) -> dict:
    """Run an order action and answer with the order as it is now."""
    order = access.get_order_for(request.auth, order_id)
    action(order, actor=request.auth, **kwargs)
    return s.order_out(access.get_order_for(request.auth, order_id), request.auth)


# --- the customer's documents -------------------------------------------------------------------


@router.post(
    "/{int:order_id}/attachments", response={201: list[s.FileOut]}, summary="Add documents"
)
def add_attachments(
    request: HttpRequest,
    order_id: int,
    files: list[UploadedFile] = File(..., description="Repeat the field for several files."),
):
    order = access.get_order_for(request.auth, order_id)
    stored = actions.add_attachments(order, actor=request.auth, files=_uploads(files))
    return Status(201, [s.file_out(f) for f in stored])


@router.get("/{int:order_id}/attachments", response=list[s.FileOut], summary="List documents")
def list_attachments(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    files = order.files.filter(submission=None, revision_request=None, comment=None)
    return [s.file_out(f) for f in files if access.can_download(request.auth, f)]


# --- assignment and invitations -----------------------------------------------------------------


@router.post("/{int:order_id}/assign", response=s.OrderOut, summary="Assign an expert")
def assign(request: HttpRequest, order_id: int, payload: s.AssignIn):
    expert = user_by_email(payload.expert, field="expert")
    return _act(request, order_id, actions.assign_expert, expert=expert)


@router.post(
    "/{int:order_id}/invitations",
    response={201: list[s.InvitationOut]},
    summary="Invite pros",
)
def invite(request: HttpRequest, order_id: int, payload: s.InviteIn):
    order = access.get_order_for(request.auth, order_id)
    experts = [user_by_email(email, field="experts") for email in payload.experts]
    invitations = actions.invite_experts(order, actor=request.auth, experts=experts)
    return Status(201, [s.invitation_out(i) for i in invitations])


@router.get(
    "/{int:order_id}/invitations", response=list[s.InvitationOut], summary="The order's invitations"
)
def order_invitations(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    access.authorize(request.auth, order, request.auth.is_agent, "Only agents see invitations.")
    return [s.invitation_out(i) for i in order.invitations.select_related("expert", "order")]


@router.post(
    "/{int:order_id}/link", response=s.OrderOut, summary="Link a follow-up order, or unlink"
)
def link(request: HttpRequest, order_id: int, payload: s.LinkIn):
    """Agents: `{"linked_order": id}` makes that order this one's follow-up (a translation's
    proofreading, which `offer-linked` offers to the pros who missed this one); `null` unlinks.
    404 when there is no such order; 400 for the order itself."""
    user = request.auth
    order = access.get_order_for(user, order_id)
    access.authorize(user, order, access.may_link_orders(user, order), "Only agents link orders.")
    linked = _order_to_link(user, payload.linked_order) if payload.linked_order else None
    return _act(request, order_id, actions.link_order, linked=linked)


@router.post(
    "/{int:order_id}/offer-linked",
    response={201: list[s.InvitationOut]},
    summary="Offer the linked order to the pros who missed this one",
)
def offer_linked(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    invitations = actions.offer_linked_order(order, actor=request.auth)
    return Status(201, [s.invitation_out(i) for i in invitations])


# --- submissions --------------------------------------------------------------------------------


@router.post(
    "/{int:order_id}/submissions",
    response={201: s.SubmissionOut},
    summary="Deliver work (multipart)",
)
def submit(
    request: HttpRequest,
    order_id: int,
    files: list[UploadedFile] = File(..., description="Repeat the field for several files."),
    titles: list[s.FileTitle] = Form(..., description="One per file, in the same order."),
    notes: str = Form("", max_length=s.LONG_TEXT),
    addressed: list[int] | None = Form(
        None,
        description="The ids of the points this round addressed (of the revision request or "
        "QC's send-back it answers; the others it answers as not addressed). Repeat the field.",
    ),
    addressed_notes: list[s.ItemNote] | None = Form(
        None,
        description="A note on each addressed point, in the same order as `addressed` (empty "
        "for none). Repeat the field.",
    ),
):
    """The round answers every open point of the revision request (or QC's send-back) it
    answers: those in `addressed` as addressed, with their `addressed_notes`, the rest not."""
    order = access.get_order_for(request.auth, order_id)
    if len(titles) != len(files):
        raise InvalidInput("Give one title per file, in the same order.", field="titles")
    item_notes = _item_notes(addressed or [], addressed_notes)
    submission = actions.submit_work(
        order,
        actor=request.auth,
        files=_uploads(files, titles),
        notes=notes,
        addressed=list(item_notes),
        item_notes=item_notes,
    )
    return Status(201, s.submission_out(submission, request.auth))


def _item_notes(addressed: list[int], notes: list[str] | None) -> dict[int, str]:
    """Each addressed point's id with its note (`notes` in the same order, or none)."""
    if len(set(addressed)) != len(addressed):
        raise InvalidInput("Name each addressed point once.", field="addressed")
    if notes is not None and len(notes) != len(addressed):
        raise InvalidInput(
            "Give one note per addressed point, in the same order (an empty one for none).",
            field="addressed_notes",
        )
    return dict(zip(addressed, notes or [""] * len(addressed), strict=True))


@router.get(
    "/{int:order_id}/submissions", response=list[s.SubmissionOut], summary="Delivery history"
)
def list_submissions(request: HttpRequest, order_id: int):
    """Newest first. The customer sees delivered submissions only. Listing them opens nothing:
    the customer opens a delivery by downloading one of its files (or the final documents) or
    with `POST /submissions/{id}/open`."""
    user = request.auth
    order = access.get_order_for(user, order_id)
    submissions = queries.visible_submissions(user, order)
    s.prefetch_submission_parts(submissions, user, order)
    return [s.submission_out(sub, user) for sub in submissions]


@router.get(
    "/{int:order_id}/final-documents.zip",
    summary="Download all final documents (one streamed zip)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The latest delivery's files, as one zip",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def final_documents_zip(request: HttpRequest, order_id: int):
    """The files of the latest delivery you may see, named as uploaded (made unique); 404 when
    nothing has been delivered. For the customer, it counts as opening the delivery."""
    order = access.get_order_for(request.auth, order_id)
    return downloads.final_documents_zip(request.auth, order)


# --- the customer's response --------------------------------------------------------------------


@router.post(
    "/{int:order_id}/revision-requests",
    response={201: s.RevisionRequestOut},
    summary="Ask for a revision, point by point (JSON, or multipart with files)",
)
def request_revision(
    request: HttpRequest,
    order_id: int,
    comments: str = FormOrJson(
        "",
        max_length=s.LONG_TEXT,
        description="What should change; without `items`, split into points (one per line or "
        "bullet).",
    ),
    # FormOrJson is as django-ninja's Form (pyproject's extend-immutable-calls does not name it).
    items: list[s.ItemText] | None = FormOrJson(
        None,
        max_length=s.MAX_ITEMS,
        description="The points, in order: a JSON list, or the form field repeated.",
    ),
    files: list[UploadedFile] = File(None, description="Repeat the field for several files."),
):
    """`{"items": ["...", "..."]}` or `{"comments": "..."}` as JSON, or a form (multipart with
    `files` to attach documents). Each point is answered by the expert's next round."""
    order = access.get_order_for(request.auth, order_id)
    revision = actions.request_revision(
        order, actor=request.auth, comments=comments, items=items, files=_uploads(files or [])
    )
    return Status(201, s.revision_request_out(revision, request.auth))


@router.get(
    "/{int:order_id}/revision-requests",
    response=list[s.RevisionRequestOut],
    summary="Revision requests",
)
def list_revision_requests(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    requests = order.revision_requests.prefetch_related("files", s.REVISION_ITEMS)
    return [s.revision_request_out(r, request.auth) for r in requests]


@router.post("/{int:order_id}/complete", response=s.OrderOut, summary="Complete the order")
def complete(request: HttpRequest, order_id: int):
    return _act(request, order_id, actions.complete_order)


# --- closing (expert hub) -----------------------------------------------------------------------


@router.get("/{int:order_id}/close", response=s.CloseInfoOut, summary="May it close, and when")
def close_info(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    access.authorize(
        request.auth,
        order,
        access.may_close(request.auth, order),
        "Only its expert (expert-hub orders) or an agent closes an order.",
    )
    info = actions.close_info(order, actor=request.auth)
    return {
        "closable": info.closable,
        "closable_at": info.closable_at,
        "reason": info.reason,
        "needs_agent": info.needs_agent,
        "blockers": info.blockers,
        "final_documents": [s.file_out(f) for f in info.final_documents],
        "farewell_template": info.farewell_template,
    }


@router.post("/{int:order_id}/close", response=s.OrderOut, summary="Close and send the farewell")
def close(request: HttpRequest, order_id: int, payload: s.CloseIn):
    return _act(request, order_id, actions.close_order, message=payload.message)


@router.post(
    "/{int:order_id}/close-requests",
    response={201: s.FlagOut},
    summary="Ask an agent to close (when you may not close alone)",
)
def request_close(request: HttpRequest, order_id: int, payload: s.NoteIn):
    order = access.get_order_for(request.auth, order_id)
    return Status(
        201, s.flag_out(actions.request_close(order, actor=request.auth, note=payload.note))
    )


# --- conversation, flags, fees, timeline --------------------------------------------------------


@router.post(
    "/{int:order_id}/comments",
    response={201: s.CommentOut},
    summary="Comment (JSON, or multipart with files)",
)
def post_comment(
    request: HttpRequest,
    order_id: int,
    body: str = FormOrJson(..., max_length=s.LONG_TEXT),
    files: list[UploadedFile] = File(None, description="Repeat the field for several files."),
):
    """`{"body": "..."}` as JSON, or a form (multipart with `files` to attach documents)."""
    order = access.get_order_for(request.auth, order_id)
    comment = actions.post_comment(
        order, actor=request.auth, body=body, files=_uploads(files or [])
    )
    return Status(201, s.comment_out(comment))


@router.get("/{int:order_id}/comments", response=list[s.CommentOut], summary="The thread")
def list_comments(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    access.authorize(
        request.auth,
        order,
        access.may_read_thread(request.auth, order),
        "Only the order's parties read its thread.",
    )
    comments = order.comments.select_related("author").prefetch_related("files")
    return [s.comment_out(c) for c in comments]


@router.post("/{int:order_id}/flags", response={201: s.FlagOut}, summary="Raise a flag")
def raise_flag(request: HttpRequest, order_id: int, payload: s.FlagIn):
    order = access.get_order_for(request.auth, order_id)
    flag = actions.raise_flag(order, actor=request.auth, kind=payload.kind, note=payload.note)
    return Status(201, s.flag_out(flag))


@router.get("/{int:order_id}/flags", response=list[s.FlagOut], summary="The order's flags")
def list_flags(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    user = request.auth
    access.authorize(user, order, access.is_party(user, order), "Only parties see flags.")
    flags = order.flags.select_related("raised_by")
    if not user.is_agent:
        flags = flags.filter(Q(raised_by=user))
    return [s.flag_out(f) for f in flags]


@router.post(
    "/{int:order_id}/fee-requests", response={201: s.FeeRequestOut}, summary="Ask for a fee"
)
def request_fee(request: HttpRequest, order_id: int, payload: s.FeeRequestIn):
    order = access.get_order_for(request.auth, order_id)
    fee = actions.request_fee(
        order,
        actor=request.auth,
        amount=payload.amount,
        currency=payload.currency,
        reason=payload.reason,
    )
    return Status(201, s.fee_out(fee))


@router.post(
    "/{int:order_id}/extensions",
    response={201: s.ExtensionOut},
    tags=["clocks"],
    summary="Ask for more time (the expert, once per delivery round)",
)
def request_extension(request: HttpRequest, order_id: int, payload: s.ExtensionIn):
    order = access.get_order_for(request.auth, order_id)
    extension = actions.request_extension(
        order, actor=request.auth, due_at=payload.due_at, reason=payload.reason
    )
    return Status(201, s.extension_out(extension))


@router.get(
    "/{int:order_id}/extensions",
    response=list[s.ExtensionOut],
    tags=["clocks"],
    summary="Requests for more time",
)
def list_extensions(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    user = request.auth
    access.authorize(
        user, order, access.is_party(user, order), "Only the order's parties see these."
    )
    return [s.extension_out(e) for e in order.extensions.all()]


@router.get("/{int:order_id}/fee-requests", response=list[s.FeeRequestOut], summary="Fees")
def list_fees(request: HttpRequest, order_id: int):
    order = access.get_order_for(request.auth, order_id)
    user = request.auth
    access.authorize(user, order, access.is_party(user, order), "Only parties see fees.")
    fees = order.fee_requests.all()
    if user.pk == order.customer_id and not user.is_agent:
        # The customer sees what they were quoted, not the expert's requests agents turned down.
        fees = fees.exclude(status__in=["requested", "rejected"])
    return [s.fee_out(f) for f in fees]


@router.get("/{int:order_id}/events", response=list[s.TimelineEventOut], summary="The timeline")
def list_events(request: HttpRequest, order_id: int):
    """The order's timeline as the order page shows it to the caller: the events that are
    theirs to know (a customer does not see QC's rounds), each with `text`, a sentence written
    for them. `verb` and the statuses stay the machine-readable record."""
    order = access.get_order_for(request.auth, order_id)
    user = request.auth
    allowed = access.may_read_timeline(user, order)
    access.authorize(user, order, allowed, "Only the order's parties read its timeline.")
    details = access.may_see_event_details(user)
    return [
        {
            **s.event_out(entry.event),
            "actor": entry.actor.email if entry.actor else None,
            # The pages' timeline shows no details either.
            "details": entry.event.details if details else {},
            "text": entry.text,
        }
        for entry in timeline(user, order, order.events.select_related("actor").order_by("pk"))
    ]


# --- agents -------------------------------------------------------------------------------------


@router.post("/{int:order_id}/reopen", response=s.OrderOut, summary="Reopen a completed order")
def reopen(request: HttpRequest, order_id: int, payload: s.ReopenIn):
    return _act(
        request, order_id, actions.reopen_order, reason=payload.reason, back_to=payload.back_to
    )


@router.post("/{int:order_id}/cancel", response=s.OrderOut, summary="Cancel")
def cancel(request: HttpRequest, order_id: int, payload: s.ReasonIn):
    return _act(request, order_id, actions.cancel_order, reason=payload.reason)
